"""Checklists and decisions in a note's Markdown: what came out of a session.

- An action item is a checklist item (`- [ ] call the venue`, `- [x] done`): exactly
  what renders as a checkbox (notes/markdown_extras.py), so a line inside a code block
  or a quote of code is never taken for one.
- A decision is a line of a paragraph (or list item) that starts `Decision:` or
  `Outcome:` (any case; the word may be bold: `**Decision:**`).

Each one knows its 1-based source `line` and the `anchor` (id) of the line anchor it
sits under in the rendered note (`render_markdown(text, lines=True)`), so a page can
link back to it. `task_toggle` is the one-character edit that ticks or unticks an item.
"""

import hashlib
import re
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe

from .markdown_extras import line_anchor
from .rendering import markdown_parser, markdown_renderable, render_markdown_inline

# "Decision: …", "**Decision:** …" or "**Decision**: …" (the bold closes where it opened).
DECISION = re.compile(
    r"^(?P<bold>\*\*|__)?(?P<word>decision|outcome)\s*"
    r"(?:(?(bold)(?P=bold))\s*:|:\s*(?(bold)(?P=bold)))\s*(?P<text>\S.*)$",
    re.IGNORECASE,
)
# Parsing costs far more than a cache round trip (~25 ms for 2 KiB on a loaded box).
_CACHE_MIN_CHARS = 256
_CACHE_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Outcome:
    kind: str  # "action" or "decision" (a `Decision:` or `Outcome:` line)
    text: str  # Markdown, as written after the marker
    line: int  # 1-based source line
    anchor: str  # id of the rendered note's anchor to link to ("L12")
    done: bool = False  # an action item that is ticked
    label: str = ""  # a decision's own word: "Decision" or "Outcome"
    source: str = ""  # the whole source line (what a tick request names)
    html: str = ""  # `text` rendered inline and sanitized: a SafeString, shown as HTML


def _inline(text: str) -> SafeString:
    # Sanitized by render_markdown_inline (nh3), so safe to show as HTML.
    return mark_safe(render_markdown_inline(text))  # noqa: S308


def _scan(text: str) -> list[Outcome]:
    tokens = markdown_parser().parse(text, {"lines": True})
    lines = text.split("\n")
    found: list[Outcome] = []
    anchors: list[str] = []  # the anchor of each open block, innermost last
    for index, token in enumerate(tokens):
        if token.nesting == 1:
            anchors.append(token.attrGet("id") or (anchors[-1] if anchors else ""))
        elif token.nesting == -1:
            anchors.pop()
        if token.type != "inline" or not token.map or tokens[index - 1].type != "paragraph_open":
            continue
        first = token.map[0]
        anchor = anchors[-1] or line_anchor(first + 1)
        task = token.meta.get("task")
        content = token.content.split("\n")
        if task is not None:
            text_after = " ".join(part.strip() for part in content)[3:].strip()
            found.append(
                Outcome(
                    kind="action",
                    text=text_after,
                    line=first + 1,
                    anchor=anchor,
                    done=task,
                    source=lines[first],
                    html=_inline(text_after),
                )
            )
            content = []  # an action item is not also a decision
        for offset, part in enumerate(content):
            match = DECISION.match(part.strip())
            if match is None:
                continue
            found.append(
                Outcome(
                    kind="decision",
                    text=match.group("text").strip(),
                    line=first + offset + 1,
                    anchor=anchor,
                    label=match.group("word").capitalize(),
                    source=lines[first + offset],
                    html=_inline(match.group("text").strip()),
                )
            )
    return found


def text_outcomes(text: str) -> list[Outcome]:
    """The action items and decisions of a note, in the order they are written.

    Texts too costly to render (notes/rendering.py) have none: nobody sees them rendered.
    Long texts' results are cached by their digest, like their rendering.
    """
    if not text or not markdown_renderable(text):
        return []
    lowered = text.lower()
    if "[" not in text and "decision" not in lowered and "outcome" not in lowered:
        return []  # most notes: no need to parse
    if len(text) < _CACHE_MIN_CHARS:
        return _scan(text)
    key = "notes.outcomes.2." + hashlib.blake2b(text.encode(), digest_size=20).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _scan(text)
        cache.set(key, found, _CACHE_SECONDS)
    return found


def text_tasks(text: str) -> list[Outcome]:
    """The checklist items of a note, in the order their checkboxes are rendered."""
    return [outcome for outcome in text_outcomes(text) if outcome.kind == "action"]


class TaskMoved(Exception):
    """The item is not where the reader saw it, and not found unambiguously elsewhere."""


@dataclass(frozen=True)
class TextEdit:
    """Replace `length` characters at `index` (Python string indices) with `insert`."""

    index: int
    length: int
    insert: str


def task_key(source: str) -> str:
    """A short fingerprint of a checklist item's line, the same ticked or not: what a
    page hands its reader to name an item (a digest, so a page never repeats the text
    outside the rendered note)."""
    return hashlib.blake2b(_unticked(source).encode(), digest_size=8).hexdigest()


def task_toggle(text: str, *, line: int, key: str, done: bool) -> TextEdit | None:
    """The edit that ticks (`done`) or unticks the checklist item a reader saw on `line`
    with the fingerprint `key` (`task_key`). None when it already is as asked.

    The text may have changed since the reader's page was rendered: the item is looked
    for at `line`, else as the one item with that fingerprint; otherwise `TaskMoved`.
    The edit replaces the one character between the brackets, so anything typed
    meanwhile anywhere else, even on the same line, is kept.
    """
    tasks = text_tasks(text)
    task = next((t for t in tasks if t.line == line and task_key(t.source) == key), None)
    if task is None:
        same = [t for t in tasks if task_key(t.source) == key]
        if len(same) != 1:
            raise TaskMoved(f"line {line}")
        task = same[0]
    if task.done == done:
        return None
    start = sum(len(part) + 1 for part in text.split("\n")[: task.line - 1])
    # Before the marker come only list and quote markers and spaces: no "[".
    index = start + task.source.index("[") + 1
    return TextEdit(index=index, length=1, insert="x" if done else " ")


def _unticked(line: str) -> str:
    """The line with its checkbox unticked (the first "[" is the marker's)."""
    at = line.find("[")
    if at < 0 or at + 2 >= len(line):
        return line
    return line[: at + 1] + " " + line[at + 2 :]
