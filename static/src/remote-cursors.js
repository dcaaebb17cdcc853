/**
 * y-codemirror.next's remote selections, made safe for a strict CSP.
 *
 * Its caret widget sets colours through a `style` attribute, which a CSP
 * without 'unsafe-inline' blocks (the caret and name label would lose their
 * colour). CodeMirror itself applies decoration attributes through CSSOM
 * (`style.cssText`), which the CSP allows. This plugin does what upstream's
 * does, but its caret widgets colour themselves through CSSOM, only colours
 * of the form #rrggbb[aa] from other people's awareness states get through
 * (a peer cannot inject CSS), a malformed remote cursor is skipped, and a
 * caret is redrawn when its owner's name changes.
 */
import { Annotation } from "@codemirror/state";
import { Decoration, ViewPlugin, WidgetType } from "@codemirror/view";
import * as Y from "yjs";
import { ySyncFacet, yRemoteSelections } from "y-codemirror.next";
import { safeColor } from "./identity.js";

const FALLBACK_COLOR = "#37474f";

class CaretWidget extends WidgetType {
  constructor(color, name) {
    super();
    this.color = safeColor(color) ?? FALLBACK_COLOR;
    this.name = String(name ?? "");
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = "cm-ySelectionCaret";
    caret.style.backgroundColor = this.color;
    caret.style.borderColor = this.color;
    const dot = document.createElement("div");
    dot.className = "cm-ySelectionCaretDot";
    const info = document.createElement("div");
    info.className = "cm-ySelectionInfo";
    info.textContent = this.name;
    caret.append("\u2060", dot, "\u2060", info, "\u2060");
    return caret;
  }

  eq(other) {
    return other.color === this.color && other.name === this.name;
  }

  get estimatedHeight() {
    return -1;
  }

  ignoreEvent() {
    return true;
  }
}

const refresh = Annotation.define();

function selectionMark(colorLight) {
  const color = safeColor(colorLight) ?? `${FALLBACK_COLOR}33`;
  return Decoration.mark({ attributes: { style: `background-color: ${color}` }, class: "cm-ySelection" });
}

/** Adapted from y-codemirror.next's YRemoteSelectionsPluginValue (MIT). */
class RemoteSelections {
  constructor(view) {
    this.conf = view.state.facet(ySyncFacet);
    this.awareness = this.conf.awareness;
    this.listener = ({ added, updated, removed }) => {
      const clients = added.concat(updated, removed);
      if (clients.some((id) => id !== this.awareness.doc.clientID)) {
        view.dispatch({ annotations: [refresh.of(true)] });
      }
    };
    this.awareness.on("change", this.listener);
    this.decorations = Decoration.none;
  }

  destroy() {
    this.awareness.off("change", this.listener);
  }

  update(update) {
    this.publishLocalCursor(update);
    this.decorations = this.remoteDecorations(update.view.state);
  }

  publishLocalCursor(update) {
    const { ytext } = this.conf;
    const local = this.awareness.getLocalState();
    if (local == null) return;
    const hasFocus = update.view.hasFocus && update.view.dom.ownerDocument.hasFocus();
    if (!hasFocus) return;
    const selection = update.state.selection.main;
    const anchor = Y.createRelativePositionFromTypeIndex(ytext, selection.anchor);
    const head = Y.createRelativePositionFromTypeIndex(ytext, selection.head);
    const current = local.cursor;
    if (
      current == null ||
      !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.anchor), anchor) ||
      !Y.compareRelativePositions(Y.createRelativePositionFromJSON(current.head), head)
    ) {
      this.awareness.setLocalStateField("cursor", { anchor, head });
    }
  }

  remoteDecorations(state) {
    const { ytext } = this.conf;
    const ydoc = ytext.doc;
    const ranges = [];
    this.awareness.getStates().forEach((peer, clientId) => {
      if (clientId === ydoc.clientID) return;
      const cursor = peer.cursor;
      if (cursor == null || cursor.anchor == null || cursor.head == null) return;
      let anchor;
      let head;
      try {
        anchor = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.anchor), ydoc);
        head = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(cursor.head), ydoc);
      } catch {
        return; // a malformed cursor from a peer must not break the editor
      }
      if (anchor == null || head == null || anchor.type !== ytext || head.type !== ytext) return;
      const user = peer.user ?? {};
      const length = state.doc.length;
      const start = Math.min(anchor.index, head.index, length);
      const end = Math.min(Math.max(anchor.index, head.index), length);
      const mark = selectionMark(user.colorLight);
      const startLine = state.doc.lineAt(start);
      const endLine = state.doc.lineAt(end);
      if (start < end) {
        if (startLine.number === endLine.number) {
          ranges.push(mark.range(start, end));
        } else {
          if (start < startLine.to) ranges.push(mark.range(start, startLine.to));
          for (let n = startLine.number + 1; n < endLine.number; n++) {
            const line = state.doc.line(n);
            if (line.from < line.to) ranges.push(mark.range(line.from, line.to));
          }
          if (endLine.from < end) ranges.push(mark.range(endLine.from, end));
        }
      }
      const headIndex = Math.min(head.index, length);
      ranges.push(
        Decoration.widget({
          // keep the local cursor outside the remote selection
          side: head.index - anchor.index > 0 ? -1 : 1,
          widget: new CaretWidget(user.color, typeof user.name === "string" ? user.name : "Anonymous"),
        }).range(headIndex),
      );
    });
    return Decoration.set(ranges, true);
  }
}

export const safeRemoteSelections = ViewPlugin.fromClass(RemoteSelections, {
  decorations: (value) => value.decorations,
});

/** Replace upstream's remote selections plugin inside a yCollab() extension. */
export function withSafeRemoteSelections(extensions) {
  return extensions.map((extension) => (extension === yRemoteSelections ? safeRemoteSelections : extension));
}
