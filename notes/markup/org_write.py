"""Markdown → Org: blocks to Org text, and inline Markdown to Org inline markup that
reads back as the same Markdown (else a ``@@markdown:…@@`` snippet)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.token import Token

from ..rendering import markdown_renderable
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
from .markdown import _md_code, _md_url, inline_tokens, markdown_blocks, markdown_tokens
from .org_read import (
    _ORG_NEEDS_COMMA,
    _POST_CHARS,
    _PRE,
    _PRE_CHARS,
    _cell_to_markdown,
    _join_lines,
    org_inline_to_markdown,
)

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
    tokens = inline_tokens(text)
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
