/**
 * Markdown formatting shortcuts for the editor: bold (Mod-b), italic (Mod-i) and link
 * (Mod-k). List indent and outdent are CodeMirror's indentMore / indentLess, on Tab /
 * Shift-Tab and Mod-] / Mod-[ (the default keymap). Each is one transaction: one undo
 * step, one CRDT change.
 */
import { EditorSelection } from "@codemirror/state";

/** Wrap every selection in `mark` ("**"), or unwrap it when it is wrapped already. */
export function toggleMark(mark) {
  return (view) => {
    if (view.state.readOnly) return false;
    const size = mark.length;
    const changes = view.state.changeByRange((range) => {
      const doc = view.state.doc;
      const before = doc.sliceString(Math.max(0, range.from - size), range.from);
      const after = doc.sliceString(range.to, Math.min(doc.length, range.to + size));
      if (before === mark && after === mark) {
        return {
          changes: [
            { from: range.from - size, to: range.from, insert: "" },
            { from: range.to, to: range.to + size, insert: "" },
          ],
          range: EditorSelection.range(range.from - size, range.to - size),
        };
      }
      return {
        changes: [
          { from: range.from, insert: mark },
          { from: range.to, insert: mark },
        ],
        range: EditorSelection.range(range.from + size, range.to + size),
      };
    });
    view.dispatch(view.state.update(changes, { scrollIntoView: true, userEvent: "input.format" }));
    return true;
  };
}

/** Make every selection a link: "[text](url)", with "url" selected to type over. */
export function insertLink(view) {
  if (view.state.readOnly) return false;
  const changes = view.state.changeByRange((range) => {
    const text = view.state.doc.sliceString(range.from, range.to) || "text";
    const insert = `[${text}](url)`;
    const urlStart = range.from + text.length + 3;
    return {
      changes: { from: range.from, to: range.to, insert },
      range: EditorSelection.range(urlStart, urlStart + 3),
    };
  });
  view.dispatch(view.state.update(changes, { scrollIntoView: true, userEvent: "input.format" }));
  return true;
}

export const formattingKeymap = [
  { key: "Mod-b", run: toggleMark("**") },
  { key: "Mod-i", run: toggleMark("*") },
  { key: "Mod-k", run: insertLink },
];
