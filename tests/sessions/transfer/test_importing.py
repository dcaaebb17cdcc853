"""Importing outlines into an event (sessions.transfer.importing) — the fixture, edits, bad input."""

import re
from collections import Counter
from datetime import date

import pytest
from markdown_it import MarkdownIt

from notes.models import NoteRevision
from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.headings import OPEN_SPACE
from sessions.transfer.importing import EventImportError, UnreadableFiles, event_import
from tests.factories import make_event, make_talk

from .helpers import database_state, items_of, row_counts

pytestmark = pytest.mark.django_db

FIXTURE = "devopsdaysparis-2013.org"
DAY1, DAY2 = date(2013, 10, 1), date(2013, 10, 2)

# What a person writes down from the fixture: (heading in the file, kind, title, speakers, day).
EXPECTED = [
    ("Alexis Le-Quoc (CTO DataDog), CustomerOps",
     "talk", "CustomerOps", "Alexis Le-Quoc (CTO DataDog)", DAY1),
    ("A note from the sponsors: Simon Maple, Zero Turnaround",
     "sponsor", "A note from the sponsors", "Simon Maple (Zero Turnaround)", DAY1),
    ("Florian Gilcher (@argorak), How ops improved my dev",
     "talk", "How ops improved my dev", "Florian Gilcher (@argorak)", DAY1),
    ("Rémy-Christophe Schermesser: Project or Product?",
     "talk", "Project or Product?", "Rémy-Christophe Schermesser", DAY1),
    ("Fabrice Bernhard: transforming devs into devops",
     "talk", "transforming devs into devops", "Fabrice Bernhard", DAY1),
    ("Oliver White", "ignite", "Oliver White", "Oliver White", DAY1),
    ("OCTO", "ignite", "OCTO", "OCTO", DAY1),
    ("SERENA: The lost paradise of devops",
     "ignite", "The lost paradise of devops", "SERENA", DAY1),
    ("Karanbir Singh http://www.karan.org",
     "ignite", "Karanbir Singh", "Karanbir Singh (http://www.karan.org)", DAY1),
    ("Pat Debois, What if devops was invented by coca cola?",
     "ignite", "What if devops was invented by coca cola?", "Pat Debois", DAY1),
    ("Open space, Platform Refactoring", OPEN_SPACE, "Platform Refactoring", "", DAY1),
    ("Open space: devops and kanban", OPEN_SPACE, "devops and kanban", "", DAY1),
    ("JRebel demo", "demo", "JRebel", "", DAY1),
    ("LiveRebel demo", "demo", "LiveRebel", "", DAY1),
    ("Kushal Pisavadia (@KushalP), How we ship software at GOV.UK",
     "talk", "How we ship software at GOV.UK", "Kushal Pisavadia (@KushalP)", DAY1),
    ("Pierre-Yves Ritschard, Map vs Territory, a history of visibility",
     "talk", "Map vs Territory, a history of visibility", "Pierre-Yves Ritschard", DAY1),
    ("Alain Delafosse and Olivier Lefaucheux/Eric Mattern",
     "talk", "10 major traps to avoid during a devops transition",
     "Alain Delafosse, Olivier Lefaucheux, Eric Mattern", DAY1),
    ("@philandstuff", "ignite", "@philandstuff", "@philandstuff", DAY1),
    ("R. Di Cosmo", "ignite", "R. Di Cosmo", "R. Di Cosmo", DAY1),
    ("Pat Debois, value stream mapping from monitoring",
     OPEN_SPACE, "value stream mapping from monitoring", "Pat Debois", DAY2),
    ("Rebel Labs ops report", OPEN_SPACE, "Rebel Labs ops report", "", DAY2),
]  # fmt: skip
GROUP_HEADINGS = {"Ignites", "ZeroTurnaround demos", "Open spaces, day 2"}


@pytest.fixture
def fixture_bytes(shared_fixture) -> bytes:
    return shared_fixture(FIXTURE).read_bytes()


def _import_fixture(data: bytes, slug: str = "dod13", **kwargs):
    return event_import(files=[(FIXTURE, data)], slug=slug, start=DAY1, **kwargs)


# ---------------------------------------------------------------- the fixture


def test_fixture_import_creates_every_item_with_kind_title_speakers_and_day(fixture_bytes):
    result = _import_fixture(fixture_bytes)

    event = Event.objects.get(slug="dod13")
    assert event.name == "Devopsdays paris"
    assert (event.start_date, event.end_date) == (DAY1, DAY2)
    assert [row[:4] for row in items_of(event)] == [e[1:] for e in EXPECTED]
    assert result.summary() == "Devopsdays paris: 21 were created, 0 updated, 0 unchanged."


def test_fixture_import_counts_by_kind(fixture_bytes):
    _import_fixture(fixture_bytes)

    event = Event.objects.get(slug="dod13")
    kinds = Counter(Talk.objects.filter(event=event).values_list("kind", flat=True))
    assert OpenSpace.objects.filter(event=event).count() == 4
    assert kinds == {"talk": 7, "ignite": 7, "demo": 2, "sponsor": 1}
    assert sorted(
        Talk.objects.filter(event=event, kind="demo").values_list("title", flat=True)
    ) == [
        "JRebel",
        "LiveRebel",
    ]
    assert set(OpenSpace.objects.filter(event=event).values_list("status", flat=True)) == {"held"}


def _org_plain(text: str) -> str:
    """Org bullet text without the fixture's markup (=code= and /italic/)."""
    for mark in "=/":
        m = re.escape(mark)
        text = re.sub(rf"(?<![^\s(]){m}(\S(?:[^{m}]*?\S)?){m}(?=[\s.,:;!?)]|$)", r"\1", text)
    return " ".join(text.split())


def _fixture_bullets_by_item(text: str) -> dict[str, list[str]]:
    """Bullets of the fixture under each item heading, read line by line (no project code)."""
    headings = {e[0] for e in EXPECTED}
    bullets: dict[str, list[str]] = {}
    current = None
    lines = text.split("\n")
    bullet = re.compile(r"^(\s+)(?:[-+*]|\d+\.)(?:\s+(.*))?$")
    for i, line in enumerate(lines):
        heading = re.match(r"^\*+\s+(.*)$", line)
        if heading:
            title = heading.group(1).strip()
            if title in GROUP_HEADINGS:
                current = None
            elif title in headings:
                current = title
                bullets[current] = []
            continue
        m = bullet.match(line)
        if not m or current is None:
            continue
        indent, words = len(m.group(1)), [m.group(2) or ""]
        for following in lines[i + 1 :]:
            if not following.strip() or bullet.match(following) or following.startswith("*"):
                break
            if len(following) - len(following.lstrip()) <= indent:
                break
            words.append(following.strip())
        plain = _org_plain(" ".join(words))
        if plain:
            bullets[current].append(plain)
    return bullets


def _note_bullets(markdown: str) -> list[str]:
    """The first line of every list item of a note, as plain text (markdown-it)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    out = []
    for i, tok in enumerate(tokens):
        if tok.type == "list_item_open" and tokens[i + 1].type == "paragraph_open":
            inline = tokens[i + 2]
            out.append(
                " ".join(
                    "".join(
                        c.content if c.type in ("text", "code_inline") else " "
                        for c in inline.children
                        if c.type in ("text", "code_inline", "softbreak")
                    ).split()
                )
            )
    return out


def test_fixture_every_non_empty_bullet_is_in_exactly_one_note(fixture_bytes):
    _import_fixture(fixture_bytes)
    expected = _fixture_bullets_by_item(fixture_bytes.decode())
    event = Event.objects.get(slug="dod13")
    notes = {heading: row[4] for (heading, *_), row in zip(EXPECTED, items_of(event), strict=True)}

    for heading, bullets in expected.items():
        assert Counter(_note_bullets(notes[heading])) == Counter(bullets), heading
    all_bullets = sum(len(b) for b in expected.values())
    assert sum(len(_note_bullets(n)) for n in notes.values()) == all_bullets
    # 3 of the file's 665 bullet lines are empty ("- ", "6. "): all the others are there.
    bullet_lines = re.findall(r"(?m)^[ \t]+(?:[-+*]|\d+\.)(?:[ \t]|$)", fixture_bytes.decode())
    assert (len(bullet_lines), all_bullets) == (665, 662)


def test_fixture_notes_keep_structure_links_emphasis_and_tables(fixture_bytes):
    _import_fixture(fixture_bytes)
    notes = {row[1]: row[4] for row in items_of(Event.objects.get(slug="dod13"))}

    fabrice = notes["transforming devs into devops"]
    assert fabrice.startswith("## back to basics: why devops?\n\n- much slower and riskier")
    assert "  - every project has a deploy.py script in a `devops` folder\n" in fabrice
    assert "  - why do ops feel *that* responsible, and not devs?\n" in fabrice
    assert (
        "  - Ops knew what they were doing, didn't want to be bothered by developers at all\n"
        in notes["How ops improved my dev"]
    )
    kushal = notes["How we ship software at GOV.UK"]
    assert "## Different ways we've released software\n\n### Summer 2011\n" in kushal
    assert "\n    - `govuk::apps::search`\n" in kushal
    assert "    1. commit to master\n    2. kick off jenkins build\n" in kushal
    assert (
        "| Deployment infrastructure | Production infrastructure |\n| --- | --- |\n"
        "| Development process | User issue resolution process |\n"
    ) in notes["value stream mapping from monitoring"]
    assert notes["value stream mapping from monitoring"].startswith(
        "This session was really interesting. It was run as a workshop by\nPat. He divided"
    )
    traps = notes["10 major traps to avoid during a devops transition"]
    assert traps.startswith("1. Thinking it's only tooling\n   - also needs processes")
    assert "5. Focus on rebranding" in traps
    assert "\n6." not in traps
    assert "10. conflict with ITIL\n    - Some prod environments" in traps
    assert notes["@philandstuff"] == "- notes to follow..\n"


# ---------------------------------------------------------------- re-import and edits


def test_reimport_same_file_changes_nothing(fixture_bytes):
    _import_fixture(fixture_bytes)
    before = database_state()

    result = _import_fixture(fixture_bytes)

    assert database_state() == before
    assert [i.action for i in result.items] == ["unchanged"] * 21


def test_reimport_edited_file_updates_matching_items_only(fixture_bytes):
    _import_fixture(fixture_bytes)
    event = Event.objects.get(slug="dod13")
    edited = (
        fixture_bytes.decode()
        .replace("  - Everyone has customers\n", "  - Everyone has customers, really\n")
        .replace("* Ignites\n** @philandstuff", "* Jane Roe: A new talk\n  - fresh\n* Ignites\n** @philandstuff")
    )  # fmt: skip

    result = _import_fixture(edited.encode())

    actions = Counter(i.action for i in result.items)
    assert actions == {"unchanged": 20, "update": 1, "create": 1}
    updated = next(i for i in result.items if i.action == "update")
    assert (updated.title, updated.changed) == ("CustomerOps", ["notes"])
    talk = Talk.objects.get(event=event, title="CustomerOps")
    assert "- Everyone has customers, really\n" in talk.note.markdown
    assert NoteRevision.objects.get(note=talk.note).markdown.count("Everyone has customers\n") == 1
    assert Talk.objects.get(event=event, title="A new talk").speakers == "Jane Roe"
    assert (
        Talk.objects.filter(event=event).count() + OpenSpace.objects.filter(event=event).count()
        == 22
    )


def test_import_adopts_an_item_made_by_hand_with_the_same_title():
    event = make_event(slug="conf", start_date=date(2026, 6, 10))
    talk = make_talk(event=event, title="Keeping state", speakers="Ada Lovelace")

    event_import(event=event, files=[("n.md", b"# Ada Lovelace: Keeping state\n\n- a note\n")])

    talk.refresh_from_db()
    assert talk.import_key == "talk:keeping-state"
    assert talk.note.markdown == "- a note\n"
    assert Talk.objects.filter(event=event).count() == 1


def test_import_same_title_twice_gives_two_items():
    event = make_event(slug="conf")

    event_import(event=event, files=[("n.md", b"# Q&A\n\n- one\n\n# Q&A\n\n- two\n")])

    talks = Talk.objects.filter(event=event).order_by("position")
    assert [(t.title, t.import_key, t.note.markdown) for t in talks] == [
        ("Q&A", "talk:qa", "- one\n"),
        ("Q&A", "talk:qa-2", "- two\n"),
    ]


# ---------------------------------------------------------------- bad input


BAD_FILES = [
    ("binary.org", b"* Talk\n  - ok\n\x00\x00\x07binary", "binary.org, line 3: this is a binary file"),
    ("latin1.md", "# Talk\n\n- café\n".encode("latin-1"), "latin1.md, line 3: not UTF-8 text"),
    ("empty.org", b"", "empty.org, line 1: the file is empty"),
    ("blank.md", b"\n  \n\t\n", "blank.md, line 1: the file is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message"), BAD_FILES)
def test_bad_file_leaves_database_unchanged_and_says_where(fixture_bytes, name, data, message):
    _import_fixture(fixture_bytes)
    before = database_state()

    with pytest.raises(UnreadableFiles) as caught:
        event_import(
            files=[("good.md", b"# Good talk\n\n- fine\n"), (name, data)],
            slug="dod13",
        )

    assert [str(p) for p in caught.value.problems] == [message + _rest(message, data, name)]
    assert database_state() == before


def _rest(message: str, data: bytes, name: str) -> str:
    """The end of the problem's text after the part the table names."""
    from notes.outline import OutlineError, parse

    try:
        parse(data, name=name)
    except OutlineError as error:
        return str(error).removeprefix(message)
    raise AssertionError(name)


def test_every_bad_file_is_reported_in_one_run_and_nothing_is_imported():
    before = row_counts()
    files = [
        ("a-good.md", b"# Good talk\n\n- fine\n"),
        ("b-binary.org", b"* Talk\n  - ok\n\x00binary\n"),
        ("c-latin1.md", "# Caf\u00e9\n\n- cr\u00e8me\n".encode("latin-1")),
        ("d-empty.md", b""),
    ]

    with pytest.raises(UnreadableFiles) as caught:
        event_import(files=files, slug="new", start=DAY1)

    assert str(caught.value) == (
        "3 files cannot be read:\n"
        "  b-binary.org, line 3: this is a binary file, not text (byte 0x00)\n"
        "  c-latin1.md, line 1: not UTF-8 text (byte 0xe9 at column 6); save the file as UTF-8\n"
        "  d-empty.md, line 1: the file is empty"
    )
    assert row_counts() == before


def test_skip_bad_imports_the_readable_files_and_lists_the_others():
    files = [
        ("a-good.md", b"# Good talk\n\n- fine\n"),
        ("b-binary.org", b"* Talk\n  - ok\n\x00binary\n"),
    ]

    result = event_import(files=files, slug="new", start=DAY1, skip_bad=True)

    assert [(i.title, i.action) for i in result.items] == [("Good talk", "create")]
    assert [str(p) for p in result.problems] == [
        "b-binary.org, line 3: this is a binary file, not text (byte 0x00)"
    ]
    assert Talk.objects.get(event__slug="new").note.markdown == "- fine\n"


def test_bad_file_into_a_new_event_creates_nothing():
    before = row_counts()

    with pytest.raises(UnreadableFiles):
        event_import(files=[("x.org", b"")], slug="new", start=DAY1)

    assert row_counts() == before


def test_failure_during_the_import_rolls_everything_back(fixture_bytes):
    before = row_counts()

    def fail_at_ten(done, total, title):
        if done == 10:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        _import_fixture(fixture_bytes, progress=fail_at_ten)

    assert row_counts() == before


def test_import_into_missing_event_without_start_date_is_refused():
    with pytest.raises(EventImportError, match="give its start date"):
        event_import(files=[("n.md", b"# T\n")], slug="nope")

    assert not Event.objects.filter(slug="nope").exists()


def test_dry_run_reports_everything_and_saves_nothing(fixture_bytes):
    before = row_counts()
    seen = []

    result = _import_fixture(
        fixture_bytes, dry_run=True, progress=lambda d, t, _: seen.append((d, t))
    )

    assert row_counts() == before
    assert result.dry_run is True
    assert [(i.action, i.kind, i.title) for i in result.items] == [
        ("create", e[1], e[2]) for e in EXPECTED
    ]
    assert result.summary() == "Devopsdays paris: 21 would be created, 0 updated, 0 unchanged."
    assert seen == [(n, 21) for n in range(1, 22)]


# ---------------------------------------------------------------- Markdown variants into the DB


def test_markdown_file_with_groups_days_and_variants():
    text = (
        "# Summit\n\nAbout the summit.\n\n"
        "## Day 1\n\n"
        "### Ada Lovelace: Engines\n\n* a\n\t* b\n\n"
        "### Ignites\n\n#### Linus T., Git\n\n+ commit\n\n"
        "## Open spaces, day 2\n\n### On-call\n\n- rotations\n"
    )

    event_import(files=[("s.md", text.encode())], slug="summit", start=date(2026, 6, 10))

    event = Event.objects.get(slug="summit")
    assert (event.name, event.description, event.end_date) == (
        "Summit",
        "About the summit.",
        date(2026, 6, 11),
    )
    assert items_of(event) == [
        # Markdown notes keep their text as written; the tab became spaces at the same depth.
        ("talk", "Engines", "Ada Lovelace", date(2026, 6, 10), "* a\n  * b\n"),
        ("ignite", "Git", "Linus T.", date(2026, 6, 10), "+ commit\n"),
        (OPEN_SPACE, "On-call", "", date(2026, 6, 11), "- rotations\n"),
    ]


def test_a_new_items_notes_are_its_live_document_when_first_opened():
    from notes.services import note_text

    event_import(files=[("n.md", b"# Ada Lovelace: Engines\n\n- a *note*\n")], slug="c", start=DAY1)

    talk = Talk.objects.get(event__slug="c")
    # Stored as text; the live document is made from it the first time it is read.
    assert (talk.note.markdown, note_text(note=talk.note)) == ("- a *note*\n", "- a *note*\n")


def test_reimport_of_an_edited_note_keeps_the_old_text_as_a_revision():
    event_import(files=[("n.md", b"# Engines\n\n- one\n")], slug="c", start=DAY1)
    talk = Talk.objects.get(event__slug="c")

    result = event_import(files=[("n.md", b"# Engines\n\n- one\n- two\n")], slug="c")

    assert [(i.action, i.changed) for i in result.items] == [("update", ["notes"])]
    talk.note.refresh_from_db()
    assert talk.note.markdown == "- one\n- two\n"
    assert list(NoteRevision.objects.filter(note=talk.note).values_list("markdown", flat=True)) == [
        "- one\n"
    ]


def _words(text: str) -> Counter:
    """The words of each line, without its list marker (an ordered item's number)."""
    words: Counter = Counter()
    for line in text.lower().split("\n"):
        words += Counter(re.findall(r"[^\W_]+", re.sub(r"^\s*(?:[-+*]|\d+[.)])(?=\s|$)", "", line)))
    return words


def test_fixture_every_word_of_every_line_lands_in_its_items_notes(fixture_bytes):
    """Read the fixture line by line on its own (no project code): the words of each
    item's lines — bullets, paragraphs, tables, sub-headings — are its note's words."""
    _import_fixture(fixture_bytes)
    headings = {e[0] for e in EXPECTED}
    titles_from_sub_headings = {"10 major traps to avoid during a devops transition"}
    expected: dict[str, Counter] = {}
    current = None
    for line in fixture_bytes.decode().split("\n"):
        heading = re.match(r"^\*+\s+(.*)$", line)
        if heading and heading.group(1).strip() in headings | GROUP_HEADINGS:
            current = heading.group(1).strip() if heading.group(1).strip() in headings else None
            if current:
                expected[current] = Counter()
            continue
        if current is None or line.strip().lower().startswith("#+"):
            continue
        if heading and heading.group(1).strip() in titles_from_sub_headings:
            continue
        expected[current] += _words(line)
    notes = {
        heading: row[4]
        for (heading, *_), row in zip(
            EXPECTED, items_of(Event.objects.get(slug="dod13")), strict=True
        )
    }

    for heading, words in expected.items():
        assert _words(notes[heading]) == words, heading
