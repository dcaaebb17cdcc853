"""notes.markup: Org ↔ Markdown conversion of note bodies, exact strings both ways.

What must come back byte for byte through Markdown → Org → Markdown: inline
code (with "*", "/", "=", "~", "+" inside), emphasis, strikethrough, bold links,
link titles, links wrapped over lines, code blocks, tables and "+1" vote lines.
"""

import os

import pytest
from hypothesis import assume, given, settings

from notes import markup, outline
from tests import strategies

Z = markup.ZWSP


# ---------------------------------------------------------------- Org → Markdown


@pytest.mark.parametrize(
    ("org", "md"),
    [
        ("[[https://example.org][Example]]", "[Example](https://example.org)"),
        ("[[https://example.org]]", "<https://example.org>"),
        ("[[file:notes.org]]", "<file:notes.org>"),
        ("[[some page][a *bold* link]]", "[a **bold** link](<some page>)"),
        ("a *bold* word", "a **bold** word"),
        ("a /italic/ word", "a *italic* word"),
        ("=verbatim= and ~code~", "`verbatim` and `code`"),
        ("+struck+ out", "~~struck~~ out"),
        ("why do ops feel /that/ responsible", "why do ops feel *that* responsible"),
        ("ftp/rss/whatever and Dev/Ops", "ftp/rss/whatever and Dev/Ops"),
        # A "*" or "_" CommonMark would not read as emphasis stays as written.
        ("code+db+conf, 5*3, c++", "code+db+conf, 5*3, c++"),
        ("snake_case O_O _lead", "snake_case O_O _lead"),
        ("x*y and z*w", "x\\*y and z\\*w"),
        ("DevOps <3 and <b>tags</b>", "DevOps <3 and \\<b>tags\\</b>"),
        ("`tick` and x~~y~~z", "\\`tick\\` and x\\~\\~y\\~\\~z"),
        ("=a `tick`=", "`` a `tick` ``"),
        ("@@html:<kbd>K</kbd>@@", "<kbd>K</kbd>"),
    ],
)
def test_org_inline_to_markdown(org, md):
    assert markup.org_inline_to_markdown(org) == md


def test_org_to_markdown_lists_keep_depth_and_join_wrapped_lines():
    org = (
        "  - top\n"
        "    - child that wraps\n"
        "      onto a second line\n"
        "      - grandchild\n"
        "            * star bullet deep\n"
        "  - \n"
        "  - last\n"
    )

    assert markup.org_to_markdown(org) == (
        "- top\n"
        "  - child that wraps onto a second line\n"
        "    - grandchild\n"
        "      - star bullet deep\n"
        "- last\n"
    )


def test_org_to_markdown_ordered_children_are_indented_past_the_marker():
    org = "1. one\n   - a\n9. nine\n10. ten\n    - b\n"

    assert markup.org_to_markdown(org) == "1. one\n   - a\n9. nine\n10. ten\n    - b\n"


def test_org_to_markdown_blocks_tables_and_comments():
    org = (
        "#+BEGIN_QUOTE\nWise words\n/slanted/\n#+END_QUOTE\n"
        "#+begin_src python :results output\nprint('*')\n#+end_src\n"
        "#+BEGIN_EXAMPLE\n  kept   as is\n#+END_EXAMPLE\n"
        ": fixed width\n"
        "| a | b |\n|---+---|\n| 1 | x\\vert{}y |\n"
        "# a comment\n"
        "-----\n"
    )

    assert markup.org_to_markdown(org) == (
        "> Wise words\n> *slanted*\n\n"
        "```python\nprint('*')\n```\n\n"
        "```\n  kept   as is\n```\n\n"
        "```\nfixed width\n```\n\n"
        "| a | b |\n| --- | --- |\n| 1 | x\\|y |\n\n"
        "<!-- a comment -->\n\n"
        "---\n"
    )


def test_org_to_markdown_paragraph_lines_that_look_like_markdown_are_escaped():
    org = "Text\n> not a quote\n+1 for this\n#hashtag is fine\n"

    assert markup.org_to_markdown(org) == "Text\n\\> not a quote\n+1 for this\n#hashtag is fine\n"


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "md",
    [
        "- a *b* **c** `d` ~~e~~ [f](https://g.example) <https://h.example>\n",
        "Para one\nwith a soft break\n\n- x\n  - y\n\n1. one\n   1. sub\n2. two\n",
        "## Sub\n\n> quote\n>\n> - item\n\n```py\n* not bold\n#+BEGIN_SRC\n```\n",
        "| a | b |\n| :--- | ---: |\n| 1 | 2 \\| 3 |\n",
        "- literal \\*stars\\* and /slashes/ and =equals= and +plus+\n",
        "- [[not a link]] and @@html:no@@ and a line\\\n  break\n",
        "<!-- a comment -->\n\n<div>\nraw html\n</div>\n",
        "---\n\n- after a rule\n",
    ],
)
def test_markdown_org_markdown_round_trip_is_exact_on_canonical_markdown(md):
    assert markup.markdown_canonical(md) == md

    org = markup.markdown_to_org(md)

    assert markup.org_to_markdown(org) == md


def test_markdown_to_org_writes_org_syntax():
    md = (
        "## Part\n\n- **b** *i* `c` ~~s~~ [t](https://u.example)\n  - kid\n\n"
        "| a | b |\n| :--- | --- |\n| 1 | 2 |\n\n> q\n"
    )

    assert markup.markdown_to_org(md, heading_offset=1) == (
        "*** Part\n\n- *b* /i/ =c= +s+ [[https://u.example][t]]\n  - kid\n\n"
        "| a | b |\n|---+---|\n| <l> |  |\n| 1 | 2 |\n\n#+BEGIN_QUOTE\nq\n#+END_QUOTE\n"
    )


def test_markdown_to_org_guards_lines_org_would_misread():
    md = "\\* not a heading\n\\- not a bullet\n"

    org = markup.markdown_to_org(md)

    assert org == f"{markup.ZWSP}* not a heading\n{markup.ZWSP}- not a bullet\n"
    assert outline.parse(("* T\n" + org).encode(), name="g.org").sections[0].note() == md


# ---------------------------------------------------------------- Markdown → Org: what the issue found


@pytest.mark.parametrize(
    ("md", "org"),
    [
        # Inline code keeps every character; the marker that is not inside is used.
        ("`b*b-4*a*c`", "=b*b-4*a*c="),
        ("`a=b` `x~y` `p+q` `a/b/c`", "~a=b~ =x~y= =p+q= =a/b/c="),
        ("`=x=`", "~=x=~"),
        ("`a=b~c`", "@@markdown:`a=b~c`@@"),
        # Org reads a marker only next to a space or some punctuation: elsewhere
        # the element stays Markdown, in a snippet Org passes through.
        ("`conj!`/`append`", "@@markdown:`conj!`@@/@@markdown:`append`@@"),
        ("`conj!`, `append`", "=conj!=, =append="),
        ("b*b-4*a*c", "b@@markdown:*b-4*@@a*c"),
        # A zero-width space keeps Org from reading "+1 c++" as struck-through.
        ("+1 c++", f"{Z}+1 c++"),
        ("**bold**, *em*, ~~gone~~", "*bold*, /em/, +gone+"),
        ("__bold__ and _em_", "@@markdown:__bold__@@ and @@markdown:_em_@@"),
        ("**[bold link](https://x.example)**", "*[[https://x.example][bold link]]*"),
        ("[**bold** text](https://x.example)", "[[https://x.example][*bold* text]]"),
        ('[t](https://x.example "the title")', '@@markdown:[t](https://x.example "the title")@@'),
        ("[wrapped\nlink](https://x.example)", "[[https://x.example][wrapped\nlink]]"),
        ("+1 from me\n+1", f"{Z}+1 from me\n{Z}+1"),
        ("&amp; an entity", "@@markdown:&amp; an entity@@"),
    ],
)
def test_markdown_paragraph_to_org(md, org):
    assert markup.markdown_to_org(md + "\n") == org + "\n"
    assert markup.org_to_markdown(org + "\n") == md + "\n"


def test_markdown_to_org_code_block_lines_org_would_read_are_comma_escaped():
    md = "```python\n* star\n,* comma star\n#+keyword\n  * indented\n```\n"

    org = markup.markdown_to_org(md)

    assert org == (
        "#+BEGIN_SRC python\n,* star\n,,* comma star\n,#+keyword\n  ,* indented\n#+END_SRC\n"
    )
    assert markup.org_to_markdown(org) == md


def test_markdown_to_org_code_block_info_string_is_kept_whole():
    md = "```python title=x.py\nprint(1)\n```\n"

    assert markup.markdown_to_org(md) == "#+BEGIN_SRC python title=x.py\nprint(1)\n#+END_SRC\n"
    assert markup.org_to_markdown(markup.markdown_to_org(md)) == md


def test_markdown_to_org_table_cells_that_org_cannot_say_are_snippets():
    md = "| a | b |\n| --- | --- |\n| _em_ | `x\\|y` |\n"

    org = markup.markdown_to_org(md)

    assert org == "| a | b |\n|---+---|\n| @@markdown:_em_@@ | =x\\vert{}y= |\n"
    assert markup.org_to_markdown(org) == md


def test_two_lists_in_a_row_stay_two_lists_both_ways():
    md = "- a\n\n* b\n\n1. one\n\n1) other\n"

    org = markup.markdown_to_org(md)

    # Two blank lines end an Org list (Org would make one list of bullets and numbers, too).
    assert org == "- a\n\n\n- b\n\n\n1. one\n\n\n1) other\n"
    assert markup.org_to_markdown(org) == md
    assert markup.markdown_canonical(md) == md


def test_org_hard_break_in_an_item_becomes_a_markdown_hard_break():
    assert markup.org_to_markdown("- one\\\\\n  two\n") == "- one\\\n  two\n"


# ---------------------------------------------------------------- Org → Markdown: org_blocks' steps


def test_org_blocks_reads_each_kind_of_line():
    org = [
        "* Heading",
        "#+BEGIN_SRC sh :results output",
        "echo hi",
        "#+END_SRC",
        "| a | b |",
        "|---+---|",
        "| 1 | 2 |",
        "- item",
        "  wrapped",
        "-----",
        "# a comment",
        ": fixed",
        "text",
    ]

    blocks = markup.org_blocks(org)

    assert blocks == [
        markup.Heading(1, "Heading"),
        markup.Code("sh", "echo hi\n"),
        markup.Table(aligns=["", ""], header=["a", "b"], rows=[["1", "2"]]),
        markup.ListBlock(
            ordered=False, items=[markup.ListItem(None, [markup.Paragraph("item wrapped")])]
        ),
        markup.Rule(),
        markup.Html("<!-- a comment -->"),
        markup.Code("", "fixed\n"),
        markup.Paragraph("text"),
    ]


def test_org_blocks_two_blank_lines_end_a_list_and_one_does_not():
    one = markup.org_blocks(["- a", "", "- b"])
    two = markup.org_blocks(["- a", "", "", "- b"])

    assert [len(b.items) for b in one] == [2]
    assert [len(b.items) for b in two] == [1, 1]


def test_org_blocks_heading_offset_and_empty_bullets():
    blocks = markup.org_blocks(["** Deep", "- ", "- kept", "6. "], heading_offset=1)

    assert blocks == [
        markup.Heading(1, "Deep"),
        markup.ListBlock(ordered=False, items=[markup.ListItem(None, [markup.Paragraph("kept")])]),
    ]


# ---------------------------------------------------------------- property: both round trips

# 300 each in the suite (about 5 s each); ROUND_TRIP_EXAMPLES=4000 for a longer hunt.
ROUND_TRIP_EXAMPLES = int(os.environ.get("ROUND_TRIP_EXAMPLES", "300"))


@settings(max_examples=ROUND_TRIP_EXAMPLES, deadline=None)
@given(note=strategies.notes())
def test_markdown_org_markdown_round_trip_gives_back_the_same_bytes(note):
    assume(markup.markdown_canonical(note) == note)

    org = markup.markdown_to_org(note)

    assert markup.org_to_markdown(org) == note


@settings(max_examples=ROUND_TRIP_EXAMPLES, deadline=None)
@given(note=strategies.notes(variants=False))
def test_markdown_org_uses_plain_org_for_what_org_can_say(note):
    assume(markup.markdown_canonical(note) == note)

    org = markup.markdown_to_org(note)

    assert "@@markdown:" not in org
    assert markup.org_to_markdown(org) == note
