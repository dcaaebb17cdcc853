import pytest

from notes.rendering import render_markdown, same_rendering


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
