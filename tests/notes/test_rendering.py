from pathlib import Path

import pytest
from django.core.cache import caches

from notes import markup
from notes.outline import parse_markdown
from notes.rendering import (
    MAX_NESTING,
    MAX_RENDER_COST,
    TOO_COSTLY_HTML,
    _cache_key,
    markdown_renderable,
    render_cache,
    render_cost,
    render_markdown,
    render_markdown_many,
    same_rendering,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_render_markdown_keeps_nested_bullets_and_tables():
    html = render_markdown("- a\n  - b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n")

    assert html == (
        "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>\n"
        "<table>\n<thead>\n<tr>\n<th>x</th>\n<th>y</th>\n</tr>\n</thead>\n"
        "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"
    )


def test_render_markdown_links_get_safe_rel():
    html = render_markdown("[site](https://example.org)")

    assert html == (
        '<p><a href="https://example.org" rel="noopener noreferrer nofollow">site</a></p>\n'
    )


def test_render_markdown_drops_dangerous_urls_and_escapes_html():
    html = render_markdown(
        "[x](javascript:alert(1)) <iframe src=//evil></iframe>\n\n![i](data:text/html,boom)"
    )

    # The links stay visible as plain text; no element carries the URL.
    assert html == (
        "<p>[x](javascript:alert(1)) &lt;iframe src=//evil&gt;&lt;/iframe&gt;</p>\n"
        "<p>![i](data:text/html,boom)</p>\n"
    )


def test_render_markdown_empty_is_empty():
    assert render_markdown("") == ""


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("* one\n  wrapped\n", "- one wrapped\n", True),
        ("_em_ and __strong__\n", "*em* and **strong**\n", True),
        ("```\na  b\n```\n", "```\na b\n```\n", False),
        ("- one\n", "- one two\n", False),
        ("# Title\n", "## Title\n", False),
    ],
)
def test_same_rendering_tells_what_shows_the_same(a, b, same):
    assert same_rendering(a, b) is same


HOSTILE = "- " + "[" * 500_000  # what a guest wrote in issue 12: 16–18 s per page view


def test_render_markdown_shows_a_notice_for_a_text_over_its_cost_budget():
    html = render_markdown(HOSTILE)

    assert (markdown_renderable(HOSTILE), html) == (False, TOO_COSTLY_HTML)


def test_an_ordinary_note_is_well_within_the_render_budget():
    note = (FIXTURES / "rich-notes.md").read_text()

    assert render_cost(note) * 20 < MAX_RENDER_COST
    assert "<table>" in render_markdown(note)


def test_render_cost_counts_lone_carriage_returns_as_lines():
    assert render_cost("a\r" * 1000) == render_cost("a\n" * 1000)


def test_render_markdown_bounds_nesting():
    html = render_markdown(">" * 1000 + " deep\n")

    assert html.count("<blockquote>") == MAX_NESTING


def test_render_markdown_serves_an_unchanged_text_from_the_cache():
    text = "- a point\n" * 200
    render_markdown(text)
    # The cache holds the rendering of this very text: plant a marker there, and the
    # next render returns it instead of rendering again.
    render_cache().set(_cache_key(text), "<p>from the cache</p>")
    try:
        assert render_markdown(text) == "<p>from the cache</p>"
        assert render_markdown(text + "- one more\n").startswith("<ul>")
    finally:
        render_cache().delete(_cache_key(text))  # a Redis cache outlives the test run


def test_a_note_too_costly_to_convert_goes_to_org_as_markdown_source():
    org = markup.markdown_to_org("- " + "[" * 100_000 + "\n* not a heading")

    assert org == ("#+BEGIN_SRC markdown\n- " + "[" * 100_000 + "\n,* not a heading\n#+END_SRC\n")


def test_block_tokens_skip_the_inline_pass_and_headings_still_read_as_plain_text():
    tokens = markup.markdown_tokens("# A *bold* [title](x)\n\ntext")

    assert [(t.type, t.content, t.children) for t in tokens[:3]] == [
        ("heading_open", "", None),
        ("inline", "A *bold* [title](x)", []),
        ("heading_close", "", None),
    ]
    assert parse_markdown("# A *bold* [title](x)\n", name="n.md").sections[0].title == (
        "A bold title"
    )


def test_a_heading_too_costly_for_the_inline_pass_reads_as_its_text():
    title = "[" * 1_000_000

    assert markup.inline_tokens(title)[0].content == title
    # Org reads "[[" as a link: its escape (a zero-width space) keeps them apart.
    assert markup.markdown_inline_to_org(title).replace(markup.ZWSP, "") == title


def test_render_markdown_many_renders_each_text_in_order():
    texts = ["*one*", "", "- a point\n" * 200, "*one*", "two"]

    assert render_markdown_many(texts) == [render_markdown(text) for text in texts]
    assert render_markdown_many([]) == []


def test_render_markdown_many_serves_short_and_long_texts_from_the_cache():
    short, long = "*short*", "- a point\n" * 200
    render_markdown_many([short, long])
    assert render_cache().get(_cache_key(short)) == "<p><em>short</em></p>\n"
    render_cache().set(_cache_key(short), "<p>short, from the cache</p>")
    render_cache().set(_cache_key(long), "<p>long, from the cache</p>")

    assert render_markdown_many([long, short, "*new*"]) == [
        "<p>long, from the cache</p>",
        "<p>short, from the cache</p>",
        "<p><em>new</em></p>\n",
    ]


def test_renderings_have_their_own_cache(settings):
    render_markdown_many(["*kept apart*"])

    assert settings.NOTES_RENDER_CACHE != "default"
    assert caches["default"].get(_cache_key("*kept apart*")) is None
    assert render_cache().get(_cache_key("*kept apart*")) == "<p><em>kept apart</em></p>\n"


def test_render_markdown_many_renders_when_the_cache_is_down(settings):
    # Nothing listens on port 1: every cache call fails at once.
    settings.CACHES = {
        **settings.CACHES,
        settings.NOTES_RENDER_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }

    assert render_markdown_many(["*still*", "- a point\n" * 200]) == [
        "<p><em>still</em></p>\n",
        render_markdown("- a point\n" * 200),
    ]
