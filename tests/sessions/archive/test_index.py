"""The search index follows every path that changes what it holds: the live engine's
Markdown refresh, note_replace_text (imports, the admin), imports, the admin and board
forms, deletions. Database triggers do it; no code here or in the app calls the index."""

from datetime import date

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from notes.services import note_replace_text
from sessions.archive.models import SearchEntry
from sessions.board.identity import Actor
from sessions.board.services import open_space_hide, open_space_update, open_space_withdraw
from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.importing import event_import
from tests.factories import make_event, make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, eventually

from .search_helpers import search, titles, write_notes

OUTLINE = b"""# Ann Lee: Canary releases

- the canary caught the bad build

# Open space: On-call health

- rotations of one week
"""


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.django_db
def test_live_writer_markdown_update_is_indexed():
    talk = make_talk(event=make_event(), title="Talk")

    write_notes(talk, "the zephyr test")  # the live writer's queryset .update()

    assert titles("zephyr") == ["Talk"]
    write_notes(talk, "something else")
    assert titles("zephyr") == []
    assert titles("something") == ["Talk"]


@pytest.mark.django_db
def test_note_replace_text_is_indexed():
    talk = make_talk(event=make_event(), title="Talk")
    write_notes(talk, "old words: quartz")

    note_replace_text(note=talk.note, markdown="new words: basalt")

    assert titles("basalt") == ["Talk"]
    assert titles("quartz") == []


@pytest.mark.django_db
def test_import_and_reimport_are_indexed():
    result = event_import(files=[("ops.md", OUTLINE)], slug="ops-13", start=date(2013, 10, 1))

    assert titles("canary") == ["Canary releases"]
    assert titles("rotations") == ["On-call health"]
    assert [r.people for r in search("ann")] == ["<mark>Ann</mark> Lee"]

    edited = OUTLINE.replace(b"rotations of one week", b"rotations of two weeks, shadowing")
    event_import(event=result.event, files=[("ops.md", edited)])

    assert titles("shadowing") == ["On-call health"]
    assert titles('"one week"') == []


@pytest.mark.django_db
def test_admin_talk_edit_is_indexed(admin_client):
    event = make_event(slug="adm")
    talk = make_talk(event=event, title="Old title", speakers="Ann")

    response = admin_client.post(
        f"/admin/conf_sessions/talk/{talk.pk}/change/",
        {
            "event": event.pk,
            "title": "Chaos engineering",
            "slug": talk.slug,
            "kind": "keynote",
            "speakers": "Grace Hopper",
            "abstract": "Breaking things on purpose",
            "room": "",
        },
    )

    assert response.status_code == 302
    assert titles("chaos") == ["Chaos engineering"]
    assert titles("hopper", kind="keynote") == ["Chaos engineering"]
    assert titles("purpose") == ["Chaos engineering"]
    assert titles("old") == []


@pytest.mark.django_db
def test_admin_note_edit_is_indexed(admin_client):
    talk = make_talk(event=make_event(), title="Talk")

    response = admin_client.post(
        f"/admin/notes/note/{talk.note_id}/change/",
        {
            "markdown": "- pagers at night",
            "contributors-TOTAL_FORMS": "0",
            "contributors-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert titles("pagers") == ["Talk"]


@pytest.mark.django_db
def test_board_topic_edit_and_withdrawal_are_indexed():
    organizer = make_user()
    event = make_event()
    event.organizers.add(organizer)
    topic = make_open_space(event=event, title="Topic", host="Jo")

    open_space_update(
        actor=Actor(user=organizer),
        open_space=topic,
        title="Observability budgets",
        host="Kim",
        description="How much telemetry",
    )
    assert titles("observability") == ["Observability budgets"]
    assert [r.people for r in search("kim")] == ["<mark>Kim</mark>"]

    open_space_withdraw(actor=Actor(user=organizer), open_space=topic)
    assert titles("observability") == []


@pytest.mark.django_db
def test_a_topic_the_organizers_hide_leaves_the_index_until_shown_again():
    organizer = make_user()
    event = make_event()
    event.organizers.add(organizer)
    topic = make_open_space(event=event, title="Chaos engineering games", host="Jo")
    assert titles("chaos") == ["Chaos engineering games"]

    open_space_hide(actor=Actor(user=organizer), open_space=topic)
    assert titles("chaos") == []

    open_space_hide(actor=Actor(user=organizer), open_space=topic, hidden=False)
    assert titles("chaos") == ["Chaos engineering games"]


@pytest.mark.django_db
def test_deleted_items_leave_the_index():
    event = make_event()
    talk = make_talk(event=event, title="Canary talk")
    topic = make_open_space(event=event, title="Canary topic")

    talk.delete()
    topic.delete()

    assert titles("canary") == []
    assert SearchEntry.objects.count() == 0


@pytest.mark.django_db
def test_deleting_an_event_empties_its_part_of_the_index():
    event = make_event()
    make_talk(event=event, title="Canary talk")
    make_open_space(event=event, title="Canary topic")
    other = make_talk(event=make_event(), title="Canary elsewhere")

    event.delete()

    assert titles("canary") == ["Canary elsewhere"]
    assert list(SearchEntry.objects.values_list("note_id", flat=True)) == [other.note_id]


@pytest.mark.django_db
def test_moving_a_talk_to_another_event_moves_its_entry():
    first, second = make_event(slug="first"), make_event(slug="second")
    talk = make_talk(event=first, title="Canary talk")

    Talk.objects.filter(pk=talk.pk).update(event=second)

    assert titles("canary", event="second") == ["Canary talk"]
    assert titles("canary", event="first") == []


@pytest.mark.django_db
def test_index_holds_one_entry_per_item_except_withdrawn_topics():
    event = make_event()
    talk = make_talk(event=event, kind="ignite")
    topic = make_open_space(event=event)
    make_open_space(event=event, status=OpenSpace.Status.WITHDRAWN)

    entries = SearchEntry.objects.order_by("note_id").values_list(
        "note_id", "event_id", "talk_id", "open_space_id", "kind"
    )

    assert list(entries) == [
        (talk.note_id, event.pk, talk.pk, None, "ignite"),
        (topic.note_id, event.pk, None, topic.pk, "open-space"),
    ]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_live_edit_through_the_websocket_is_found_within_seconds():
    talk = await database_sync_to_async(make_talk)(
        event=await database_sync_to_async(make_event)(notes_access=Event.NotesAccess.GUESTS),
        title="Live talk",
    )
    client = await LiveClient(talk.note_id, name="Ann").connect()

    await client.append("Notes: the xylophone incident")
    # The engine refreshes the Markdown ~2 s after edits (MARKDOWN_INTERVAL); the
    # client stays connected, so nothing else triggers the refresh.
    found = await eventually(
        lambda: database_sync_to_async(titles)("xylophone"),
        within=8,
        message="the live edit never became searchable",
    )

    assert found == ["Live talk"]
    await client.disconnect()
