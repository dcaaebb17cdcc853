"""Org → Markdown: Org bodies to blocks (a line reader, one step per kind of line),
and Org inline markup to Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .blocks import Code, Heading, Html, ListBlock, ListItem, Paragraph, Quote, Rule, Table
from .markdown import _md_code, _md_escape, _md_parser, _md_url, render_markdown

# ------------------------------------------------------------------ Org input

_ORG_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?P<bullet>[-+])|(?P<star>(?<=[ \t])\*)|(?P<num>\d+)(?P<delim>[.)]))"
    r"(?:[ \t]+(?P<text>.*))?$"
)
_ORG_BLOCK_BEGIN = re.compile(r"^[ \t]*#\+begin_(?P<kind>\w+)(?:[ \t]+(?P<args>.*))?$", re.I)
_ORG_RULE = re.compile(r"^[ \t]*-{5,}[ \t]*$")
_ORG_COMMENT = re.compile(r"^[ \t]*#(?:[ \t](?P<text>.*))?$")
_ORG_FIXED = re.compile(r"^[ \t]*:(?:[ \t](?P<text>.*))?$")
_ORG_HEADING_LINE = re.compile(r"^(?P<stars>\*+)[ \t]+(?P<text>.*?)[ \t]*$")
_TABLE_RULE = re.compile(r"^\|[-+:| ]*\|?$")
_TABLE_COOKIE = re.compile(r"^<[lcr]?\d*>$")
# Org escapes a block line starting with "*" or "#+" with a comma (and one
# that already starts with commas before those, with one more).
_ORG_COMMA_ESCAPED = re.compile(r"^(\s*),(,*(?:\*|#\+))")
_ORG_NEEDS_COMMA = re.compile(r"^(\s*)(,*(?:\*|#\+))")

# Org lists nest at most this deep (markdown-it stops Markdown at 20 too): deeper bullets
# join the deepest list. The blocks are walked recursively, and a hostile file with a
# thousand nested bullets would otherwise exhaust Python's stack.
MAX_LIST_DEPTH = 20


def _indent(line: str) -> int:
    stripped = line.lstrip(" \t")
    return len(line[: len(line) - len(stripped)].expandtabs(8))


@dataclass
class _Open:
    indent: int
    item: ListItem


class _OrgReader:
    """Reads the lines of an Org body into blocks, one kind of line per step.

    Paragraphs are collected as lists of lines while reading (so that a wrapped
    bullet line can join its item's text) and become `Paragraph`s in `_finish`.
    """

    def __init__(self, lines: list[str], heading_offset: int) -> None:
        self.lines = lines
        self.heading_offset = heading_offset
        self.root: list = []
        self.stack: list[_Open] = []  # open list items, innermost last
        self.para: list[str] | None = None  # lines of the paragraph being read
        self.blanks = 0
        self.closed_list: ListBlock | None = None  # ended by two blank lines
        self.i = 0

    def read(self) -> list:
        steps = (
            self._heading,
            self._special_block,
            self._table,
            self._list_item,
            self._rule,
            self._comment,
            self._fixed_width,
        )
        while self.i < len(self.lines):
            line = self.lines[self.i].rstrip()
            if not line.strip():
                self._blank()
                continue
            self.blanks = 0
            if not any(step(line) for step in steps):
                self._text(line)
        return _finish(self.root, in_item=False)

    def container(self, indent: int) -> list:
        while self.stack and self.stack[-1].indent >= indent:
            self.stack.pop()
        return self.stack[-1].item.blocks if self.stack else self.root

    def _add(self, indent: int, block) -> None:
        self.container(indent).append(block)
        self.para = None

    def _blank(self) -> None:
        self.para = None
        self.blanks += 1
        if self.blanks >= 2 and self.stack:
            # Two blank lines end every list, as in Org: what follows starts anew.
            self.closed_list = self._outermost_list()
            self.stack.clear()
        self.i += 1

    def _outermost_list(self) -> ListBlock | None:
        return next((b for b in reversed(self.root) if isinstance(b, ListBlock)), None)

    def _heading(self, line: str) -> bool:
        heading = _ORG_HEADING_LINE.match(line)
        if not heading:
            return False
        self.stack.clear()
        level = max(len(heading.group("stars")) - self.heading_offset, 1)
        self.root.append(Heading(level, org_inline_to_markdown(heading.group("text"))))
        self.para = None
        self.i += 1
        return True

    def _special_block(self, line: str) -> bool:
        begin = _ORG_BLOCK_BEGIN.match(line)
        if not begin:
            return False
        indent = _indent(line)
        body, self.i = _org_block_body(self.lines, self.i + 1, begin.group("kind"), indent)
        self._add(indent, _org_special_block(begin.group("kind"), begin.group("args") or "", body))
        return True

    def _table(self, line: str) -> bool:
        if not line.strip().startswith("|"):
            return False
        indent = _indent(line)
        rows = []
        while self.i < len(self.lines) and self.lines[self.i].strip().startswith("|"):
            rows.append(self.lines[self.i].strip())
            self.i += 1
        self._add(indent, _org_table(rows))
        return True

    def _list_item(self, line: str) -> bool:
        item = _ORG_ITEM.match(line)
        if not item:
            return False
        indent = _indent(line)
        if len(self.stack) >= MAX_LIST_DEPTH and indent > self.stack[-1].indent:
            indent = self.stack[-1].indent  # too deep: a sibling of the deepest bullet
        target = self.container(indent)
        ordered = item.group("num") is not None
        last = target[-1] if target else None
        if isinstance(last, ListBlock) and last.ordered == ordered and last is not self.closed_list:
            lst = last
        else:
            lst = ListBlock(ordered=ordered, delimiter=item.group("delim") or ".")
            target.append(lst)
        new = ListItem(number=int(item.group("num")) if ordered else None)
        lst.items.append(new)
        self.stack.append(_Open(indent, new))
        text = (item.group("text") or "").strip()
        self.para = [text] if text else None
        if self.para:
            new.blocks.append(self.para)
        self.i += 1
        return True

    def _rule(self, line: str) -> bool:
        if not _ORG_RULE.match(line):
            return False
        self._add(_indent(line), Rule())
        self.i += 1
        return True

    def _comment(self, line: str) -> bool:
        comment = _ORG_COMMENT.match(line)
        if not comment or line.strip().startswith("#+"):
            return False
        self._add(_indent(line), Html(f"<!-- {(comment.group('text') or '').strip()} -->"))
        self.i += 1
        return True

    def _fixed_width(self, line: str) -> bool:
        if not _ORG_FIXED.match(line):
            return False
        indent = _indent(line)
        text_lines = []
        while self.i < len(self.lines) and (m := _ORG_FIXED.match(self.lines[self.i].rstrip())):
            text_lines.append((m.group("text") or "") + "\n")
            self.i += 1
        self._add(indent, Code("", "".join(text_lines)))
        return True

    def _text(self, line: str) -> None:
        # Plain text continues the open paragraph when it belongs to the same
        # container (a wrapped bullet line is indented past its bullet).
        target = self.container(_indent(line))
        stripped = line.strip()
        if self.para is not None and target and target[-1] is self.para:
            self.para.append(stripped)
        else:
            self.para = [stripped]
            target.append(self.para)
        self.i += 1


def org_blocks(lines: list[str], *, heading_offset: int = 0) -> list:
    """Blocks from an Org body; a heading line of n stars becomes level n - offset."""
    return _OrgReader(lines, heading_offset).read()


def _finish(blocks: list, *, in_item: bool) -> list:
    """Turn collected paragraph line lists into Paragraphs; drop blank bullets."""
    out = []
    for block in blocks:
        if isinstance(block, list):
            out.append(Paragraph(org_inline_to_markdown(_join_lines(block, in_item=in_item))))
        elif isinstance(block, ListBlock):
            items = []
            for item in block.items:
                item.blocks = _finish(item.blocks, in_item=True)
                if item.blocks:  # a bullet with nothing in it is dropped
                    items.append(item)
            if items:
                block.items = items
                out.append(block)
        elif isinstance(block, Quote):
            block.blocks = _finish(block.blocks, in_item=False)
            out.append(block)
        else:
            out.append(block)
    return out


def _join_lines(lines: list[str], *, in_item: bool) -> str:
    """A list item's wrapped lines are one line, except after an Org line break."""
    if not in_item:
        return "\n".join(lines)
    text = lines[0]
    for line in lines[1:]:
        text += ("\n" if text.endswith("\\\\") else " ") + line
    return text


def _org_block_body(lines, i, kind, indent) -> tuple[list[str], int]:
    end = re.compile(rf"^[ \t]*#\+end_{re.escape(kind)}[ \t]*$", re.I)
    body = []
    while i < len(lines) and not end.match(lines[i]):
        body.append(lines[i])
        i += 1
    return _dedent(body, indent), i + 1


def _dedent(lines: list[str], indent: int) -> list[str]:
    out = []
    for line in lines:
        expanded = line.expandtabs(8) if line[:1] in (" ", "\t") else line
        cut = min(indent, _indent(expanded))
        out.append(expanded[cut:])
    return out


def _org_special_block(kind: str, args: str, body: list[str]):
    kind = kind.lower()
    if kind == "quote":
        return Quote(org_blocks(body))
    if kind == "export" and args.strip().lower() in ("html", "markdown", "md"):
        return Html("\n".join(body))
    text = "".join(_ORG_COMMA_ESCAPED.sub(r"\1\2", line) + "\n" for line in body)
    # The language and what follows it, up to Org's own ":header arguments".
    info = re.split(r"\s+:", args.strip(), maxsplit=1)[0].strip() if kind == "src" else ""
    return Code(info, text)


def _org_table(rows: list[str]) -> Table:
    cells: list[list[str]] = []
    aligns: list[str] | None = None
    for row in rows:
        if _TABLE_RULE.match(row) and "-" in row:
            continue
        parts = [c.strip() for c in row.strip().strip("|").split("|")]
        if all(_TABLE_COOKIE.match(p) or not p for p in parts) and any(parts):
            aligns = [{"l": "left", "c": "center", "r": "right"}.get(p[1:2], "") for p in parts]
            continue
        cells.append([_cell_to_markdown(p) for p in parts])
    width = max((len(r) for r in cells), default=0)
    cells = [r + [""] * (width - len(r)) for r in cells]
    aligns = (aligns or []) + [""] * (width - len(aligns or []))
    header, rows_ = (cells[:1], cells[1:]) if cells else ([[]], [])
    return Table(aligns=aligns[:width], header=header[0], rows=rows_)


def _cell_to_markdown(cell: str) -> str:
    return org_inline_to_markdown(cell.replace("\\vert{}", "|")).replace("|", "\\|")


# ------------------------------------------------------ Org inline → Markdown

# Org's emphasis needs these around its markers (Org's default
# `org-emphasis-regexp-components`); a zero-width space is none of them, which
# is how it keeps "*" or "+" from opening emphasis.
_PRE_CHARS = "-('\"{"
_POST_CHARS = "-.,:!?;'\")}[\\"
_PRE = rf"(?<![^\s{re.escape(_PRE_CHARS)}])"
_POST = rf"(?=[\s{re.escape(_POST_CHARS)}]|$)"
_ORG_INLINE = re.compile(
    r"\[\[(?P<url>[^\]\n]+)\](?:\[(?P<desc>[^\]]+)\])?\]"
    r"|@@(?P<backend>[\w-]+):(?P<snippet>.*?)@@"
    rf"|{_PRE}(?P<cm>[=~])(?P<code>\S|\S[^\n]*?\S)(?P=cm){_POST}"
    rf"|{_PRE}(?P<em>[*/+])(?P<body>[^\s*/+]|[^\s][^\n]*?[^\s])(?P=em){_POST}"
    r"|(?P<brk>\\\\)$",
    re.M,
)
_EMPH_MD = {"*": "**", "/": "*", "+": "~~"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def org_inline_to_markdown(text: str) -> str:
    """Org inline markup → Markdown (links, emphasis, code, snippets, line breaks).

    Plain text is escaped only as far as Markdown needs: a "*" or "_" that
    CommonMark would not read as emphasis anyway stays as written.
    """
    full = _org_inline(text, minimal=False)
    if not re.search(r"\\[*_~]", full):
        return full
    minimal = _org_inline(text, minimal=True)
    if minimal == full or _render_inline(minimal) == _render_inline(full):
        return minimal
    return full


def _render_inline(markdown: str) -> str:
    return _md_parser().renderInline(markdown)


def _org_inline(text: str, *, minimal: bool) -> str:
    out = []
    pos = 0
    for m in _ORG_INLINE.finditer(text):
        at_line_start = pos == 0 or text[pos - 1] == "\n"
        out.append(_md_escape(text[pos : m.start()], line_start=at_line_start, minimal=minimal))
        pos = m.end()
        if m.group("url"):
            url, desc = m.group("url"), m.group("desc")
            if desc is None:
                out.append(f"<{url}>" if _SCHEME.match(url) else f"[{url}]({_md_url(url)})")
            else:
                out.append(f"[{_org_inline(desc, minimal=minimal)}]({_md_url(url)})")
        elif m.group("backend"):
            out.append(m.group("snippet"))
        elif m.group("cm"):
            out.append(_md_code(m.group("code")))
        elif m.group("em"):
            mark = _EMPH_MD[m.group("em")]
            out.append(mark + _org_inline(m.group("body"), minimal=minimal) + mark)
        else:
            out.append("\\")
    at_line_start = pos == 0 or text[pos - 1] == "\n"
    out.append(_md_escape(text[pos:], line_start=at_line_start, minimal=minimal))
    return "".join(out)


def org_to_markdown(text: str, *, heading_offset: int = 0) -> str:
    return render_markdown(org_blocks(text.split("\n"), heading_offset=heading_offset))
