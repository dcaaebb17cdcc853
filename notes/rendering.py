"""Markdown → safe HTML for notes, abstracts and descriptions."""

import re
from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "input",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
    "code": {"class"},
    "input": {"type", "checked", "disabled"},
}


@cache
def _parser() -> MarkdownIt:
    # CommonMark plus GFM tables and strikethrough; raw HTML stays escaped text
    # (html=False), and nh3 then strips anything unexpected as a second guard.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> str:
    """Render Markdown to sanitized HTML (safe to mark safe in templates)."""
    if not text:
        return ""
    html = _parser().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


_PRE = re.compile(r"(<pre\b.*?</pre>)", re.S)


def same_rendering(a: str, b: str) -> bool:
    """Whether two Markdown texts show the same thing: the same HTML, where a line
    break inside text counts as the space a browser shows (outside <pre>)."""
    if a == b:
        return True
    if _letters(a) != _letters(b):
        return False  # other words or numbers: no need to render to know

    def shown(text: str) -> list[str]:
        parts = _PRE.split(render_markdown(text))
        return [p if p.startswith("<pre") else re.sub(r"\s+", " ", p) for p in parts]

    return shown(a) == shown(b)


def _letters(text: str) -> str:
    return "".join(char for char in text if char.isalnum())
