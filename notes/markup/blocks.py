"""The block model both directions go through, and the layout both writers share."""

from __future__ import annotations

from dataclasses import dataclass, field

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
