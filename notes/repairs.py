"""Repairs of Markdown written in a hurry, before it is read as an outline.

Each repair keeps what the writer meant and says where it did so:

- ``#Title`` with no space (a pre-CommonMark habit) is a heading;
- bullets indented with tabs keep their depth (CommonMark would read a tab
  before a bullet as code, or put a deeper bullet at the wrong depth);
- a lone ``-`` under a line of text is an empty bullet, not a setext underline
  that would turn the line above into a heading;
- YAML front matter (``---`` … ``---``) is read for its values and left out.

The lines keep their source line numbers (`Source.origin`) through repairs
that drop lines, so that warnings and sections name the line in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")


@dataclass
class Source:
    """Markdown lines being repaired, each with the source line it came from."""

    lines: list[str]
    origin: list[int]  # 1-based source line of each line
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (source line, message)

    def warn(self, index: int, message: str) -> None:
        self.warnings.append((self.origin[index], message))

    def drop(self, indexes: set[int]) -> None:
        self.lines = [line for i, line in enumerate(self.lines) if i not in indexes]
        self.origin = [n for i, n in enumerate(self.origin) if i not in indexes]


_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_FRONT_MATTER_LINE = re.compile(r"^(?:[\w-]+[ \t]*:.*|[ \t]+.*|[ \t]*-[ \t].*|)$")


def _fenced(lines: list[str]) -> list[bool]:
    """Whether each line is inside (or opens or closes) a fenced code block."""
    inside: list[bool] = []
    fence = ""
    for line in lines:
        m = _FENCE.match(line)
        if fence:
            inside.append(True)
            closes = m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
            if closes and not line.strip()[len(m.group(1)) :].strip():
                fence = ""
        elif m:
            fence = m.group(1)
            inside.append(True)
        else:
            inside.append(False)
    return inside


def front_matter(source: Source) -> tuple[dict[str, str], tuple[int, int] | None]:
    lines = source.lines
    if not lines or lines[0].strip() != "---":
        return {}, None
    for end in range(1, min(len(lines), 80)):
        if lines[end].strip() in ("---", "..."):
            inner = lines[1:end]
            if not all(_FRONT_MATTER_LINE.match(line) for line in inner):
                return {}, None
            values = {}
            for line in inner:
                key, sep, value = line.partition(":")
                if sep and not line[:1].isspace() and key.strip():
                    values[key.strip().lower()] = value.strip().strip("\"'")
            if not values:
                return {}, None
            span = (source.origin[0], source.origin[end])
            source.drop(set(range(end + 1)))
            return values, span
    return {}, None


_SLOPPY_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[^\s#\d!])")


def repair_sloppy_headings(source: Source) -> None:
    fenced = _fenced(source.lines)
    previous = ""
    for index, line in enumerate(source.lines):
        at_block_start = not previous.strip() or ATX.match(previous)
        m = _SLOPPY_HEADING.match(line)
        if m and at_block_start and not fenced[index]:
            fixed = f"{m.group(1)}{m.group(2)} {line[m.end() :]}"
            source.lines[index] = fixed
            source.warn(index, f"“{line.strip()}” read as a heading; write “{fixed.strip()}”")
            line = fixed
        previous = line


_LIST_LINE = re.compile(r"^(?P<ws>[ \t]*)(?P<marker>[-+*]|\d{1,9}[.)])(?:[ \t]+(?P<rest>.*)|$)")


def _width(whitespace: str) -> int:
    return len(whitespace.expandtabs(4))


def repair_tab_lists(source: Source) -> None:
    """Re-indent lists whose bullets are indented with tabs, depth for depth."""
    lines = source.lines
    fenced = _fenced(lines)
    i = 0
    while i < len(lines):
        if fenced[i] or not _LIST_LINE.match(lines[i]):
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not fenced[end]:
            line = lines[end]
            if line.strip() and not (
                _LIST_LINE.match(line) or line[:1] in (" ", "\t") or lines[end - 1].strip()
            ):
                break
            end += 1
        run = range(i, end)
        if any("\t" in (m.group("ws") if (m := _LIST_LINE.match(lines[k])) else "") for k in run):
            _reindent(lines, run)
        i = end


def _reindent(lines: list[str], run: range) -> None:
    stack: list[tuple[int, int]] = []  # (source width, content column) of open items
    previous_blank = True
    for k in run:
        line = lines[k]
        if not line.strip():
            previous_blank = True
            continue
        whitespace = line[: len(line) - len(line.lstrip(" \t"))]
        width = _width(whitespace)
        m = _LIST_LINE.match(line)
        # A text line right after another continues the innermost item's paragraph,
        # whatever its indentation (CommonMark's lazy continuation).
        if m or previous_blank:
            while stack and stack[-1][0] >= width:
                stack.pop()
        previous_blank = False
        if m:
            indent = stack[-1][1] if stack else 0
            marker = m.group("marker")
            rest = m.group("rest") or ""
            lines[k] = (" " * indent + marker + (" " + rest if rest else "")).rstrip()
            stack.append((width, indent + len(marker) + 1))
        elif stack:
            lines[k] = " " * stack[-1][1] + line.lstrip(" \t")


def repair_lone_dashes(source: Source, tokens) -> bool:
    """Drop a lone "-" that CommonMark would read as a heading underline."""
    drop = set()
    for tok in tokens:
        if tok.type == "heading_open" and tok.markup == "-" and tok.map:
            underline = tok.map[1] - 1
            if source.lines[underline].strip() == "-":
                drop.add(underline)
                source.warn(
                    underline,
                    "a lone “-” under a line is read as an empty bullet, not as a heading underline",
                )
    if drop:
        source.drop(drop)
    return bool(drop)
