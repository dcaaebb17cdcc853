/**
 * The editor's live preview: a split view (editor | rendered) on wide screens, toggled
 * and remembered in localStorage; on a phone, "Write" and "Preview" tabs instead.
 *
 * The preview renders the shared text (whoever types it) with the server's rules
 * (markdown.js), at most once per animation frame, and only while it is shown.
 * DOM contract (templates/notes/_editor.html): #note-split-toggle[aria-pressed],
 * #note-tabs with #note-tab-write / #note-tab-preview, #note-panes[data-split][data-tab],
 * #note-preview.
 */
import { renderMarkdown } from "./markdown.js";

const SPLIT_KEY = "confnotes.editor.split";
const TAB_KEY = "confnotes.editor.tab";
const PHONE = "(max-width: 720px)";

function stored(key, fallback) {
  try {
    return window.localStorage.getItem(key) ?? fallback;
  } catch {
    return fallback; // storage disabled: nothing is remembered
  }
}

function store(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    /* storage disabled */
  }
}

export function startPreview({ ytext, editor }) {
  const panes = document.getElementById("note-panes");
  const preview = document.getElementById("note-preview");
  const toggle = document.getElementById("note-split-toggle");
  const tabs = document.getElementById("note-tabs");
  const writeTab = document.getElementById("note-tab-write");
  const previewTab = document.getElementById("note-tab-preview");
  if (!panes || !preview || !toggle || !tabs || !writeTab || !previewTab) return null;

  const phone = window.matchMedia(PHONE);
  let split = stored(SPLIT_KEY, "false") === "true";
  let tab = stored(TAB_KEY, "write") === "preview" ? "preview" : "write";
  let pending = 0;
  let shownText = null;

  function previewShown() {
    return phone.matches ? tab === "preview" : split;
  }

  function render() {
    pending = 0;
    if (!previewShown()) return;
    const text = ytext.toString();
    if (text === shownText) return;
    shownText = text;
    preview.innerHTML = renderMarkdown(text, { lines: true }); // sanitized by DOMPurify
    preview.dataset.rendered = String(Number(preview.dataset.rendered || 0) + 1);
  }

  function schedule() {
    if (!pending) pending = window.requestAnimationFrame(render);
  }

  function apply() {
    const onPhone = phone.matches;
    toggle.hidden = onPhone;
    tabs.hidden = !onPhone;
    toggle.setAttribute("aria-pressed", String(split));
    writeTab.setAttribute("aria-selected", String(tab === "write"));
    previewTab.setAttribute("aria-selected", String(tab === "preview"));
    writeTab.tabIndex = tab === "write" ? 0 : -1;
    previewTab.tabIndex = tab === "preview" ? 0 : -1;
    panes.dataset.split = String(!onPhone && split);
    panes.dataset.tab = onPhone ? tab : "write";
    editor.hidden = onPhone && tab === "preview";
    preview.hidden = !previewShown();
    if (previewShown()) render();
  }

  function choose(next) {
    tab = next;
    store(TAB_KEY, tab);
    apply();
    (tab === "write" ? writeTab : previewTab).focus();
  }

  toggle.addEventListener("click", () => {
    split = !split;
    store(SPLIT_KEY, String(split));
    apply();
  });
  writeTab.addEventListener("click", () => choose("write"));
  previewTab.addEventListener("click", () => choose("preview"));
  tabs.addEventListener("keydown", (event) => {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" || event.key === "End") {
      event.preventDefault();
      choose(event.key === "ArrowRight" || event.key === "End" ? "preview" : "write");
    }
  });
  phone.addEventListener("change", apply);
  ytext.observe(schedule);
  apply();
  return { render, apply };
}
