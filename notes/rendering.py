"""Markdown → safe HTML for notes, abstracts and descriptions, bounded in time.

Anyone who may write a note may write hostile Markdown, and markdown-it-py's inline
parser spends far more on some characters than on prose (a `[` costs about 200 times
a letter: each opener scans ahead for a link label), and its block parser pays per
line. A bullet of 500 000 `[` took 16–18 s per page view. So:

- `render_cost` estimates the work from character counts (C-speed `str.count`, a few
  ms per MB), and a text over `MAX_RENDER_COST` is not rendered: the caller shows a
  notice instead (`markdown_renderable`), and notes offer their Markdown download.
  Ordinary notes are well below it (a 25 KiB note of bullets, links, tables and
  emphasis costs about a fifth of it).
- Nesting is bounded by markdown-it's `maxNesting` (block quotes, lists, emphasis),
  so neither the parser nor nh3 ever sees deep trees.
- The HTML is cached by a digest of the text (Django's cache: Redis when REDIS_URL is
  set), so a page view never renders an unchanged note twice, in any worker process;
  a new version has a new digest, so the cache is never stale. It is the cache named by
  settings.NOTES_RENDER_CACHE (the default cache without it), so that renderings never
  crowd out what else a site keeps in its default cache. A page of many texts renders
  them with `render_markdown_many`: one cache round trip for all of them.
"""

import hashlib
import logging
import re
from collections.abc import Sequence
from functools import cache

import nh3
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from markdown_it import MarkdownIt

from .markdown_extras import extras_plugin
from .rules import RULES

log = logging.getLogger(__name__)

# The allow-list and the cost model live in notes/markdown_rules.json, which the editor's
# live preview reads too (static/src/markdown.js): one set of rules for both renderers.
_SANITIZER = RULES["sanitizer"]
ALLOWED_TAGS = set(_SANITIZER["tags"])
ALLOWED_ATTRIBUTES = {tag: set(names) for tag, names in _SANITIZER["attributes"].items()}
URL_SCHEMES = set(_SANITIZER["url_schemes"])
LINK_REL = _SANITIZER["link_rel"]

# Estimated µs of work per occurrence, measured on the 2-core dev box while other jobs
# loaded it (load average ~7; bench/render_bench.py measures the real thing): every
# line costs the block parser up to 100 µs, and these characters cost the inline parser
# (or nh3) what is given. Any other character costs 1/8 µs.
_COST = RULES["cost"]
_COSTLY_CHARACTERS: dict[str, int] = _COST["characters"]
_DEFAULT_DIVISOR: int = _COST["default_divisor"]
# About 1 s of work on that loaded box (0.2–0.3 s when it is idle); rendered once per
# version of a text (the cache), so a reader pays it at most once per change.
MAX_RENDER_COST: int = _COST["max"]
# markdown-it's own default for CommonMark, stated: deeper structure renders as text.
MAX_NESTING: int = RULES["markdown"]["max_nesting"]
# A line or two renders about as fast as a round trip to Redis; anything longer (a
# kilobyte of notes takes milliseconds) is cached.
_CACHE_MIN_CHARS = 200
_CACHE_SECONDS = 7 * 24 * 3600
_CACHE_VERSION = "2"  # bump when the HTML for the same text changes (parser, allow-lists)

TOO_COSTLY_HTML: str = _COST["too_costly_html"]


def render_cost(text: str) -> int:
    """Estimated µs markdown-it-py needs for `text` (an upper bound, roughly)."""
    cost = len(text) // _DEFAULT_DIVISOR
    for character, weight in _COSTLY_CHARACTERS.items():
        cost += weight * text.count(character)
    return cost


def markdown_renderable(text: str) -> bool:
    """Whether `render_markdown` renders `text` rather than showing a notice."""
    return render_cost(text) <= MAX_RENDER_COST


@cache
def markdown_parser() -> MarkdownIt:
    """The parser of every rendering (notes/markdown_rules.json, plus checklists and line
    anchors: notes/markdown_extras.py). Raw HTML stays escaped text (html=False), and nh3
    then strips anything unexpected as a second guard."""
    options = RULES["markdown"]
    parser = MarkdownIt(
        options["preset"],
        {"html": options["html"], "linkify": options["linkify"], "maxNesting": MAX_NESTING},
    ).enable(options["enable"])
    parser.use(extras_plugin)
    return parser


def sanitize(html: str) -> str:
    """`html` cut down to the allow-list (tags, attributes, URL schemes), links marked."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


def _render(text: str, *, lines: bool = False) -> str:
    if not markdown_renderable(text):
        return TOO_COSTLY_HTML
    return sanitize(markdown_parser().render(text, {"lines": lines}))


def render_markdown_inline(text: str) -> str:
    """One line of Markdown (a checklist item, a decision) as sanitized inline HTML."""
    if not text:
        return ""
    if not markdown_renderable(text):
        return TOO_COSTLY_HTML
    return sanitize(markdown_parser().renderInline(text))


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


def _cache_key(text: str, *, lines: bool = False) -> str:
    digest = hashlib.blake2b(text.encode(), digest_size=20).hexdigest()
    return f"notes.md.{_CACHE_VERSION}.{'L' if lines else ''}{digest}"


def render_cache():
    return caches[getattr(settings, "NOTES_RENDER_CACHE", DEFAULT_CACHE_ALIAS)]


def render_markdown(text: str, *, lines: bool = False) -> str:
    """Render Markdown to sanitized HTML (safe to mark safe in templates).

    With `lines`, paragraphs, headings and list items carry the anchor of the source line
    they start on (`id="L12"`, see notes/markdown_extras.py): for a page that shows one
    note, whose lines other pages link to. Two such renderings on one page would repeat ids.

    A text over the cost budget gives `TOO_COSTLY_HTML`, a notice (check with
    `markdown_renderable` to offer something better, such as a download).
    """
    if not text:
        return ""
    if len(text) < _CACHE_MIN_CHARS:
        return _render(text, lines=lines)
    key = _cache_key(text, lines=lines)
    try:
        html = render_cache().get(key)
    except Exception:  # the cache is down: render, the page must not fail
        log.warning("rendering cache unavailable", exc_info=True)
        return _render(text, lines=lines)
    if html is None:
        html = _render(text, lines=lines)
        try:
            render_cache().set(key, html, _CACHE_SECONDS)
        except Exception:
            log.warning("rendering cache unavailable", exc_info=True)
    return html


def render_markdown_many(texts: Sequence[str]) -> list[str]:
    """`render_markdown` of each of `texts`, in their order, with one cache round trip for
    all of them (and one more to store those it had to render): for a page of many texts,
    such as an event's notes on one page. Short texts are cached too here, since they
    share the round trip; a text that appears twice is rendered once.
    """
    keys = {text: _cache_key(text) for text in set(texts) if text}
    cache_ = render_cache()
    try:
        found = cache_.get_many(keys.values())
    except Exception:  # the cache is down: render, the page must not fail
        log.warning("rendering cache unavailable", exc_info=True)
        found = None
    html = {"": ""}
    rendered = {}
    for text, key in keys.items():
        if found is not None and key in found:
            html[text] = found[key]
        else:
            html[text] = rendered[key] = _render(text)
    if rendered and found is not None:
        try:
            cache_.set_many(rendered, _CACHE_SECONDS)
        except Exception:
            log.warning("rendering cache unavailable", exc_info=True)
    return [html[text] for text in texts]
