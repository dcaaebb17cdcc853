/**
 * What notes add to CommonMark: checklists and line anchors (a markdown-it plugin).
 *
 * The JavaScript twin of notes/markdown_extras.py, for the editor's live preview: keep
 * the two in step (tests/e2e/test_preview_parity.py renders the same inputs with both).
 *
 * - Checklists: a list item whose text starts with "[ ]", "[x]" or "[X]" (then a space
 *   or the end of the line) starts with a disabled checkbox instead.
 * - Line anchors (when the render's env says `lines`): the first paragraph, heading or
 *   list item that starts on a source line gets id="L<line>" (1-based).
 */
const TASK_MARKER = /^\[([ xX])\](?=[ \t]|$)/;
const ANCHORED = new Set(["paragraph_open", "heading_open", "list_item_open"]);

function taskChecked(tokens, index) {
  const token = tokens[index];
  if (index < 2 || tokens[index - 1].type !== "paragraph_open") return null;
  if (tokens[index - 2].type !== "list_item_open") return null;
  const children = token.children || [];
  if (!children.length || children[0].type !== "text") return null;
  // As written ("\\[ ]" is an escaped bracket, no checkbox), and as parsed.
  const match = TASK_MARKER.exec(token.content);
  if (!match || !TASK_MARKER.test(children[0].content)) return null;
  return match[1] !== " ";
}

export function extrasPlugin(md, { anchorPrefix }) {
  md.core.ruler.push("confnotes_extras", (state) => {
    const tokens = state.tokens;
    const anchors = Boolean(state.env && state.env.lines);
    const anchored = new Set();
    tokens.forEach((token, index) => {
      if (anchors && ANCHORED.has(token.type) && token.map && !token.hidden) {
        const line = token.map[0] + 1;
        if (!anchored.has(line)) {
          anchored.add(line);
          token.attrSet("id", `${anchorPrefix}${line}`);
        }
      }
      if (token.type !== "inline") return;
      const checked = taskChecked(tokens, index);
      if (checked === null) return;
      token.meta = { ...(token.meta || {}), task: checked };
      token.children[0].content = token.children[0].content.slice(3);
      const box = new state.Token("task_checkbox", "input", 0);
      box.meta = { checked };
      token.children.unshift(box);
    });
  });
  md.renderer.rules.task_checkbox = (tokens, idx) =>
    `<input type="checkbox" disabled${tokens[idx].meta.checked ? " checked" : ""}>`;
}
