/*
 * Confnotes — the live open-space board, marketplace and display.
 *
 * Progressive enhancement only: every action is a plain link or form that works
 * without this file. It adds
 *   - drag and drop on the board (a drop POSTs the same form the "Move…" page posts);
 *   - a live indicator, and a refresh of the page's live region when the WebSocket
 *     comes back after a drop (or the tab wakes up), so a board is never stale;
 *   - showing refusals (403/409/422/429 answers) that htmx would otherwise ignore;
 *   - the clock and the "now" line of the display mode.
 * No inline scripts or styles (CSP): element.style is set through the CSSOM.
 */
(function () {
  "use strict";

  var RETRIED_BY_EXTENSION = [1006, 1011, 1012, 1013];
  var SHOWN_ERRORS = [400, 403, 409, 422, 429];

  function liveRoot() {
    return document.getElementById("board-live");
  }

  function setStatus(state, text) {
    var status = document.getElementById("live-status");
    if (status) {
      status.dataset.state = state;
      status.textContent = text;
    }
  }

  /* Re-fetch the live region (the board grid, the proposal list, the display). */
  function refreshRegion() {
    var root = liveRoot();
    if (!root || !document.getElementById("live-region")) return;
    htmx.ajax("GET", window.location.href, {
      source: root,
      target: "#live-region",
      select: "#live-region",
      swap: "outerHTML",
    });
  }

  function socketIsOpen() {
    var root = liveRoot();
    return !!(root && root.dataset.socket === "open");
  }

  /* --- Live connection ---------------------------------------------------------- */
  var wasClosed = false;
  var hiddenSince = null;

  document.addEventListener("htmx:wsConnecting", function () {
    setStatus("connecting", wasClosed ? "Reconnecting…" : "Connecting…");
  });

  document.addEventListener("htmx:wsOpen", function (event) {
    var root = liveRoot();
    if (root) root.dataset.socket = "open";
    setStatus("live", "Live: changes appear as they happen.");
    // Whatever happened while we were away is not in the stream: reload the region.
    if (wasClosed) refreshRegion();
    wasClosed = false;
  });

  document.addEventListener("htmx:wsClose", function (event) {
    var root = liveRoot();
    if (root) root.dataset.socket = "closed";
    wasClosed = true;
    setStatus("offline", "Connection lost — reconnecting…");
    var code = event.detail && event.detail.event ? event.detail.event.code : 0;
    var wrapper = event.detail && event.detail.socketWrapper;
    // The extension only retries "abnormal" closes; a server going away cleanly
    // (1001) or refusing once must not leave the board frozen.
    if (wrapper && RETRIED_BY_EXTENSION.indexOf(code) < 0 && document.body.contains(root)) {
      window.setTimeout(function () {
        wrapper.reconnect();
      }, 2000 + Math.random() * 3000);
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      hiddenSince = Date.now();
    } else if (hiddenSince && Date.now() - hiddenSince > 30000) {
      hiddenSince = null;
      refreshRegion();
    }
  });

  /* --- Requests: show refusals, keep the board fresh without a socket ---------------- */
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (SHOWN_ERRORS.indexOf(event.detail.xhr.status) >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (!config || config.verb === "get" || !event.detail.successful) return;
    var panel = document.getElementById("board-panel");
    if (panel && panel.contains(event.detail.elt) && event.detail.xhr.status === 200) {
      panel.innerHTML = "";
    }
    if (!socketIsOpen()) refreshRegion();
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-close-panel]");
    if (!close) return;
    var panel = document.getElementById("board-panel");
    if (panel && panel.contains(close)) {
      event.preventDefault();
      panel.innerHTML = "";
    }
  });

  /* --- Stars: the viewer's own, on cards that broadcasts render for everyone --------- */
  var STAR_PREFIX = "open-space-";

  function starredIds() {
    var root = liveRoot();
    var ids = root && root.dataset.starred !== undefined ? root.dataset.starred : null;
    return ids === null ? null : ids.split(" ").filter(Boolean);
  }

  function showStar(form, starred) {
    var button = form.querySelector(".star__button");
    var wanted = form.querySelector('input[name="starred"]');
    if (!button || !wanted) return;
    button.setAttribute("aria-pressed", String(starred));
    button.title = starred ? "On your agenda: click to take it off" : "Add to your agenda";
    wanted.value = starred ? "0" : "1";
    var icon = button.querySelector(".star__icon");
    var label = button.querySelector(".star__label");
    if (icon) icon.textContent = starred ? "\u2605" : "\u2606";
    if (label) label.textContent = starred ? "Starred" : "Star";
  }

  function applyStars() {
    var ids = starredIds();
    if (ids === null) return;
    document.querySelectorAll('form.star[data-star^="' + STAR_PREFIX + '"]').forEach(function (form) {
      showStar(form, ids.indexOf(form.dataset.star.slice(STAR_PREFIX.length)) >= 0);
    });
  }

  document.addEventListener("htmx:oobAfterSwap", applyStars);

  function starForm(node) {
    return node && node.matches && node.matches('form.star[data-star^="' + STAR_PREFIX + '"]')
      ? node
      : null;
  }

  function rememberStar(form, starred) {
    var ids = starredIds();
    if (ids === null) return;
    var pk = form.dataset.star.slice(STAR_PREFIX.length);
    ids = ids.filter(function (id) {
      return id !== pk;
    });
    if (starred) ids.push(pk);
    liveRoot().dataset.starred = ids.join(" ");
    applyStars();
  }

  // The viewer stars or unstars a topic. Remembered as the request leaves: the broadcast
  // of that very change may reach this page before the answer does, with the card
  // rendered for everyone, and must show this viewer's star.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = starForm(event.target);
    if (form) rememberStar(form, form.querySelector('input[name="starred"]').value === "1");
  });

  // Refused (e.g. too many stars): it is as it was.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = starForm(event.detail.elt);
    if (form && event.detail.xhr.status >= 400) {
      rememberStar(form, form.querySelector('input[name="starred"]').value !== "1");
    }
  });

  /* --- Drag and drop on the board -------------------------------------------------- */
  var dragged = null;

  function dropTarget(node) {
    var target = node && node.closest ? node.closest("[data-cell]") : null;
    if (!target || !target.closest(".board--dnd")) return null;
    if (target.classList.contains("cell--blocked")) return null;
    return target;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-open-space]") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.openSpace);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach(function (node) {
      node.classList.remove("is-drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var target = dropTarget(event.target);
    if (!target) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("is-drop-target")) {
      document.querySelectorAll(".is-drop-target").forEach(function (node) {
        node.classList.remove("is-drop-target");
      });
      target.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var target = dropTarget(event.target);
    if (!target || !dragged) return;
    event.preventDefault();
    var id = event.dataTransfer.getData("text/plain") || dragged.dataset.openSpace;
    target.classList.remove("is-drop-target");
    var root = liveRoot();
    htmx.ajax("POST", root.dataset.placeUrl, {
      source: root,
      target: "#board-status",
      swap: "innerHTML",
      values: { open_space: id, cell: target.dataset.cell },
    });
  });

  /* --- Display mode: the clock and the "now" line ------------------------------------ */
  function pad(number) {
    return String(number).padStart(2, "0");
  }

  function displayTick() {
    var region = document.querySelector(".display #live-region");
    if (!region) return;
    // Server time plus time elapsed here: projector laptops often have wrong clocks.
    if (!region.dataset.loadedAt) region.dataset.loadedAt = String(Date.now());
    var now = Date.parse(region.dataset.now) + (Date.now() - Number(region.dataset.loadedAt));
    var clock = region.querySelector("#display-clock time");
    if (clock) {
      var local = new Date(now + Number(region.dataset.offset || 0) * 60000);
      clock.textContent = pad(local.getUTCHours()) + ":" + pad(local.getUTCMinutes());
    }
    var line = region.querySelector(".display__line");
    var rows = region.querySelectorAll(".display-row");
    if (!line || !rows.length) return;
    var top = null;
    for (var i = 0; i < rows.length; i++) {
      var start = Date.parse(rows[i].dataset.start);
      var end = Date.parse(rows[i].dataset.end);
      if (now < start) {
        top = rows[i].offsetTop; // in a break: the line sits above the next slot
        break;
      }
      if (now < end) {
        top = rows[i].offsetTop + (rows[i].offsetHeight * (now - start)) / (end - start);
        break;
      }
    }
    var table = region.querySelector(".display-table");
    if (top === null || !table) {
      line.hidden = true;
      return;
    }
    line.hidden = false;
    line.style.top = table.offsetTop + top + "px";
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!liveRoot()) return;
    setStatus("connecting", "Connecting…");
    if (document.body.classList.contains("display")) {
      displayTick();
      window.setInterval(displayTick, 5000);
      document.addEventListener("htmx:afterSettle", displayTick);
    }
  });
})();
