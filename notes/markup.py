"""Org-mode ↔ Markdown conversion of note bodies, through one small block model.

Both directions go through the same blocks (paragraph, heading, list, code,
quote, table, rule, raw HTML). Markdown → Org → Markdown gives back the very
same bytes for a note in canonical form (the form `render_markdown` writes):

- bullets are ``-`` (``*`` for a list right after another bullet list, which
  CommonMark would otherwise merge), nested two spaces per level (an ordered
  item's children are indented by its marker's width, as CommonMark requires);
- a list item's wrapped lines are joined into one line;
- blocks are separated by one blank line; code is fenced.

Inline Markdown is kept as written on the Markdown side. On the Org side, the
writer checks every paragraph, item, heading and table cell by reading it back:
what Org cannot say exactly (intraword emphasis, ``_emphasis_``, link titles,
entities) is written as an Org export snippet ``@@markdown:…@@``, which the
reader returns untouched. Everything else is plain Org that Org users can read.

Markdown is read with markdown-it-py tokens (CommonMark + GFM tables and
strikethrough). Org is read by a small line parser: Org's structure is
line-based and we need every source line's number and raw text, which
orgparse's node API does not give for list items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

ZWSP = "\u200b"  # Org's documented escape: breaks emphasis and structure markers.


# ---------------------------------------------------------------- block model


@dataclass
class Paragraph:
    text: str  # inline Markdown; "\n" separates source lines


@dataclass
class Heading:
    level: int  # 1 = the item's own title level; a note's sub-headings start at 2
    text: str


@dataclass
class ListItem:
    number: int | None  # None for a bullet
    blocks: list = field(default_factory=list)


@dataclass
class ListBlock:
    ordered: bool
    delimiter: str = "."  # "." or ")" for ordered lists
    items: list[ListItem] = field(default_factory=list)


@dataclass
class Code:
    info: str
    text: str  # ends with "\n" unless empty


@dataclass
class Quote:
    blocks: list


@dataclass
class Table:
    aligns: list[str]  # "", "left", "center", "right" per column
    header: list[str]
    rows: list[list[str]]


@dataclass
class Rule:
    pass


@dataclass
class Html:
    text: str  # raw, ends without "\n"


Block = Paragraph | Heading | ListBlock | Code | Quote | Table | Rule | Html


# ------------------------------------- layout shared by the Markdown and Org writers
# Both writers lay out blocks and list items alike; they differ in how one block
# (`write_block(block, offset) -> lines`) and an item's first lines are written.


def _text(lines: list[str]) -> str:
    return "\n".join(lines).rstrip() + ("\n" if lines else "")


def _blocks_lines(blocks: list, write_block, offset: int) -> list[str]:
    """The blocks' lines, one blank line between two blocks."""
    out: list[str] = []
    previous = None
    for block in blocks:
        if out:
            out.append("")
        out.extend(write_block(block, offset, previous))
        previous = block
    return out


def _marker(block: ListBlock, item: ListItem, previous) -> str:
    """An item's marker. Two lists in a row need different markers, or CommonMark
    reads them as one: the second bullet list uses "*", the second ordered ")"."""
    after_twin = isinstance(previous, ListBlock) and previous.ordered == block.ordered
    if block.ordered:
        delimiter = block.delimiter
        if after_twin and previous.delimiter == delimiter:
            delimiter = ")" if delimiter == "." else "."
        return f"{item.number}{delimiter} "
    return "* " if after_twin else "- "


def _list_lines(block: ListBlock, write_item, offset: int, previous) -> list[str]:
    out = []
    for item in block.items:
        out.extend(write_item(item, _marker(block, item, previous), offset))
    return out


def _item_lines(marker: str, first: list[str], blocks: list, write_block, offset: int) -> list[str]:
    """A list item: its text's lines `first` after the marker, then its other blocks,
    all indented by the marker's width."""
    pad = " " * len(marker)
    out = [(marker + first[0]).rstrip()] if first else [marker.rstrip()]
    out.extend(pad + line if line else "" for line in first[1:])
    previous_tight = True
    previous = None
    for block in blocks:
        # A list right under the item's text stays tight; anything else gets a
        # blank line, exactly as `_blocks_lines` separates blocks.
        if not (previous_tight and isinstance(block, ListBlock) and first):
            out.append("")
        out.extend(pad + line if line else "" for line in write_block(block, offset, previous))
        previous_tight = False
        previous = block
    return out


def _closing(tokens: list[Token], i: int) -> int:
    """Index of the token closing the one opened at `i` (block or inline tokens)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


# ------------------------------------------------------------ Markdown output


def render_markdown(blocks: list, *, heading_offset: int = 0) -> str:
    """Canonical Markdown for `blocks`; headings are shifted by `heading_offset`."""
    return _text(_blocks_lines(blocks, _md_block, heading_offset))


def _md_block(block, offset: int, previous=None) -> list[str]:
    if isinstance(block, Paragraph):
        return block.text.split("\n")
    if isinstance(block, Heading):
        return ["#" * min(block.level + offset, 6) + " " + block.text]
    if isinstance(block, ListBlock):
        return _list_lines(block, _md_item, offset, previous)
    if isinstance(block, Code):
        fence = "```"
        while fence in block.text:
            fence += "`"
        return [fence + block.info, *block.text.splitlines(), fence]
    if isinstance(block, Quote):
        return [("> " + line).rstrip() for line in _blocks_lines(block.blocks, _md_block, offset)]
    if isinstance(block, Table):
        return _md_table(block)
    if isinstance(block, Rule):
        return ["---"]
    if isinstance(block, Html):
        return block.text.split("\n")
    raise TypeError(block)


def _md_item(item: ListItem, marker: str, offset: int) -> list[str]:
    blocks = item.blocks
    first: list[str] = []
    if blocks and isinstance(blocks[0], Paragraph):
        first = blocks[0].text.split("\n")
        blocks = blocks[1:]
    return _item_lines(marker, first, blocks, _md_block, offset)


_ALIGN_MD = {"": "---", "left": ":---", "center": ":---:", "right": "---:"}


def _md_table(table: Table) -> list[str]:
    def row(cells):
        cells = list(cells)
        cells += [""] * (len(table.aligns) - len(cells))
        return "| " + " | ".join(cells) + " |"

    return [
        row(table.header),
        row(_ALIGN_MD[a] for a in table.aligns),
        *(row(r) for r in table.rows),
    ]


# ------------------------------------------------------------- Markdown input


@cache
def _md_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def markdown_tokens(text: str) -> list[Token]:
    return _md_parser().parse(text)


def markdown_blocks(tokens: list[Token], *, heading_base: int = 0) -> list:
    """Blocks from a run of block tokens (a whole note, or a section's body).

    `heading_base` is subtracted from heading levels so that a heading one
    level below the item's becomes level 2.
    """
    blocks, _ = _md_read(tokens, 0, len(tokens), heading_base, in_item=False)
    return blocks


def _md_read(tokens, i, end, base, *, in_item):
    blocks: list = []
    while i < end:
        tok = tokens[i]
        kind = tok.type
        if kind == "paragraph_open":
            text = tokens[i + 1].content
            if in_item:
                text = _join_wrapped(text)
            blocks.append(Paragraph(text))
            i += 3
        elif kind == "heading_open":
            level = int(tok.tag[1:]) - base
            blocks.append(Heading(max(level, 1), tokens[i + 1].content))
            i += 3
        elif kind in ("bullet_list_open", "ordered_list_open"):
            close = _closing(tokens, i)
            blocks.append(_md_list(tokens, i, close, base))
            i = close + 1
        elif kind == "blockquote_open":
            close = _closing(tokens, i)
            inner, _ = _md_read(tokens, i + 1, close, base, in_item=False)
            blocks.append(Quote(inner))
            i = close + 1
        elif kind == "fence":
            blocks.append(Code(tok.info.strip(), tok.content))
            i += 1
        elif kind == "code_block":
            blocks.append(Code("", tok.content))
            i += 1
        elif kind == "table_open":
            close = _closing(tokens, i)
            blocks.append(_md_table_block(tokens, i, close))
            i = close + 1
        elif kind == "hr":
            blocks.append(Rule())
            i += 1
        elif kind == "html_block":
            blocks.append(Html(tok.content.rstrip("\n")))
            i += 1
        else:
            i += 1
    return blocks, i


def _md_list(tokens, i, close, base) -> ListBlock:
    opening = tokens[i]
    ordered = opening.type == "ordered_list_open"
    lst = ListBlock(ordered=ordered, delimiter=opening.markup if ordered else ".")
    j = i + 1
    while j < close:
        if tokens[j].type == "list_item_open":
            item_close = _closing(tokens, j)
            number = int(tokens[j].info) if ordered and tokens[j].info else None
            inner, _ = _md_read(tokens, j + 1, item_close, base, in_item=True)
            lst.items.append(ListItem(number=number, blocks=inner))
            j = item_close + 1
        else:
            j += 1
    return lst


def _md_table_block(tokens, i, close) -> Table:
    header: list[str] = []
    rows: list[list[str]] = []
    aligns: list[str] = []
    current: list[str] | None = None
    in_head = False
    for tok in tokens[i:close]:
        if tok.type == "thead_open":
            in_head = True
        elif tok.type == "thead_close":
            in_head = False
        elif tok.type == "tr_open":
            current = []
        elif tok.type == "tr_close":
            if in_head:
                header = current or []
            else:
                rows.append(current or [])
        elif tok.type == "th_open":
            style = tok.attrs.get("style", "")
            aligns.append(str(style).removeprefix("text-align:"))
        elif tok.type == "inline" and current is not None:
            current.append(tok.content.replace("|", "\\|"))
    return Table(aligns=aligns, header=header, rows=rows)


def _join_wrapped(text: str) -> str:
    """A list item's wrapped lines become one line; hard breaks are kept."""
    lines = text.split("\n")
    out = lines[0]
    for line in lines[1:]:
        if out.endswith("\\") or out.endswith("  "):
            out += "\n" + line
        else:
            out += " " + line
    return out


def markdown_canonical(text: str) -> str:
    """Canonical form of a Markdown note (idempotent)."""
    return render_markdown(markdown_blocks(markdown_tokens(text), heading_base=0))


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


def _md_url(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def _md_code(code: str) -> str:
    ticks = "`"
    while ticks in code:
        ticks += "`"
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    return f"{ticks}{pad}{code}{pad}{ticks}"


_MD_LINE_START = re.compile(
    r"^(?:#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|=+\s*$|-+\s*$|(\d+)(?=[.)](?:\s|$)))"
)


def markdown_escape(text: str) -> str:
    """Plain text as Markdown inline source that renders as that text."""
    return _md_escape(text, line_start=True, minimal=False)


def _md_escape(text: str, *, line_start: bool, minimal: bool) -> str:
    """Escape what Markdown would read as markup in Org plain text (and no more).

    With `minimal`, "*", "_" and "~~" are left alone: the caller checks that
    the result still renders as plain text.
    """
    if not text:
        return text
    text = text.replace(ZWSP, "")
    text = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)
    text = text.replace("`", "\\`")
    if not minimal:
        text = re.sub(r"(?<!\s)\*|\*(?!\s|$)", r"\\*", text)
        text = re.sub(
            r"(?<![\w\\])_|_(?!\w)", lambda m: m.group(0) if _lonely(text, m) else r"\_", text
        )
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    text = re.sub(r"\](?=[(\[])", r"\\]", text)
    if not minimal:
        text = text.replace("~~", "\\~\\~")
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if index == 0 and not line_start:
            continue
        m = _MD_LINE_START.match(line)
        if m:
            lines[index] = line[: m.end(1)] + "\\" + line[m.end(1) :] if m.group(1) else "\\" + line
    return "\n".join(lines)


def _lonely(text: str, m: re.Match) -> bool:
    before = text[m.start() - 1] if m.start() else " "
    after = text[m.end()] if m.end() < len(text) else " "
    return before.isspace() and after.isspace()


# ----------------------------------------------------------------- Org output


def render_org(blocks: list, *, heading_offset: int = 0) -> str:
    """Org text for `blocks`; a heading of level n gets n + `heading_offset` stars."""
    return _text(_blocks_lines(blocks, _org_block, heading_offset))


def markdown_to_org(text: str, *, heading_offset: int = 0) -> str:
    return render_org(markdown_blocks(markdown_tokens(text)), heading_offset=heading_offset)


def org_to_markdown(text: str, *, heading_offset: int = 0) -> str:
    return render_markdown(org_blocks(text.split("\n"), heading_offset=heading_offset))


def _org_block(block, offset: int, previous=None) -> list[str]:
    if isinstance(block, Paragraph):
        return _org_protect_lines(org_inline_exact(block.text).split("\n"))
    if isinstance(block, Heading):
        return ["*" * (block.level + offset) + " " + org_inline_exact(block.text)]
    if isinstance(block, ListBlock):
        lines = _list_lines(block, _org_item, offset, None)
        # One blank line does not end an Org list: two do.
        return ["", *lines] if isinstance(previous, ListBlock) else lines
    if isinstance(block, Code):
        body = [_ORG_NEEDS_COMMA.sub(r"\1,\2", line) for line in block.text.splitlines()]
        if block.info:
            return [f"#+BEGIN_SRC {block.info}", *body, "#+END_SRC"]
        return ["#+BEGIN_EXAMPLE", *body, "#+END_EXAMPLE"]
    if isinstance(block, Quote):
        return ["#+BEGIN_QUOTE", *_blocks_lines(block.blocks, _org_block, offset), "#+END_QUOTE"]
    if isinstance(block, Table):
        return _org_table_out(block)
    if isinstance(block, Rule):
        return ["-----"]
    if isinstance(block, Html):
        comment = re.fullmatch(r"<!-- (.*?) -->", block.text)
        if comment and "\n" not in block.text and comment.group(1).strip() == comment.group(1):
            return [f"# {comment.group(1)}"]
        return ["#+BEGIN_EXPORT html", *block.text.split("\n"), "#+END_EXPORT"]
    raise TypeError(block)


def _org_item(item: ListItem, marker: str, offset: int) -> list[str]:
    blocks = item.blocks
    first: list[str] = []
    if blocks and isinstance(blocks[0], Paragraph):
        first = org_inline_exact(blocks[0].text, in_item=True).split("\n")
        first = [first[0], *_org_protect_lines(first[1:])]
        blocks = blocks[1:]
    if first and _ORG_ITEM_TEXT_NEEDS_GUARD.match(first[0]):
        first[0] = ZWSP + first[0]
    # Org has no "*" bullets for a second list in a row: "-" it is.
    return _item_lines(marker.replace("*", "-"), first, blocks, _org_block, offset)


# An item whose text starts like a block or table would be misread by Org.
_ORG_ITEM_TEXT_NEEDS_GUARD = re.compile(r"^(?:#\+|\||-{5,}|:(?:\s|$))")
_ORG_LINE_NEEDS_GUARD = re.compile(
    r"^(?:\*+(?:\s|$)|#(?:\s|$|\+)|\||:(?:\s|$)|-{5,}|[-+](?:\s|$)|\d+[.)](?:\s|$))"
)


def _org_protect_lines(lines: list[str]) -> list[str]:
    return [ZWSP + line if _ORG_LINE_NEEDS_GUARD.match(line) else line for line in lines]


_ALIGN_ORG = {"left": "<l>", "center": "<c>", "right": "<r>"}


def _org_cell(markdown: str) -> str:
    """A Markdown table cell as an Org cell that reads back as the same Markdown."""

    def to_org(md: str) -> str:
        return markdown_inline_to_org(md.replace("\\|", "|")).replace("|", "\\vert{}")

    org = to_org(markdown)
    if _cell_to_markdown(org) == markdown:
        return org
    snippet = "@@markdown:" + markdown.replace("\\|", "\\vert{}") + "@@"
    return snippet if _cell_to_markdown(snippet) == markdown else org


def _org_table_out(table: Table) -> list[str]:
    def line(row):
        row = list(row)
        row += [""] * (len(table.aligns) - len(row))
        return "| " + " | ".join(row) + " |"

    out = [line(map(_org_cell, table.header)), "|" + "+".join("---" for _ in table.aligns) + "|"]
    if any(table.aligns):
        out.append(line(_ALIGN_ORG.get(a, "") for a in table.aligns))
    out.extend(line(map(_org_cell, row)) for row in table.rows)
    return out


# ------------------------------------------------------ Markdown inline → Org

_EMPH_ORG = {"strong": "*", "em": "/", "s": "+"}
_ORG_MARKUP_RISK = re.compile(
    rf"{_PRE}(?=[*/+=~]\S)|(?<=\[)(?=\[)|(?<=@)(?=@)"  # would open emphasis, a link, a snippet
)


def org_inline_exact(markdown: str, *, in_item: bool = False) -> str:
    """Org for inline Markdown that `org_inline_to_markdown` turns back into the
    same Markdown: plain Org where Org can say it, else one
    ``@@markdown:…@@`` snippet per line (a hard break stays an Org break)."""
    org = markdown_inline_to_org(markdown)
    if _org_reads_back(org, in_item=in_item) == markdown:
        return org
    lines = markdown.split("\n")
    snippets = []
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if not last and line.endswith("\\") and in_item:
            snippets.append(f"@@markdown:{line[:-1]}@@\\\\")
        else:
            snippets.append(f"@@markdown:{line}@@" if line else "")
    org_snippets = "\n".join(snippets)
    if "@@" in markdown.replace("\n", ""):
        return org  # a snippet cannot hold "@@": the closest Org will do
    return org_snippets


def _org_reads_back(org: str, *, in_item: bool) -> str:
    if in_item:
        return org_inline_to_markdown(_join_lines(org.split("\n"), in_item=True))
    return org_inline_to_markdown(org)


def markdown_inline_to_org(text: str) -> str:
    tokens = _md_parser().parseInline(text)[0].children or []
    return _join_org_pieces(_org_pieces(tokens, 0, len(tokens)))


@dataclass
class _Piece:
    text: str
    # For a piece that starts and ends with an Org emphasis or verbatim marker:
    # its Markdown, written as a snippet where Org would not read the markers.
    markdown: str | None = None


def _org_pieces(tokens, i, end) -> list[_Piece]:
    out: list[_Piece] = []
    while i < end:
        tok = tokens[i]
        kind = tok.type
        if kind == "text":
            out.append(_Piece(_ORG_MARKUP_RISK.sub(ZWSP, tok.content)))
        elif kind == "softbreak":
            out.append(_Piece("\n"))
        elif kind == "hardbreak":
            out.append(_Piece("\\\\\n"))
        elif kind == "code_inline":
            out.append(_org_code(tok.content))
        elif kind.endswith("_open") and kind[:-5] in _EMPH_ORG:
            close = _closing(tokens, i)
            inner = _join_org_pieces(_org_pieces(tokens, i + 1, close))
            markdown = tok.markup + org_inline_to_markdown(inner) + tok.markup
            if tok.markup.startswith("_"):
                # Org has one way to write emphasis: keep "_em_" as Markdown.
                out.append(_Piece(f"@@markdown:{markdown}@@"))
            else:
                mark = _EMPH_ORG[kind[:-5]]
                out.append(_Piece(mark + inner + mark, markdown=markdown))
            i = close
        elif kind == "link_open":
            close = _closing(tokens, i)
            out.append(_org_link(tok, _join_org_pieces(_org_pieces(tokens, i + 1, close))))
            i = close
        elif kind == "image":
            title = tok.attrs.get("title")
            suffix = f' "{title}"' if title else ""
            out.append(_Piece(f"@@markdown:![{tok.content}]({tok.attrs.get('src', '')}{suffix})@@"))
        elif kind == "html_inline":
            out.append(_Piece(f"@@html:{tok.content}@@"))
        i += 1
    return out


def _org_link(tok: Token, description: str) -> _Piece:
    href = tok.attrs.get("href", "")
    if tok.markup == "autolink":
        return _Piece(f"[[{href}]]")
    if tok.attrs.get("title") is not None:
        # Org links have no title: keep the whole link as Markdown.
        title = str(tok.attrs["title"]).replace('"', '\\"')
        desc = org_inline_to_markdown(description)
        return _Piece(f'@@markdown:[{desc}]({_md_url(str(href))} "{title}")@@')
    return _Piece(f"[[{href}][{description}]]")


def _join_org_pieces(pieces: list[_Piece]) -> str:
    """Concatenate. Org reads emphasis and verbatim markers only next to a space or
    some punctuation: a marked piece touching anything else ("=a=/=b=", the "*b-4*"
    of "b*b-4*a") is written as its Markdown, in a snippet."""
    out = ""
    for index, piece in enumerate(pieces):
        text = piece.text
        if piece.markdown is not None:
            following = pieces[index + 1].text[:1] if index + 1 < len(pieces) else ""
            if (out and not _org_border(out[-1], before=True)) or (
                following and not _org_border(following, before=False)
            ):
                text = f"@@markdown:{piece.markdown}@@"
        out += text
    return out


def _org_border(char: str, *, before: bool) -> bool:
    return char.isspace() or char in (_PRE_CHARS if before else _POST_CHARS)


def _org_code(code: str) -> _Piece:
    for mark in "=~":
        if code and mark not in code and code == code.strip():
            return _Piece(f"{mark}{code}{mark}", markdown=_md_code(code))
    return _Piece(f"@@markdown:{_md_code(code)}@@")
