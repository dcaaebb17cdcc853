"""notes.outline and notes.markup: reading outlines, Org ↔ Markdown."""

import pytest

from notes import outline
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
    assert outline.tidy(parsed.preamble) == "intro\n"
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


def test_parse_document_without_headings_is_all_preamble():
    parsed = _parse("\n\njust some prose\nand more\n", "e.md")

    assert (parsed.sections, outline.tidy(parsed.preamble)) == ([], "just some prose\nand more\n")
    assert parsed.note() == "just some prose\nand more\n"
    assert parsed.warnings == []


@pytest.mark.parametrize(
    ("name", "text", "line", "why"),
    [
        (
            "f.org",
            "intro\n# A Markdown heading in an .org file\n",
            2,
            "'# ' starts a comment in Org",
        ),
        ("g.md", "* An Org heading in a .md file\n", 1, "'* ' starts a bullet in Markdown"),
    ],
)
def test_parse_headings_of_the_other_format_are_warned_about(name, text, line, why):
    parsed = _parse(text, name)

    assert parsed.sections == []
    assert [str(w) for w in parsed.warnings] == [
        f"{name}, line {line}: no headings found, but this line looks like one of the other "
        f"format ({why}); is the file's extension right?"
    ]


# ---------------------------------------------------------------- Markdown: the text as written

MD_VARIANTS = {
    "dash": "- a\n  - b\n    - c\n- d\n",
    "star": "* a\n  * b\n    * c\n* d\n",
    "plus_four_spaces": "+ a\n    + b\n        + c\n+ d\n",
    "mixed": "* a\n   + b\n      - c\n* d\n",
}


@pytest.mark.parametrize("variant", sorted(MD_VARIANTS))
def test_markdown_note_keeps_the_bullets_as_written(variant):
    parsed = _parse(f"# Talk\n\n{MD_VARIANTS[variant]}", f"{variant}.md")

    assert [s.title for s in parsed.sections] == ["Talk"]
    assert parsed.sections[0].note() == MD_VARIANTS[variant]
    assert parsed.warnings == []


def test_markdown_tab_indented_bullets_keep_their_depth():
    text = "## Talk\n\n\t- a\n\t\t- b\n\t\t\t- c\n\t\t  wrapped under c\n\t- d\n"

    parsed = _parse(text, "tabs.md")

    assert parsed.sections[0].note() == "- a\n  - b\n    - c\n      wrapped under c\n- d\n"
    assert parsed.warnings == []


def test_markdown_tab_indented_bullets_under_an_ordered_item_stay_its_children():
    parsed = _parse("# T\n\n10. ten\n\t- child\n\t\t- grandchild\n", "o.md")

    assert parsed.sections[0].note() == "10. ten\n    - child\n      - grandchild\n"


def test_markdown_tabs_inside_a_fence_are_left_alone():
    text = "# T\n\n```\n\t- not a list\n```\n"

    assert _parse(text, "f.md").sections[0].note() == "```\n\t- not a list\n```\n"


def test_markdown_hash_without_space_is_a_heading_with_a_warning():
    text = (
        "#Talk title\nintro\n\n##Q&A\n\n- why?\n\n#1 is not a heading\n\n```\n#not in code\n```\n"
    )

    parsed = _parse(text, "sloppy.md")

    assert [(s.title, s.level, s.line) for s in parsed.walk()] == [
        ("Talk title", 1, 1),
        ("Q&A", 2, 4),
    ]
    assert parsed.sections[0].note() == (
        "intro\n\n## Q&A\n\n- why?\n\n#1 is not a heading\n\n```\n#not in code\n```\n"
    )
    assert [str(w) for w in parsed.warnings] == [
        "sloppy.md, line 1: “#Talk title” read as a heading; write “# Talk title”",
        "sloppy.md, line 4: “##Q&A” read as a heading; write “## Q&A”",
    ]


def test_markdown_hash_in_the_middle_of_a_paragraph_is_text():
    parsed = _parse("# T\n\nwe said\n#hashtag\n", "h.md")

    assert parsed.sections[0].note() == "we said\n#hashtag\n"
    assert parsed.warnings == []


def test_markdown_lone_dash_under_a_bullet_is_an_empty_bullet_not_a_heading():
    text = "# Talk\n\n- point one\n  -\n- point two\n"

    parsed = _parse(text, "dash.md")

    assert [s.title for s in parsed.walk()] == ["Talk"]
    assert parsed.sections[0].note() == "- point one\n- point two\n"
    assert [str(w) for w in parsed.warnings] == [
        "dash.md, line 4: a lone “-” under a line is read as an empty bullet, "
        "not as a heading underline"
    ]


def test_markdown_front_matter_is_read_and_left_out():
    text = "---\ntitle: Keeping state\ndate: 2026-06-10\ntags:\n  - ops\n---\n\n- a note\n"

    parsed = _parse(text, "fm.md")

    assert parsed.front_matter == {"title": "Keeping state", "date": "2026-06-10", "tags": ""}
    assert parsed.front_matter_lines == (1, 6)
    assert (parsed.preamble_line, parsed.note()) == (7, "- a note\n")


def test_markdown_our_own_export_is_read_without_repairs():
    text = (
        "# Talk\n<!-- confnotes\nkind: talk\ntitle: Talk\n-->\n\n#hashtag stays text\n\n"
        "\t- a tab stays a tab\n"
    )

    parsed = _parse(text, "export.md")

    assert parsed.sections[0].properties == {"kind": "talk", "title": "Talk"}
    assert parsed.sections[0].note() == "#hashtag stays text\n\n\t- a tab stays a tab\n"
    assert parsed.warnings == []


def test_markdown_sections_nest_and_sub_headings_become_relative():
    text = "# Event\n\n## Talk one\n\n- a\n\n### Part\n\n- b\n\n#### Deeper\n\n## Talk two\n"

    parsed = _parse(text, "e.md")

    assert parsed.title == ""
    assert [(s.title, s.level, s.line, s.end_line) for s in parsed.walk()] == [
        ("Event", 1, 1, 13),
        ("Talk one", 2, 3, 12),
        ("Part", 3, 7, 12),
        ("Deeper", 4, 11, 12),
        ("Talk two", 2, 13, 13),
    ]
    assert parsed.sections[0].children[0].note() == "- a\n\n## Part\n\n- b\n\n### Deeper\n"


def test_markdown_whole_document_as_one_note_puts_its_headings_at_level_two():
    text = "intro\n\nTalk A\n======\n\n- a\n\n### Part\n\nTalk B\n======\n"

    # Setext headings cannot change level as written: they become ATX headings.
    assert _parse(text, "w.md").note() == ("intro\n\n## Talk A\n\n- a\n\n#### Part\n\n## Talk B\n")


def test_markdown_code_blocks_and_tables_are_kept_as_written():
    body = (
        "```js\nconst a = 1;\n\n# not a heading\n```\n\n"
        "    indented\n\n"
        "| x | y |\n|--:|:-:|\n| 1 | `a\\|b` |\n"
    )

    note = _parse("# Talk\n\n" + body, "c.md").sections[0].note()

    assert note == body


def test_markdown_properties_comment_is_read():
    text = "# Talk\n<!-- confnotes\nkind: demo\ntitle: Thing\n-->\n\n- x\n"

    section = _parse(text, "p.md").sections[0]

    assert section.properties == {"kind": "demo", "title": "Thing"}
    assert section.note() == "- x\n"


def test_shift_headings_moves_only_the_heading_markers():
    text = "- a\n\n## Part ##\n\nText\n=====\n\n```\n# code\n```\n"

    assert outline.shift_headings(text, offset=2) == (
        "- a\n\n#### Part ##\n\n### Text\n\n```\n# code\n```\n"
    )
    assert outline.shift_headings("###### deep\n", offset=3) == "###### deep\n"
