/*
 * Confnotes — ticking checklist items in a note's reading view (for those who may write).
 *
 * The server renders checkboxes disabled; for a writer it also names the items on
 * #notes-rendered: data-tick-url, and data-tasks = "line:key line:key …" in the order
 * the checkboxes appear (notes/tasks.py). This enables them; a tick POSTs the item's line
 * and key, the server makes the one-character change through the live engine (everyone
 * with the note open sees it), and answers with the notes as they are now (#notes-body).
 * No inline scripts (CSP).
 */
(function () {
  "use strict";

  function statusBox() {
    var box = document.getElementById("notes-tick-status");
    if (!box) {
      box = document.createElement("p");
      box.id = "notes-tick-status";
      box.className = "notice notice--error";
      box.setAttribute("role", "alert");
      var body = document.getElementById("notes-body");
      body.parentNode.insertBefore(box, body);
    }
    return box;
  }

  function enable() {
    var root = document.getElementById("notes-rendered");
    if (!root || !root.dataset.tickUrl || root.dataset.ticking === "on") return;
    var tasks = (root.dataset.tasks || "").split(" ").filter(Boolean).map(function (pair) {
      var parts = pair.split(":");
      return { line: parts[0], key: parts[1] };
    });
    var boxes = root.querySelectorAll('input[type="checkbox"]');
    // The list and the rendering disagree (cannot happen, but never tick the wrong item).
    if (boxes.length !== tasks.length) return;
    root.dataset.ticking = "on";
    boxes.forEach(function (box, index) {
      var task = tasks[index];
      box.disabled = false;
      box.dataset.line = task.line;
      box.title = box.checked ? "Done: untick it" : "To do: tick it when done";
      box.addEventListener("change", function () {
        boxes.forEach(function (other) {
          other.disabled = true;
        });
        htmx.ajax("POST", root.dataset.tickUrl, {
          source: box,
          target: "#notes-body",
          swap: "outerHTML",
          values: { line: task.line, key: task.key, done: box.checked ? "1" : "0" },
        });
      });
    });
  }

  document.addEventListener("htmx:responseError", function (event) {
    if (!document.getElementById("notes-rendered")) return;
    var source = event.detail.elt;
    if (!source || !source.closest || !source.closest("#notes-rendered")) return;
    var xhr = event.detail.xhr;
    var text = "Could not tick it (" + xhr.status + ").";
    var parsed = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    var said = parsed.querySelector(".notice p, .notice");
    if (said && said.textContent.trim()) text = said.textContent.trim();
    statusBox().textContent = text;
    source.checked = !source.checked;
    var root = document.getElementById("notes-rendered");
    root.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
      box.disabled = false;
    });
  });

  // The notes came back after a tick: a fresh rendering to enable, no error to show.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.elt || event.detail.elt.id !== "notes-body") return;
    var box = document.getElementById("notes-tick-status");
    if (box) box.remove();
    enable();
  });
  document.addEventListener("DOMContentLoaded", enable);
  if (document.readyState !== "loading") enable();
})();
