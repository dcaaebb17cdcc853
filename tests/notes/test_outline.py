"""notes.outline and notes.markup: reading outlines, Org ↔ Markdown."""

import pytest

from notes import markup, outline
from notes.outline import OutlineError


def _parse(text: str, name: str):
    return outline.parse(text.encode(), name=name)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("data", "name", "line", "fragment"),
    [
        (b"* Talk\n  - ok\n  - \x00\x01binary\n", "a.org", 3, "binary file"),
        (b"# Talk\n\n- caf\xe9\n", "b.md", 3, "not UTF-8"),
        (b"", "c.org", 1, "empty"),
        (b"\n  \n\t\n", "d.md", 1, "empty"),
        (b"\n\njust some prose\nand more\n", "e.md", 3, "no headings"),
        (b"# A Markdown heading in an .org file\n", "f.org", 1, "no headings"),
    ],
)
def test_parse_bad_input_raises_with_file_and_line(data, name, line, fragment):
    with pytest.raises(OutlineError) as caught:
        outline.parse(data, name=name)

    assert caught.value.name == name
    assert caught.value.line == line
    assert fragment in caught.value.message
    assert str(caught.value).startswith(f"{name}, line {line}: ")


def test_parse_utf8_bom_and_crlf_are_accepted():
    parsed = outline.parse("\ufeff# Café\r\n\r\n- crème\r\n".encode(), name="x.md")

    assert [s.title for s in parsed.sections] == ["Café"]
    assert parsed.sections[0].markdown() == "- crème\n"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("notes.org", "# looks like markdown\n", "org"),
        ("notes.md", "* looks like org\n", "md"),
        ("notes.txt", "#+TITLE: x\n* Talk\n", "org"),
        ("notes.txt", "* Talk\n  - a\n", "org"),
        ("notes.txt", "# Talk\n\n* a bullet\n", "md"),
        ("notes", "Talk\n====\n", "md"),
    ],
)
def test_detect_format_uses_extension_then_content(name, text, expected):
    assert outline.detect_format(name, text) == expected


# ---------------------------------------------------------------- Org structure


def test_parse_org_sections_levels_lines_and_title():
    text = "#+TITLE: Camp\n\nintro\n\n* One\n  - a\n** Sub\n   - b\n* Two\n"

    parsed = _parse(text, "camp.org")

    assert parsed.title == "Camp"
    assert markup.render_markdown(parsed.preamble) == "intro\n"
    assert [(s.title, s.level, s.line) for s in parsed.walk()] == [
        ("One", 1, 5),
        ("Sub", 2, 7),
        ("Two", 1, 9),
    ]
    assert parsed.sections[0].markdown() == "- a\n\n## Sub\n\n- b\n"


def test_parse_org_properties_drawer_is_read_not_kept_in_body():
    text = "* Talk\n:PROPERTIES:\n:KIND: ignite\n:SPEAKERS: Ada\n:END:\n- note\n"

    section = _parse(text, "p.org").sections[0]

    assert section.properties == {"kind": "ignite", "speakers": "Ada"}
    assert section.markdown() == "- note\n"


def test_org_heading_inside_src_block_is_not_a_heading():
    text = "* Talk\n#+BEGIN_SRC org\n,* quoted heading\n* raw star line\n#+END_SRC\n"

    parsed = _parse(text, "s.org")

    assert [s.title for s in parsed.sections] == ["Talk"]
    assert parsed.sections[0].markdown() == "```org\n* quoted heading\n* raw star line\n```\n"


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
        ("code+db+conf, 5*3, c++", "code+db+conf, 5\\*3, c++"),
        ("snake_case O_O _lead", "snake_case O_O \\_lead"),
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


# ---------------------------------------------------------------- Markdown input variants

MD_VARIANTS = {
    "dash": "# Talk\n\n- a\n  - b\n    - c\n- d\n",
    "star": "# Talk\n\n* a\n  * b\n    * c\n* d\n",
    "plus_four_spaces": "Talk\n====\n\n+ a\n    + b\n        + c\n+ d\n",
    "tabs": "## Talk\n\n- a\n\t- b\n\t\t- c\n- d\n",
    "mixed": "# Talk\n\n* a\n   + b\n      - c\n* d\n",
}


@pytest.mark.parametrize("variant", sorted(MD_VARIANTS))
def test_markdown_bullet_variants_give_the_same_note(variant):
    parsed = _parse(MD_VARIANTS[variant], f"{variant}.md")

    assert [s.title for s in parsed.sections] == ["Talk"]
    assert parsed.sections[0].markdown() == "- a\n  - b\n    - c\n- d\n"


def test_markdown_headings_hash_levels_nest_and_become_relative():
    text = "# Event\n\n## Talk one\n\n- a\n\n### Part\n\n- b\n\n#### Deeper\n\n## Talk two\n"

    parsed = _parse(text, "e.md")

    assert parsed.title == "Event"
    assert [(s.title, s.level, s.line) for s in parsed.sections] == [
        ("Talk one", 2, 3),
        ("Talk two", 2, 13),
    ]
    assert parsed.sections[0].markdown() == "- a\n\n## Part\n\n- b\n\n### Deeper\n"


def test_markdown_code_blocks_and_tables_survive():
    text = (
        "# Talk\n\n"
        "```js\nconst a = 1;\n\n# not a heading\n```\n\n"
        "    indented\n\n"
        "| x | y |\n|--:|:-:|\n| 1 | `a\\|b` |\n"
    )

    note = _parse(text, "c.md").sections[0].markdown()

    assert note == (
        "```js\nconst a = 1;\n\n# not a heading\n```\n\n"
        "```\nindented\n```\n\n"
        "| x | y |\n| ---: | :---: |\n| 1 | `a\\|b` |\n"
    )


def test_markdown_properties_comment_is_read():
    text = "# Talk\n<!-- confnotes\nkind: demo\ntitle: Thing\n-->\n\n- x\n"

    section = _parse(text, "p.md").sections[0]

    assert section.properties == {"kind": "demo", "title": "Thing"}
    assert section.markdown() == "- x\n"


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
    assert _parse("* T\n" + org, "g.org").sections[0].markdown() == md
