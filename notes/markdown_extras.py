"""What notes add to CommonMark: checklists and line anchors (a markdown-it plugin).

The editor's live preview does the same in JavaScript (static/src/markdown-extras.js);
keep the two in step: tests/e2e/test_preview_parity.py renders the same inputs with both.

- Checklists: a list item whose text starts with `[ ]`, `[x]` or `[X]` (then a space or
  the end of the line) starts with a disabled checkbox instead (GitHub's task lists).
  The item's inline token gets `meta["task"]` (True when ticked).
- Line anchors (only when the render's env says `lines`): the first paragraph, heading
  or list item that starts on a source line gets `id="L<line>"` (1-based), so that a
  link can point at a line of a note (outcomes, action items). Items nested on one line
  ("- - x") share the outer item's anchor.
"""

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .rules import RULES

TASK_MARKER = re.compile(r"\[([ xX])\](?=[ \t]|$)")
ANCHOR_PREFIX = RULES["line_anchor_prefix"]
_ANCHORED = ("paragraph_open", "heading_open", "list_item_open")


def line_anchor(line: int) -> str:
    """The id of the anchor of a 1-based source line."""
    return f"{ANCHOR_PREFIX}{line}"


def _task_checked(tokens: list[Token], index: int) -> bool | None:
    """Whether the inline token at `index` is a task item's text: None if not, else
    whether it is ticked."""
    token = tokens[index]
    if index < 2 or tokens[index - 1].type != "paragraph_open":
        return None
    if tokens[index - 2].type != "list_item_open":
        return None
    children = token.children or []
    if not children or children[0].type != "text":
        return None  # e.g. "[x]" is a link to a reference definition
    # As written (`\[ ]` is an escaped bracket, no checkbox), and as parsed.
    match = TASK_MARKER.match(token.content)
    if match is None or not TASK_MARKER.match(children[0].content):
        return None
    return match.group(1) != " "


def _extras(state) -> None:
    tokens = state.tokens
    anchors = bool(state.env.get("lines")) if isinstance(state.env, dict) else False
    anchored: set[int] = set()
    for index, token in enumerate(tokens):
        if anchors and token.type in _ANCHORED and token.map and not token.hidden:
            line = token.map[0] + 1
            if line not in anchored:
                anchored.add(line)
                token.attrSet("id", line_anchor(line))
        if token.type != "inline":
            continue
        checked = _task_checked(tokens, index)
        if checked is None:
            continue
        token.meta["task"] = checked
        first = token.children[0]
        first.content = first.content[3:]
        box = Token("task_checkbox", "input", 0)
        box.meta["checked"] = checked
        token.children.insert(0, box)


def _render_checkbox(self, tokens, idx, options, env) -> str:
    checked = " checked" if tokens[idx].meta["checked"] else ""
    return f'<input type="checkbox" disabled{checked}>'


def extras_plugin(md: MarkdownIt) -> None:
    # After every other core rule ("text_join" merges the text a task marker starts).
    md.core.ruler.push("confnotes_extras", _extras)
    md.add_render_rule("task_checkbox", _render_checkbox)
