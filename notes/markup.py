"""Org-mode ↔ Markdown conversion of note bodies, through one small block model.

Both directions go through the same blocks (paragraph, heading, list, code,
quote, table, rule, raw HTML) so that a note survives Markdown → Org → Markdown
unchanged once it is in canonical form (the form `org_to_markdown` and
`markdown_canonical` write):

- bullets are ``-``, nested two spaces per level (an ordered item's children
  are indented by its marker's width, as CommonMark requires);
- a list item's wrapped lines are joined into one line;
- blocks are separated by one blank line; code is fenced.

Markdown is read with markdown-it-py tokens (CommonMark + GFM tables and
strikethrough); inline Markdown is kept as written. Org is read by a small line
parser: Org's structure is line-based and we need every source line's number
and raw text, which orgparse's node API does not give for list items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .rendering import MAX_NESTING, markdown_renderable

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
    for block in blocks:
        if out:
            out.append("")
        out.extend(write_block(block, offset))
    return out


def _list_lines(block: ListBlock, write_item, offset: int) -> list[str]:
    out = []
    for item in block.items:
        marker = f"{item.number}{block.delimiter} " if block.ordered else "- "
        out.extend(write_item(item, marker, offset))
    return out


def _item_lines(marker: str, first: list[str], blocks: list, write_block, offset: int) -> list[str]:
    """A list item: its text's lines `first` after the marker, then its other blocks,
    all indented by the marker's width."""
    pad = " " * len(marker)
    out = [(marker + first[0]).rstrip()] if first else [marker.rstrip()]
    out.extend(pad + line if line else "" for line in first[1:])
    previous_tight = True
    for block in blocks:
        # A list right under the item's text stays tight; anything else gets a
        # blank line, exactly as `_blocks_lines` separates blocks.
        if not (previous_tight and isinstance(block, ListBlock) and first):
            out.append("")
        out.extend(pad + line if line else "" for line in write_block(block, offset))
        previous_tight = False
    return out


# ------------------------------------------------------------ Markdown output


def render_markdown(blocks: list, *, heading_offset: int = 0) -> str:
    """Canonical Markdown for `blocks`; headings are shifted by `heading_offset`."""
    return _text(_blocks_lines(blocks, _md_block, heading_offset))


def _md_block(block, offset: int) -> list[str]:
    if isinstance(block, Paragraph):
        return block.text.split("\n")
    if isinstance(block, Heading):
        return ["#" * min(block.level + offset, 6) + " " + block.text]
    if isinstance(block, ListBlock):
        return _list_lines(block, _md_item, offset)
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
    return MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING}).enable(
        ["table", "strikethrough"]
    )


@cache
def _md_block_parser() -> MarkdownIt:
    # The block model keeps inline Markdown as written (`Token.content`), so the
    # costly inline pass (see notes/rendering.py) is not run over a whole note.
    return (
        MarkdownIt("commonmark", {"html": True, "maxNesting": MAX_NESTING})
        .enable(["table", "strikethrough"])
        .disable("inline")
    )


def markdown_tokens(text: str) -> list[Token]:
    """Block tokens; their inline tokens carry `content` only (no `children`: parse
    those with `inline_tokens` where needed)."""
    return _md_block_parser().parse(text)


def inline_tokens(text: str) -> list[Token]:
    """The inline tokens of one line of inline Markdown (a heading's text)."""
    if not markdown_renderable(text):
        return [Token("text", "", 0, content=text)]
    return _md_parser().parseInline(text)[0].children or []


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


def _closing(tokens, i) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


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
_TABLE_RULE = re.compile(r"^\|[-+:| ]*\|?$")
_TABLE_COOKIE = re.compile(r"^<[lcr]?\d*>$")


def _indent(line: str) -> int:
    stripped = line.lstrip(" \t")
    return len(line[: len(line) - len(stripped)].expandtabs(8))


@dataclass
class _Open:
    indent: int
    item: ListItem


_ORG_HEADING_LINE = re.compile(r"^(?P<stars>\*+)[ \t]+(?P<text>.*?)[ \t]*$")


def org_blocks(lines: list[str], *, heading_offset: int = 0) -> list:
    """Blocks from an Org body; a heading line of n stars becomes level n - offset."""
    root: list = []
    stack: list[_Open] = []  # open list items, innermost last
    para: list[str] | None = None  # lines of the paragraph being read
    blanks = 0
    i = 0
    n = len(lines)

    def container(indent: int) -> list:
        while stack and stack[-1].indent >= indent:
            stack.pop()
        return stack[-1].item.blocks if stack else root

    while i < n:
        line = lines[i].rstrip()
        if not line.strip():
            para = None
            blanks += 1
            if blanks >= 2:
                stack.clear()  # two blank lines end every list, as in Org
            i += 1
            continue
        blanks = 0
        indent = _indent(line)
        stripped = line.strip()

        heading = _ORG_HEADING_LINE.match(line)
        if heading:
            stack.clear()
            level = max(len(heading.group("stars")) - heading_offset, 1)
            root.append(Heading(level, org_inline_to_markdown(heading.group("text"))))
            para = None
            i += 1
            continue
        begin = _ORG_BLOCK_BEGIN.match(line)
        item = None if begin else _ORG_ITEM.match(line)
        if begin:
            body, i = _org_block_body(lines, i + 1, begin.group("kind"), indent)
            container(indent).append(
                _org_special_block(begin.group("kind"), begin.group("args") or "", body)
            )
            para = None
            continue
        if stripped.startswith("|"):
            rows = []
            while i < n and lines[i].strip().startswith("|"):
                rows.append(lines[i].strip())
                i += 1
            container(indent).append(_org_table(rows))
            para = None
            continue
        if item:
            target = container(indent)
            ordered = item.group("num") is not None
            delimiter = item.group("delim") or "."
            if target and isinstance(target[-1], ListBlock) and target[-1].ordered == ordered:
                lst = target[-1]
            else:
                lst = ListBlock(ordered=ordered, delimiter=delimiter)
                target.append(lst)
            number = int(item.group("num")) if ordered else None
            new = ListItem(number=number)
            lst.items.append(new)
            stack.append(_Open(indent, new))
            text = (item.group("text") or "").strip()
            if text:
                para = [text]
                new.blocks.append(para)
            else:
                para = None
            i += 1
            continue
        if _ORG_RULE.match(line):
            container(indent).append(Rule())
            para = None
            i += 1
            continue
        comment = _ORG_COMMENT.match(line)
        if comment and not stripped.startswith("#+"):
            container(indent).append(Html(f"<!-- {(comment.group('text') or '').strip()} -->"))
            para = None
            i += 1
            continue
        fixed = _ORG_FIXED.match(line)
        if fixed:
            text_lines = []
            while i < n and (m := _ORG_FIXED.match(lines[i].rstrip())):
                text_lines.append((m.group("text") or "") + "\n")
                i += 1
            container(indent).append(Code("", "".join(text_lines)))
            para = None
            continue
        # Plain text: continues the open paragraph when it belongs to the same
        # container (a wrapped bullet line is indented past its bullet).
        target = container(indent)
        if para is not None and target and target[-1] is para:
            para.append(stripped)
        else:
            para = [stripped]
            target.append(para)
        i += 1

    return _finish(root, in_item=False)


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
    # Org escapes a body line starting with "*" or "#+" with a comma.
    text = "".join(re.sub(r"^(\s*),(\*|#\+)", r"\1\2", line) + "\n" for line in body)
    info = args.split()[0] if kind == "src" and args.split() else ""
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

_PRE = r"""(?<![^\s\-('"{])"""
_POST = r"""(?=[\s\-.,:!?;'")}\[]|$)"""
_ORG_INLINE = re.compile(
    r"\[\[(?P<url>[^\]\n]+)\](?:\[(?P<desc>[^\]\n]+)\])?\]"
    rf"|{_PRE}(?P<cm>[=~])(?P<code>\S|\S[^\n]*?\S)(?P=cm){_POST}"
    rf"|{_PRE}(?P<em>[*/+])(?P<body>[^\s*/+]|[^\s][^\n]*?[^\s])(?P=em){_POST}"
    r"|@@(?P<backend>[\w-]+):(?P<snippet>.*?)@@"
    r"|(?P<brk>\\\\)$",
    re.M,
)
_EMPH_MD = {"*": "**", "/": "*", "+": "~~"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def org_inline_to_markdown(text: str) -> str:
    """Org inline markup → Markdown (links, emphasis, code, snippets, line breaks)."""
    out = []
    pos = 0
    for m in _ORG_INLINE.finditer(text):
        out.append(_md_escape(text[pos : m.start()], line_start=pos == 0 or text[pos - 1] == "\n"))
        pos = m.end()
        if m.group("url"):
            url, desc = m.group("url"), m.group("desc")
            if desc is None:
                out.append(f"<{url}>" if _SCHEME.match(url) else f"[{url}]({_md_url(url)})")
            else:
                out.append(f"[{org_inline_to_markdown(desc)}]({_md_url(url)})")
        elif m.group("cm"):
            out.append(_md_code(m.group("code")))
        elif m.group("em"):
            mark = _EMPH_MD[m.group("em")]
            out.append(mark + org_inline_to_markdown(m.group("body")) + mark)
        elif m.group("backend"):
            out.append(m.group("snippet"))
        else:
            out.append("\\")
    out.append(_md_escape(text[pos:], line_start=pos == 0 or text[pos - 1] == "\n"))
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
    return _md_escape(text, line_start=True)


def _md_escape(text: str, *, line_start: bool) -> str:
    """Escape what Markdown would read as markup in Org plain text (and no more)."""
    if not text:
        return text
    text = text.replace(ZWSP, "")
    text = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)
    text = text.replace("`", "\\`")
    text = re.sub(r"(?<!\s)\*|\*(?!\s|$)", r"\\*", text)
    text = re.sub(
        r"(?<![\w\\])_|_(?!\w)", lambda m: m.group(0) if _lonely(text, m) else r"\_", text
    )
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    text = re.sub(r"\](?=[(\[])", r"\\]", text)
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
    if not markdown_renderable(text):
        # Too costly to convert inline Markdown (notes/rendering.py): keep the note
        # whole, as Markdown source in a block that Org shows verbatim.
        return render_org([Code("markdown", text.rstrip("\n") + "\n")])
    return render_org(markdown_blocks(markdown_tokens(text)), heading_offset=heading_offset)


def org_to_markdown(text: str, *, heading_offset: int = 0) -> str:
    return render_markdown(org_blocks(text.split("\n"), heading_offset=heading_offset))


def _org_block(block, offset: int) -> list[str]:
    if isinstance(block, Paragraph):
        return _org_protect_lines(markdown_inline_to_org(block.text).split("\n"))
    if isinstance(block, Heading):
        return ["*" * (block.level + offset) + " " + markdown_inline_to_org(block.text)]
    if isinstance(block, ListBlock):
        return _list_lines(block, _org_item, offset)
    if isinstance(block, Code):
        body = [re.sub(r"^(\s*)(\*|#\+)", r"\1,\2", line) for line in block.text.splitlines()]
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
        comment = re.fullmatch(r"<!--[ \t]*(.*?)[ \t]*-->", block.text)
        if comment and "\n" not in block.text:
            return [f"# {comment.group(1)}".rstrip()]
        return ["#+BEGIN_EXPORT html", *block.text.split("\n"), "#+END_EXPORT"]
    raise TypeError(block)


def _org_item(item: ListItem, marker: str, offset: int) -> list[str]:
    blocks = item.blocks
    first: list[str] = []
    if blocks and isinstance(blocks[0], Paragraph):
        first = markdown_inline_to_org(blocks[0].text).split("\n")
        first = [first[0], *_org_protect_lines(first[1:])]
        blocks = blocks[1:]
    if first and _ORG_ITEM_TEXT_NEEDS_GUARD.match(first[0]):
        first[0] = ZWSP + first[0]
    return _item_lines(marker, first, blocks, _org_block, offset)


# An item whose text starts like a block or table would be misread by Org.
_ORG_ITEM_TEXT_NEEDS_GUARD = re.compile(r"^(?:#\+|\||-{5,}|:(?:\s|$))")
_ORG_LINE_NEEDS_GUARD = re.compile(
    r"^(?:\*+(?:\s|$)|#(?:\s|$|\+)|\||:(?:\s|$)|-{5,}|[-+](?:\s|$)|\d+[.)](?:\s|$))"
)


def _org_protect_lines(lines: list[str]) -> list[str]:
    return [ZWSP + line if _ORG_LINE_NEEDS_GUARD.match(line) else line for line in lines]


_ALIGN_ORG = {"left": "<l>", "center": "<c>", "right": "<r>"}


def _org_table_out(table: Table) -> list[str]:
    def cells(row):
        return [markdown_inline_to_org(c.replace("\\|", "|")).replace("|", "\\vert{}") for c in row]

    def line(row):
        row = list(row)
        row += [""] * (len(table.aligns) - len(row))
        return "| " + " | ".join(row) + " |"

    out = [line(cells(table.header)), "|" + "+".join("---" for _ in table.aligns) + "|"]
    if any(table.aligns):
        out.append(line(_ALIGN_ORG.get(a, "") for a in table.aligns))
    out.extend(line(cells(row)) for row in table.rows)
    return out


# ------------------------------------------------------ Markdown inline → Org

_EMPH_ORG = {"strong": "*", "em": "/", "s": "+"}
_ORG_MARKUP_RISK = re.compile(
    rf"{_PRE}(?=[*/+=~]\S)|(?<=\[)(?=\[)|(?<=@)(?=@)"  # would open emphasis, a link, a snippet
)


def markdown_inline_to_org(text: str) -> str:
    tokens = inline_tokens(text)
    return _org_inline(tokens, 0, len(tokens))


def _org_inline(tokens, i, end) -> str:
    out = []
    while i < end:
        tok = tokens[i]
        kind = tok.type
        if kind == "text":
            out.append(_org_text(tok.content))
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\\\n")
        elif kind == "code_inline":
            out.append(_org_code(tok.content, tok.markup))
        elif kind.endswith("_open") and kind[:-5] in _EMPH_ORG:
            close = _inline_closing(tokens, i)
            mark = _EMPH_ORG[kind[:-5]]
            out.append(mark + _org_inline(tokens, i + 1, close) + mark)
            i = close
        elif kind == "link_open":
            close = _inline_closing(tokens, i)
            href = tok.attrs.get("href", "")
            if tok.markup == "autolink":
                out.append(f"[[{href}]]")
            else:
                out.append(f"[[{href}][{_org_inline(tokens, i + 1, close)}]]")
            i = close
        elif kind == "image":
            title = tok.attrs.get("title")
            suffix = f' "{title}"' if title else ""
            out.append(f"@@markdown:![{tok.content}]({tok.attrs.get('src', '')}{suffix})@@")
        elif kind == "html_inline":
            out.append(f"@@html:{tok.content}@@")
        i += 1
    return "".join(out)


def _inline_closing(tokens, i) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _org_text(text: str) -> str:
    return _ORG_MARKUP_RISK.sub(ZWSP, text)


def _org_code(code: str, ticks: str) -> str:
    for mark in "=~":
        if mark not in code and code == code.strip() and code:
            return f"{mark}{code}{mark}"
    return f"@@markdown:{_md_code(code)}@@"
