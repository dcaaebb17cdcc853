/**
 * The collaborative Markdown editor on a note page.
 *
 * Mounts on #note-editor (see templates/notes/_editor.html for the DOM and
 * data attributes). The Y.Text "content" is kept in IndexedDB (edits survive
 * offline periods, tab closes and reloads) and synced with the server over
 * the y-websocket protocol at data-ws-path.
 */
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { IndexeddbPersistence } from "y-indexeddb";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as decoding from "lib0/decoding";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { EditorView, drawSelection, highlightSpecialChars, keymap, placeholder } from "@codemirror/view";
import { defaultKeymap, indentWithTab } from "@codemirror/commands";
import { LanguageSupport, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { markdownKeymap, markdownLanguage, pasteURLAsLink } from "@codemirror/lang-markdown";

import { SaveTracker } from "./save-tracker.js";
import { withSafeRemoteSelections } from "./remote-cursors.js";
import { awarenessUser, cleanName, guestLabel, rememberGuestName, safeColor, storedGuestName } from "./identity.js";
import { keepPageOffline } from "./sw-register.js";
import { AuthorshipView, authorship } from "./authorship.js";
import { formattingKeymap } from "./formatting.js";
import { renderMarkdown } from "./markdown.js";
import { startPreview } from "./preview.js";

const MESSAGE_AUTH = 2;
// y-protocols' auth message: 0 permission denied (a reason follows); 1 permission
// granted is Confnotes' own (notes/protocol.py): the note was unlocked.
const AUTH_DENIED = 0;
const AUTH_GRANTED = 1;
const CLOSE_MESSAGES = {
  4403: ["forbidden", "You may not edit this note."],
  4404: ["not-found", "This note does not exist."],
};
// Closes whose reason the server words for people (notes/consumers.py).
const CLOSE_REASONS = { 4413: "too-large", 4429: "too-many" };
// markdown() would also bundle the HTML, CSS and JavaScript parsers for
// embedded HTML (about 150 KB); notes need Markdown (GFM) alone.
const markdownSupport = () =>
  new LanguageSupport(markdownLanguage, [Prec.high(keymap.of(markdownKeymap)), pasteURLAsLink]);

const CONNECTION_LABELS = {
  offline: "Offline",
  connecting: "Connecting…",
  syncing: "Syncing…",
  connected: "Connected",
  resyncing: "Resyncing…",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
};
// The server closes a client that cannot keep up with the room with 1013 (try
// again later, reason "too slow…"); y-websocket reconnects and the sync brings
// everything back. 1013 for another reason (the database is unavailable) and 1001
// (this server process is shutting down) ask it to come back in a moment: it
// reconnects by itself, and the edits wait in IndexedDB meanwhile.
const CLOSE_GOING_AWAY = 1001;
const CLOSE_TRY_AGAIN = 1013;
export function closeState(event) {
  if (!event) return null;
  if (event.code === CLOSE_TRY_AGAIN && String(event.reason || "").startsWith("too slow")) return "resyncing";
  if (event.code === CLOSE_TRY_AGAIN || event.code === CLOSE_GOING_AWAY) return "reconnecting";
  return null;
}

/** "/ws/notes/12/" -> ["ws://host/ws/notes", "12/"]: y-websocket joins them with "/". */
export function websocketAddress(wsPath, location = window.location) {
  const match = /^(.*)\/([^/]+\/?)$/.exec(wsPath);
  if (!match) throw new Error(`bad data-ws-path: ${wsPath}`);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return [`${scheme}//${location.host}${match[1]}`, match[2]];
}

function readConfig(root) {
  const data = root.dataset;
  return {
    noteId: data.noteId,
    wsPath: data.wsPath || `/ws/notes/${data.noteId}/`,
    canWrite: data.canWrite === "true",
    userName: cleanName(data.userName),
    guest: data.guest === "true",
    nonce: data.cspNonce || "",
    authorsUrl: data.authorsUrl || "",
  };
}

function byId(id) {
  return document.getElementById(id);
}

async function start(root) {
  const config = readConfig(root);
  byId("note-toolbar")?.removeAttribute("hidden");
  keepPageOffline();

  const doc = new Y.Doc();
  const ytext = doc.getText("content");

  // Load what this browser kept before connecting, so the first sync step 1
  // already tells the server what we have. IndexedDB may be unavailable
  // (some private modes): then we only lose the offline buffer.
  let persistence = null;
  try {
    persistence = new IndexeddbPersistence(`confnotes-note-${config.noteId}`, doc);
    await Promise.race([persistence.whenSynced, new Promise((resolve) => setTimeout(resolve, 3000))]);
  } catch (error) {
    console.warn("Confnotes: IndexedDB unavailable, offline edits are not kept", error);
  }

  const [serverUrl, room] = websocketAddress(config.wsPath);
  const provider = new WebsocketProvider(serverUrl, room, doc, {
    connect: false,
    // 44xx: the server decided (no such note, not allowed); retrying won't help.
    shouldReconnect: (event) => !(event.code >= 4400 && event.code < 4500),
  });

  const ui = {
    status: byId("note-status"),
    connection: byId("note-connection"),
    saved: byId("note-saved"),
    message: byId("note-editor-message"),
    presence: byId("note-presence"),
    presenceCount: byId("note-presence-count"),
    presenceList: byId("note-presence-list"),
    guestForm: byId("note-guest-form"),
    guestName: byId("note-guest-name"),
    fallback: root.querySelector(".note-editor__fallback"),
  };

  let view = null;
  let readOnly = !config.canWrite;
  let closed = null; // [reason, message] once the server refused us for good
  const editability = new Compartment();
  const editabilityFor = (ro) => [EditorState.readOnly.of(ro), EditorView.editable.of(!ro)];

  const tracker = new SaveTracker(provider, { onChange: () => render() });

  function showMessage(reason, text) {
    if (!ui.message) return;
    ui.message.dataset.reason = reason;
    ui.message.textContent = text;
    ui.message.hidden = false;
  }

  function setReadOnly(reason, text) {
    readOnly = true;
    root.dataset.readOnly = "true";
    view?.dispatch({ effects: editability.reconfigure(editabilityFor(true)) });
    showMessage(reason, text);
    render();
  }

  function setWritable() {
    readOnly = false;
    root.dataset.readOnly = "false";
    view?.dispatch({ effects: editability.reconfigure(editabilityFor(false)) });
    if (ui.message && ui.message.dataset.reason === "read-only") ui.message.hidden = true;
    render();
  }

  // The server says when this connection may not write (a reader, a note the
  // organizers locked, an archived event: the reason is worded for people) and,
  // when a lock is lifted, that it may write again.
  provider.messageHandlers[MESSAGE_AUTH] = (_encoder, decoder, _provider, emitSynced) => {
    const kind = decoding.readVarUint(decoder);
    if (!emitSynced) return;
    if (kind === AUTH_DENIED) {
      const reason = decoding.readVarString(decoder);
      setReadOnly(
        "read-only",
        reason === "read-only" ? "This note is read-only for you: your changes are not saved." : reason,
      );
    } else if (kind === AUTH_GRANTED) {
      setWritable();
    }
  };

  // From a 1013 or 1001 close until the next completed sync.
  let interrupted = null; // "resyncing" | "reconnecting"
  provider.on("sync", (isSynced) => {
    if (isSynced) interrupted = null;
  });
  provider.on("connection-close", (event) => {
    // A later failure of another kind (the network, a refused connection) says more.
    interrupted = closeState(event);
    if (interrupted) {
      render();
      return;
    }
    if (!event || event.code < 4400 || event.code >= 4500) return;
    const worded = CLOSE_REASONS[event.code] && event.reason ? [CLOSE_REASONS[event.code], `The server closed the connection: ${event.reason}.`] : null;
    const [reason, text] = worded ?? CLOSE_MESSAGES[event.code] ?? ["refused", `The server refused the connection (code ${event.code}).`];
    closed = [reason, text];
    provider.shouldConnect = false; // y-websocket v2 has no shouldReconnect option
    showMessage(reason, text);
    render();
  });

  function connectionState() {
    if (closed) return "closed";
    if (interrupted) return interrupted;
    if (provider.wsconnected) return provider.synced ? "connected" : "syncing";
    if (!navigator.onLine || provider.wsUnsuccessfulReconnects >= 2) return "offline";
    return "connecting";
  }

  function render() {
    const state = connectionState();
    const saved = tracker.saved;
    if (ui.status) {
      ui.status.dataset.connection = state;
      ui.status.dataset.state = state;
      ui.status.dataset.saved = String(saved);
    }
    if (ui.connection && ui.connection.textContent !== CONNECTION_LABELS[state]) {
      ui.connection.textContent = CONNECTION_LABELS[state];
    }
    if (ui.saved) {
      let text = saved ? "All changes saved" : "Unsaved changes";
      if (readOnly && saved) text = "Read-only";
      else if (!saved && state !== "connected" && persistence) text = "Unsaved changes (kept on this device)";
      if (ui.saved.textContent !== text) ui.saved.textContent = text;
    }
    maybeReveal();
  }

  // Identity and presence.
  // The server shows every presence under the name it credits the connection with
  // (notes/room.py): an account's name, or a guest's marked as a guest's. Use the
  // same, so that it has nothing to rewrite.
  function myName() {
    if (!config.guest) return config.userName || "Anonymous";
    return guestLabel(storedGuestName());
  }
  provider.awareness.setLocalStateField("user", awarenessUser(myName()));
  // The server credits a guest's edits to the name in the connection's query
  // (signed-in users are named by their account); it is read at each (re)connect.
  const nameParams = () => (config.guest && storedGuestName() ? { name: storedGuestName() } : {});
  provider.params = nameParams();

  if (config.guest && ui.guestForm && ui.guestName) {
    ui.guestForm.hidden = false;
    ui.guestName.value = storedGuestName();
    ui.guestForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = cleanName(ui.guestName.value);
      if (!name) {
        ui.guestName.setAttribute("aria-invalid", "true");
        ui.guestName.focus();
        return;
      }
      ui.guestName.removeAttribute("aria-invalid");
      ui.guestName.value = name;
      rememberGuestName(name);
      provider.params = nameParams();
      provider.awareness.setLocalStateField("user", awarenessUser(guestLabel(name)));
      // The server reads the name when the connection opens: reconnect to use it.
      if (provider.wsconnected) {
        provider.disconnect();
        provider.connect();
      }
      ui.guestForm.dataset.saved = "true";
    });
  }

  let presenceKey = "";
  function renderPresence() {
    const me = doc.clientID;
    const people = [];
    provider.awareness.getStates().forEach((state, clientId) => {
      if (!state.user) return;
      people.push({
        clientId,
        name: cleanName(state.user.name) || "Anonymous",
        color: safeColor(state.user.color) ?? "#37474f",
        me: clientId === me,
      });
    });
    people.sort((a, b) => b.me - a.me || a.name.localeCompare(b.name) || a.clientId - b.clientId);
    const key = JSON.stringify(people);
    if (key === presenceKey) return; // cursor moves: nothing to announce
    presenceKey = key;
    if (ui.presence) ui.presence.dataset.count = String(people.length);
    if (ui.presenceCount) {
      ui.presenceCount.textContent = `${people.length} ${people.length === 1 ? "person" : "people"} here`;
    }
    if (ui.presenceList) {
      ui.presenceList.replaceChildren(
        ...people.map((person) => {
          const item = document.createElement("li");
          item.className = "note-presence__person";
          item.dataset.clientId = String(person.clientId);
          if (person.me) item.dataset.me = "true";
          const swatch = document.createElement("span");
          swatch.className = "note-presence__swatch";
          swatch.setAttribute("aria-hidden", "true");
          swatch.style.backgroundColor = person.color; // CSSOM: allowed by the CSP
          const name = document.createElement("span");
          name.className = "note-presence__name";
          name.textContent = person.me ? `${person.name} (you)` : person.name;
          item.append(swatch, name);
          return item;
        }),
      );
    }
  }
  provider.awareness.on("change", renderPresence);
  renderPresence();

  // The editor.
  const undoManager = new Y.UndoManager(ytext);
  view = new EditorView({
    parent: root,
    state: EditorState.create({
      doc: ytext.toString(),
      extensions: [
        EditorView.cspNonce.of(config.nonce),
        highlightSpecialChars(),
        drawSelection(),
        EditorView.lineWrapping,
        markdownSupport(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        placeholder("Take notes here, in Markdown…"),
        // Ours first: Mod-i would otherwise select the parent syntax node.
        keymap.of([...formattingKeymap, ...yUndoManagerKeymap, ...defaultKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ "aria-label": "Note text (Markdown)" }),
        editability.of(editabilityFor(readOnly)),
        withSafeRemoteSelections(yCollab(ytext, provider.awareness, { undoManager })),
        authorship,
      ],
    }),
  });
  root.dataset.readOnly = String(readOnly);
  view.dom.hidden = true;

  // Keep showing the server-rendered text until we have the document, so a
  // first visit does not flash an empty editor.
  let revealed = false;
  function maybeReveal() {
    if (revealed || !view) return;
    const fallbackText = ui.fallback ? ui.fallback.textContent.trim() : "";
    if (ytext.length === 0 && fallbackText && !provider.synced && !closed) return;
    revealed = true;
    if (ui.fallback) ui.fallback.hidden = true;
    view.dom.hidden = false;
    root.dataset.ready = "true";
  }

  window.addEventListener("beforeunload", (event) => {
    if (tracker.saved || readOnly) return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it to ask
  });
  window.addEventListener("online", () => {
    if (!closed && !provider.wsconnected) provider.connect();
    render();
  });
  window.addEventListener("offline", render);
  provider.on("status", render);
  provider.on("sync", render);
  // Failed reconnect attempts emit no event: poll the cheap state.
  setInterval(render, 1000);

  const preview = startPreview({ ytext, editor: root });

  provider.connect();
  render();

  // Who wrote what, switched on from the toolbar.
  let authors = null;
  const authorsButton = byId("note-authors-toggle");
  const authorsLegend = byId("note-authors-legend");
  if (config.authorsUrl && authorsButton && authorsLegend) {
    authors = new AuthorshipView({
      view, ytext, doc, url: config.authorsUrl, button: authorsButton, legend: authorsLegend, root,
    });
  }

  // For debugging and end-to-end tests (e.g. read the Y.Text, render like the preview).
  root.confnotes = { doc, ytext, provider, persistence, tracker, view, authors, preview, renderMarkdown };
}

const root = byId("note-editor");
if (root) {
  start(root).catch((error) => {
    console.error("Confnotes editor failed to start", error);
    root.dataset.error = "true";
  });
}
