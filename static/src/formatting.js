/**
 * Markdown formatting shortcuts for the editor: bold (Mod-b), italic (Mod-i) and link
 * (Mod-k). List indent and outdent are CodeMirror's indentMore / indentLess, on Tab /
 * Shift-Tab and Mod-] / Mod-[ (the default keymap). Each is one transaction: one undo
 * step, one CRDT change.
 */
import { EditorSelection } from "@codemirror/state";

/** How many `char` run up to `from` (backwards) or from `to` (forwards), at most 3. */
function run(doc, char, at, step) {
  let count = 0;
  while (count < 3) {
    const pos = step < 0 ? at - count - 1 : at + count;
    if (pos < 0 || pos >= doc.length || doc.sliceString(pos, pos + 1) !== char) break;
    count += 1;
  }
  return count;
}

/**
 * Wrap every selection in `mark` ("**" bold, "*" italic), or unwrap it when it is
 * wrapped already. Bold and italic share "*": in "***text***" the text is both, so
 * a selection is bold when two or more stars surround it, italic when an odd number do.
 */
export function toggleMark(mark) {
  const char = mark[0];
  const size = mark.length;
  const wrapped = (before, after) =>
    size === 2 ? before >= 2 && after >= 2 : before % 2 === 1 && after % 2 === 1;
  return (view) => {
    if (view.state.readOnly) return false;
    const doc = view.state.doc;
    const changes = view.state.changeByRange((range) => {
      const before = run(doc, char, range.from, -1);
      const after = run(doc, char, range.to, 1);
      if (wrapped(before, after)) {
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
