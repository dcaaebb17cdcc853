"""Markdown in and out: markdown-it-py tokens to blocks, blocks to canonical Markdown,
and escaping plain text as Markdown."""

from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..rendering import MAX_NESTING, markdown_renderable
from .blocks import (
    ZWSP,
    Code,
    Heading,
    Html,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    Rule,
    Table,
    _blocks_lines,
    _closing,
    _item_lines,
    _list_lines,
    _text,
)

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
    """The inline tokens of one run of inline Markdown (a heading's text); a text over
    the rendering budget is one plain text token."""
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


# ------------------------------------------------------ escaping plain text


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
