"""Importing whole notes repositories, one shape each (tests/fixtures/repos/<shape>/).

Every content line of those repositories ends with a tag naming where it must
land: an item's tag, {event} (the event description) or {skip} (listed as
skipped). Lines without a tag are headings that become titles. The check of
where lines landed reads the files and the imported notes line by line, on its
own — no project code — so that nothing is lost, doubled or misplaced, and
every bullet keeps its depth.
"""

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.importing import EventImportError, event_import
from sessions.transfer.sources import repository_from_paths

from .helpers import database_state

pytestmark = pytest.mark.django_db

REPOS = Path(__file__).resolve().parents[2] / "fixtures" / "repos"
START = date(2026, 6, 10)
D1, D2, D3 = date(2026, 6, 10), date(2026, 6, 11), date(2026, 6, 12)

# shape → (event name, [(kind, title, speakers or host, day, tag of its lines)])
SHAPES = {
    "one-file-per-talk": ("one-file-per-talk", [
        ("talk", "Compilers and people", "Grace Hopper", None, "comp"),
        ("talk", "Keeping state in the cloud", "Ada Lovelace", None, "state"),
        ("talk", "On-call without burnout", "", None, "oncall"),
    ]),
    "folder-per-open-space": ("DevOps Unconference 2026", [
        ("open-space", "Kubernetes at scale", "", D1, "k8s"),
        ("open-space", "On call rotations", "", D1, "oncall"),
        ("open-space", "CI pipelines that scale", "", D2, "ci"),
        ("open-space", "Remote teams", "Jane Smith", D2, "remote"),
    ]),
    "day-folders": ("day-folders", [
        ("talk", "Closing remarks", "", D3, "closing"),
        ("open-space", "Kanban for ops", "", D2, "kanban"),
        ("workshop", "Terraform from scratch", "", D2, "tf"),
        ("keynote", "Culture eats strategy", "", D1, "keynote"),
        ("ignite", "Oliver White", "Oliver White", D1, "oliver"),
        ("ignite", "Containers are processes", "@kelsey", D1, "kelsey"),
    ]),
    "no-heading-files": ("no-heading-files", [
        ("talk", "Chaos days", "", D2, "chaos"),
        ("talk", "Kubernetes at scale", "", None, "k8s"),
        ("talk", "Notes", "", None, "orgnotes"),
    ]),
    "hash-titles": ("hash-titles", [
        ("talk", "Monitoring is a culture", "", None, "monitoring"),
        ("talk", "Tabs and bullets", "", None, "tabs"),
        ("talk", "Tracing everything", "Jane Smith", None, "tracing"),
    ]),
    "readme-with-meta-sections": ("Ops Summit 2026 notes", [
        ("keynote", "Why we fail", "Jane Smith", None, "keynote"),
        ("workshop", "Kubernetes hands-on", "", None, "k8s"),
    ]),
    "document-title": ("My notes from DevOpsDays Paris 2026", [
        ("keynote", "Keynote", "Jane Smith", D1, "jane"),
        ("talk", "Keeping state", "Ada Lovelace", D1, "ada"),
        ("ignite", "Oliver White", "Oliver White", D1, "oliver"),
        ("open-space", "Value streams", "Pat Debois", D2, "pat"),
        ("talk", "Compilers", "Grace Hopper", D2, "grace"),
    ]),
}  # fmt: skip
KINDS = {"folder-per-open-space": "open-space"}  # what the command's --kind says


def _import(shape: str, **options):
    repository = repository_from_paths([REPOS / shape])
    result = event_import(
        repository=repository, slug=shape, start=START, kind=KINDS.get(shape), **options
    )
    return result, Event.objects.get(slug=shape)


def _items(event: Event) -> list[tuple]:
    talks = [
        (t.position, t.kind, t.title, t.speakers, t.day, t.note.markdown)
        for t in Talk.objects.filter(event=event).select_related("note")
    ]
    spaces = [
        (o.position, "open-space", o.title, o.host, o.day, o.note.markdown)
        for o in OpenSpace.objects.filter(event=event).select_related("note")
    ]
    return [row[1:] for row in sorted(talks + spaces)]


# ------------------------------------------------ the independent line-by-line check

_TAG = re.compile(r"\s*\{([\w-]+)\}\s*$")
_LIST = re.compile(r"^(?P<indent> *)(?:[-+*]|\d+[.)])(?:\s+|$)")
_MARKUP = re.compile(r"^\s*(?:#+\s*|\*+\s+|[-+*]\s+|\d+[.)]\s+|>\s?)")
_LINK_DESTINATION = re.compile(r"\]\([^)]*\)")


def tagged_lines(text: str, *, org: bool = False) -> Counter:
    """(tag, list depth, words) of every tagged line; depth counts distinct
    indentations of the bullets above, None outside lists."""
    found: Counter = Counter()
    indents: list[int] = []
    for raw in text.expandtabs(4).split("\n"):
        bullet = None if org and re.match(r"^\*+\s", raw) else _LIST.match(raw)
        depth = None
        if bullet:
            indent = len(bullet.group("indent"))
            while indents and indents[-1] > indent:
                indents.pop()
            if not indents or indents[-1] < indent:
                indents.append(indent)
            depth = len(indents) - 1
        elif raw.strip() and not raw.startswith(" "):
            indents = []
        tag = _TAG.search(raw)
        if tag:
            words = _LINK_DESTINATION.sub("]()", _MARKUP.sub("", raw[: tag.start()]))
            found[(tag.group(1), depth, " ".join(words.split()))] += 1
    return found


def source_lines(shape: str) -> Counter:
    found: Counter = Counter()
    for path in sorted((REPOS / shape).rglob("*")):
        if path.suffix in (".md", ".org") and path.name != "CONTRIBUTING.md":
            found += tagged_lines(path.read_text(), org=path.suffix == ".org")
    return found


def untagged_content(text: str) -> list[str]:
    """Lines of a note or description that carry no tag (none should)."""
    return [
        line for line in text.split("\n") if line.strip() and not line.startswith("```")
        and not _TAG.search(line)
    ]  # fmt: skip


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_repository_imports_the_items_a_person_expects(shape):
    result, event = _import(shape)

    name, expected = SHAPES[shape]
    assert event.name == name
    assert [row[:4] for row in _items(event)] == [row[:4] for row in expected]
    assert [i.action for i in result.items] == ["create"] * len(expected)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_repository_every_line_lands_once_in_its_place_at_its_depth(shape):
    result, event = _import(shape)

    _, expected = SHAPES[shape]
    landed: Counter = Counter()
    for (_, title, _, _, note), (*_, tag) in zip(_items(event), expected, strict=True):
        lines = tagged_lines(note)
        assert {t for t, *_ in lines} <= {tag}, title
        assert untagged_content(note) == [], title
        landed += lines
    description = tagged_lines(event.description)
    assert {t for t, *_ in description} <= {"event"}
    skipped = Counter()
    for part in result.skipped:
        skipped += tagged_lines(part.markdown)
    assert {t for t, *_ in skipped} <= {"skip"}
    assert landed + description + skipped == source_lines(shape)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_repository_reimport_changes_nothing(shape):
    _import(shape)
    before = database_state()

    result, _ = _import(shape)

    assert database_state() == before
    assert {i.action for i in result.items} == {"unchanged"}


# ------------------------------------------------ what each shape shows besides its items


def test_one_file_per_talk_keeps_the_text_before_the_first_section_in_the_note():
    _import("one-file-per-talk")

    talk = Talk.objects.get(title="Keeping state in the cloud")
    assert talk.note.markdown.startswith(
        "Slides are online. {state}\nIntro text before the first section. {state}\n\n"
        "## Problem {state}\n"
    )
    # Lines before the file's first heading start its item's notes.
    compilers = Talk.objects.get(title="Compilers and people")
    assert compilers.note.markdown.startswith("Notes taken by Bob during the talk. {comp}\n\n")
    assert Event.objects.get(slug="one-file-per-talk").description == ""


def test_one_file_per_talk_reports_the_lone_dash_it_read_as_an_empty_bullet():
    result, _ = _import("one-file-per-talk")

    assert result.warnings == [
        "keeping-state.md, line 21: a lone “-” under a line is read as an empty bullet, "
        "not as a heading underline"
    ]


def test_hash_titles_are_read_as_headings_with_a_warning_each():
    result, _ = _import("hash-titles")

    assert result.warnings == [
        "monitoring.md, line 1: “#Monitoring is a culture” read as a heading; "
        "write “# Monitoring is a culture”",
        "monitoring.md, line 4: “##What we learned {monitoring}” read as a heading; "
        "write “## What we learned {monitoring}”",
        "tabs.md, line 1: “#Tabs and bullets” read as a heading; write “# Tabs and bullets”",
        "tracing.md, line 1: “#Jane Smith: Tracing everything” read as a heading; "
        "write “# Jane Smith: Tracing everything”",
    ]
    assert Talk.objects.get(title="Tabs and bullets").note.markdown == (
        "- top {tabs}\n  - nested {tabs}\n    - deeper {tabs}\n- back to top {tabs}\n"
    )


def test_readme_names_the_event_describes_it_and_its_meta_sections_are_skipped():
    result, event = _import("readme-with-meta-sections")

    keynote = Talk.objects.get(event=event, title="Why we fail")
    workshop = Talk.objects.get(event=event, title="Kubernetes hands-on")
    assert event.description == (
        "These are the notes of the summit. {event}\n"
        f"See [the keynote]({keynote.get_absolute_url()}) and "
        f"[the workshop]({workshop.get_absolute_url()}). {{event}}\n\n"
        "## Talks {event}\n\n"
        f"- [Keynote]({keynote.get_absolute_url()}) {{event}}\n"
        f"- [Kubernetes workshop]({workshop.get_absolute_url()}) {{event}}"
    )
    assert [(p.file, p.line, p.end_line, p.title, p.reason) for p in result.skipped] == [
        ("CONTRIBUTING.md", 0, 0, "CONTRIBUTING.md", "a file about the repository, not notes"),
        ("images/stage.jpg", 0, 0, "images/stage.jpg", "not a notes file (.jpg)"),
        ("README.md", 11, 14, "Contributing", "a README section about the repository"),
        ("README.md", 15, 18, "License", "a README section about the repository"),
        ("README.md", 19, 22, "Privacy", "a README section about the repository"),
        ("README.md", 23, 25, "Links", "a README section about the repository"),
    ]
    assert [(d.file, d.line, d.title) for d in result.description] == [
        ("README.md", 1, "Ops Summit 2026 notes"),
        ("README.md", 6, "Talks {event}"),
    ]


def test_relative_links_point_to_item_pages_and_broken_ones_are_listed():
    result, event = _import("readme-with-meta-sections")

    workshop = Talk.objects.get(event=event, title="Kubernetes hands-on")
    keynote = Talk.objects.get(event=event, title="Why we fail")
    assert (
        f"- see the [workshop]({workshop.get_absolute_url()}) and ![photo](images/stage.jpg)"
        in keynote.note.markdown
    )
    assert [(b.file, b.where, b.href, b.reason) for b in result.broken_links] == [
        ("keynote.md", "Why we fail", "images/stage.jpg", "not imported (only notes files are)"),
        ("keynote.md", "Why we fail", "old/notes.md", "no such file in the repository"),
    ]


def test_link_to_a_folder_of_one_item_points_to_that_item():
    _, event = _import("folder-per-open-space")

    ci = OpenSpace.objects.get(event=event, title="CI pipelines that scale")
    kubernetes = OpenSpace.objects.get(event=event, title="Kubernetes at scale")
    assert f"- see also [CI pipelines]({ci.get_absolute_url()}) {{k8s}}" in (
        kubernetes.note.markdown
    )


def test_folder_per_open_space_without_kind_gives_talks_on_their_days():
    result = event_import(
        repository=repository_from_paths([REPOS / "folder-per-open-space"]),
        slug="spaces",
        start=START,
        dry_run=True,
    )

    assert [(i.kind, i.title, i.day) for i in result.items] == [
        ("talk", "Kubernetes at scale", D1),
        ("talk", "On call rotations", D1),
        ("talk", "CI pipelines that scale", D2),
        ("talk", "Remote teams", D2),
    ]


def test_document_title_names_the_event_and_its_text_describes_it():
    result, event = _import("document-title")

    assert event.description == "Collected on my laptop, typos included. {event}"
    assert [(p.line, p.title, p.reason) for p in result.skipped] == [
        (34, "Table of contents", "a section about the document, not the event"),
    ]
    assert result.description_action == "set"


def test_event_dates_come_from_dated_file_names_when_no_start_is_given():
    event_import(repository=repository_from_paths([REPOS / "no-heading-files"]), slug="dated")

    event = Event.objects.get(slug="dated")
    assert (event.start_date, event.end_date) == (D2, D2)


def test_event_with_numbered_and_dated_days_needs_a_start_date():
    with pytest.raises(EventImportError) as caught:
        event_import(repository=repository_from_paths([REPOS / "day-folders"]), slug="days")

    assert str(caught.value) == (
        "There is no event “days”; give its start date (--start YYYY-MM-DD) to create it "
        "(the notes name days by number and by date: which date is day 1?)."
    )
    assert not Event.objects.filter(slug="days").exists()
