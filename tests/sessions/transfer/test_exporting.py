"""Exporting events as Markdown, Org and zip — and importing those exports back."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from notes.rendering import same_rendering
from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.exporting import (
    event_export_markdown,
    event_export_org,
    event_export_zip,
    item_export_markdown,
)
from sessions.transfer.importing import event_import
from tests.factories import local, make_event, make_open_space, make_room, make_slot, make_talk

from .helpers import items_of

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
DAY1 = date(2013, 10, 1)


@pytest.fixture
def scheduled_event():
    event = make_event(
        name="Ops Days", slug="ops-days", start_date=date(2026, 6, 10), end_date=date(2026, 6, 11)
    )
    room = make_room(event=event, name="Main hall")
    talk = make_talk(
        event=event,
        title="Keeping state",
        speakers="Ada Lovelace, Grace Hopper",
        room=room,
        start=local(event, 2026, 6, 10, 9, 30),
        end=local(event, 2026, 6, 10, 10, 0),
    )
    talk.note.markdown = "- state is hard\n  - so *write it down*\n\n## Q&A\n\n- why?\n"
    talk.note.save()
    slot = make_slot(
        event=event, start=local(event, 2026, 6, 11, 14, 0), end=local(event, 2026, 6, 11, 15, 0)
    )
    space = make_open_space(
        event=event, title="Kanban for ops", host="Linus", room=room, slot=slot, status="scheduled"
    )
    space.note.markdown = "- limit WIP\n"
    space.note.save()
    make_talk(event=event, title="Someday talk", kind="keynote")
    return event


def test_event_markdown_export_has_days_headings_bylines_and_notes(scheduled_event):
    text = event_export_markdown(event=scheduled_event)

    assert text == (
        "# Ops Days\n\n"
        "## Day 1 — Wednesday 2026-06-10\n\n"
        "### Ada Lovelace, Grace Hopper: Keeping state\n"
        "<!-- confnotes\nkey: talk:keeping-state\nkind: talk\ntitle: Keeping state\n"
        "speakers: Ada Lovelace, Grace Hopper\nstart: 2026-06-10T09:30:00+02:00\n"
        "end: 2026-06-10T10:00:00+02:00\nroom: Main hall\n-->\n\n"
        "*Talk · Wed 10 Jun 2026, 09:30–10:00 · Main hall*\n\n"
        "- state is hard\n  - so *write it down*\n\n#### Q&A\n\n- why?\n\n"
        "## Day 2 — Thursday 2026-06-11\n\n"
        "### Open space: Kanban for ops\n"
        "<!-- confnotes\nkey: open-space:kanban-for-ops\nkind: open-space\ntitle: Kanban for ops\n"
        "host: Linus\nstatus: scheduled\nstart: 2026-06-11T14:00:00+02:00\n"
        "end: 2026-06-11T15:00:00+02:00\nroom: Main hall\n-->\n\n"
        "*Open space · hosted by Linus · Thu 11 Jun 2026, 14:00–15:00 · Main hall*\n\n"
        "- limit WIP\n\n"
        "## Not on the schedule\n\n"
        "### Someday talk\n"
        "<!-- confnotes\nkey: talk:someday-talk\nkind: keynote\ntitle: Someday talk\n-->\n\n"
        "*Keynote*\n"
    )


def test_event_org_export_uses_property_drawers_and_org_markup(scheduled_event):
    text = event_export_org(event=scheduled_event)

    assert text.startswith(
        "#+TITLE: Ops Days\n\n* Day 1 — Wednesday 2026-06-10\n\n"
        "** Ada Lovelace, Grace Hopper: Keeping state\n:PROPERTIES:\n:KEY: talk:keeping-state\n"
        ":KIND: talk\n:TITLE: Keeping state\n:SPEAKERS: Ada Lovelace, Grace Hopper\n"
        ":START: 2026-06-10T09:30:00+02:00\n:END: 2026-06-10T10:00:00+02:00\n:ROOM: Main hall\n"
        ":END:\n\n/Talk · Wed 10 Jun 2026, 09:30–10:00 · Main hall/\n\n"
        "- state is hard\n  - so /write it down/\n\n*** Q&A\n\n- why?\n"
    )
    assert "\n* Not on the schedule\n\n** Someday talk\n" in text


def test_single_item_markdown_is_a_document_of_its_own(scheduled_event):
    talk = Talk.objects.get(event=scheduled_event, title="Keeping state")

    text = item_export_markdown(item=talk)

    assert text.startswith("# Ada Lovelace, Grace Hopper: Keeping state\n<!-- confnotes\n")
    assert text.endswith("- state is hard\n  - so *write it down*\n\n## Q&A\n\n- why?\n")


def test_zip_export_has_one_file_per_item_named_by_date_and_slug(scheduled_event):
    data = event_export_zip(event=scheduled_event)

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == [
        "ops-days/2026-06-10-keeping-state.md",
        "ops-days/2026-06-11-open-space-kanban-for-ops.md",
        "ops-days/index.md",
        "ops-days/undated-someday-talk.md",
    ]
    index = archive.read("ops-days/index.md").decode()
    assert index == (
        "# Ops Days\n\n## Day 1 — Wednesday 2026-06-10\n\n"
        "- [Ada Lovelace, Grace Hopper: Keeping state](2026-06-10-keeping-state.md) "
        "*Talk · Wed 10 Jun 2026, 09:30–10:00 · Main hall*\n\n"
        "## Day 2 — Thursday 2026-06-11\n\n"
        "- [Open space: Kanban for ops](2026-06-11-open-space-kanban-for-ops.md) "
        "*Open space · hosted by Linus · Thu 11 Jun 2026, 14:00–15:00 · Main hall*\n\n"
        "## Not on the schedule\n\n- [Someday talk](undated-someday-talk.md) *Keynote*\n"
    )
    talk = Talk.objects.get(event=scheduled_event, title="Keeping state")
    assert archive.read("ops-days/2026-06-10-keeping-state.md").decode() == item_export_markdown(
        item=talk
    )


def _full_state(event: Event) -> list[tuple]:
    talks = [
        (
            t.kind,
            t.title,
            t.speakers,
            t.day,
            t.start,
            t.end,
            t.room and t.room.name,
            t.note.markdown,
        )
        for t in Talk.objects.filter(event=event).select_related("room", "note")
    ]
    spaces = [
        (o.status, o.title, o.host, o.day, o.start, o.end, o.room and o.room.name, o.note.markdown)
        for o in OpenSpace.objects.filter(event=event).select_related("room", "slot", "note")
    ]
    return sorted(talks, key=str) + sorted(spaces, key=str)


@pytest.mark.parametrize("export", [event_export_markdown, event_export_org])
def test_round_trip_of_a_scheduled_event_keeps_times_rooms_and_notes(scheduled_event, export):
    text = export(event=scheduled_event)
    name = "export.md" if export is event_export_markdown else "export.org"

    event_import(files=[(name, text.encode())], slug="copy", start=date(2026, 6, 10))

    copy = Event.objects.get(slug="copy")
    assert copy.name == "Ops Days"
    assert _full_state(copy) == _full_state(scheduled_event)


@pytest.mark.parametrize("export", [event_export_markdown, event_export_org])
def test_reimporting_an_export_into_its_own_event_changes_nothing(scheduled_event, export):
    text = export(event=scheduled_event)
    before = _full_state(scheduled_event)

    result = event_import(
        event=scheduled_event,
        files=[("e." + ("md" if export is event_export_markdown else "org"), text.encode())],
    )

    assert [i.action for i in result.items] == ["unchanged"] * 3
    assert _full_state(scheduled_event) == before


def _import_source(path: Path, slug: str, start: date) -> Event:
    event_import(files=[(path.name, path.read_bytes())], slug=slug, start=start)
    return Event.objects.get(slug=slug)


@pytest.mark.parametrize("export", [event_export_markdown, event_export_org])
def test_round_trip_of_the_fixture_is_exact(shared_fixture, export):
    source = _import_source(shared_fixture("devopsdaysparis-2013.org"), "dod13", DAY1)
    suffix = "md" if export is event_export_markdown else "org"

    event_import(
        files=[(f"export.{suffix}", export(event=source).encode())], slug="copy", start=DAY1
    )

    copy = Event.objects.get(slug="copy")
    assert copy.name == source.name
    assert items_of(copy) == items_of(source)
    assert len(items_of(copy)) == 21


@pytest.mark.parametrize("sample", ["rich-notes.md", "rich-notes.org"])
@pytest.mark.parametrize("export", [event_export_markdown, event_export_org])
def test_round_trip_of_the_rich_samples(sample, export):
    source = _import_source(FIXTURES / sample, "rich", date(2026, 6, 10))
    suffix = "md" if export is event_export_markdown else "org"

    event_import(
        files=[(f"export.{suffix}", export(event=source).encode())],
        slug="copy",
        start=date(2026, 6, 10),
    )

    copy = Event.objects.get(slug="copy")
    original, again = items_of(source), items_of(copy)
    assert (copy.name, copy.description) == (source.name, source.description)
    assert [row[:4] for row in again] == [row[:4] for row in original]
    if sample.endswith(".org") or export is event_export_markdown:
        assert again == original
    else:
        # Markdown written by hand comes back from Org in canonical form ("*"
        # bullets as "-", wrapped bullet lines joined): the same document shown.
        assert all(same_rendering(a[4], b[4]) for a, b in zip(again, original, strict=True))


def test_rich_markdown_sample_items(tmp_path):
    event = _import_source(FIXTURES / "rich-notes.md", "rich", date(2026, 6, 10))

    d1, d2 = date(2026, 6, 10), date(2026, 6, 11)
    assert [row[:4] for row in items_of(event)] == [
        ("talk", "Keeping state in the cloud", "Ada Lovelace (Analytical Engines Ltd)", d1),
        ("talk", "Compilers and people", "Grace Hopper", d1),
        ("ignite", "Git in five minutes", "Linus T.", d1),
        ("ignite", "Containers are processes", "@kelsey", d1),
        ("open-space", "Testing flight software", "Margaret Hamilton", d2),
        ("open-space", "On-call without burnout", "", d2),
        ("open-space", "Kanban for ops teams", "", d2),
        ("demo", "WidgetCo", "", d2),
        ("sponsor", "A word from our sponsors", "Jane Doe (WidgetCo)", d2),
    ]
