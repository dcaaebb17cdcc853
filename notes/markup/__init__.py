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

Modules: `blocks` (the block model and the layout both writers share), `markdown`
(Markdown in and out), `org_read` (Org → blocks and Markdown), `org_write`
(blocks and Markdown → Org, checked by reading back).
"""

from .blocks import (
    ZWSP,
    Block,
    Code,
    Heading,
    Html,
    ListBlock,
    ListItem,
    Paragraph,
    Quote,
    Rule,
    Table,
)
from .markdown import (
    inline_tokens,
    markdown_blocks,
    markdown_canonical,
    markdown_escape,
    markdown_tokens,
    render_markdown,
)
from .org_read import MAX_LIST_DEPTH, org_blocks, org_inline_to_markdown, org_to_markdown
from .org_write import markdown_inline_to_org, markdown_to_org, org_inline_exact, render_org

__all__ = [
    "MAX_LIST_DEPTH",
    "ZWSP",
    "Block",
    "Code",
    "Heading",
    "Html",
    "ListBlock",
    "ListItem",
    "Paragraph",
    "Quote",
    "Rule",
    "Table",
    "inline_tokens",
    "markdown_blocks",
    "markdown_canonical",
    "markdown_escape",
    "markdown_inline_to_org",
    "markdown_to_org",
    "markdown_tokens",
    "org_blocks",
    "org_inline_exact",
    "org_inline_to_markdown",
    "org_to_markdown",
    "render_markdown",
    "render_org",
]
