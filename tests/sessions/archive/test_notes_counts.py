"""The notes counts of /events/, series and the home page ("3 of 5 sessions with notes")
follow every path that writes notes or changes what readers see of an event: the live
engine's Markdown refresh (a queryset .update()), note_replace_text (the admin, re-imports),
imports, model saves, board moderation, deletions and moves. Database triggers keep the
entries the counts read (conf_sessions.0008 and 0009); no code here or in the app updates
them, so each test writes the way the app does and checks the counts against a recount
from the notes themselves."""

from datetime import date, timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from notes import persistence
from notes.models import Note
from notes.services import note_replace_text
from sessions.archive.browse_selectors import BLANK, with_counts
from sessions.board.identity import Actor
from sessions.board.services import open_space_hide, open_space_withdraw
from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.importing import event_import
from tests.factories import make_event, make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, eventually

from .helpers import texts


def counts(event: Event) -> tuple[int, int]:
    """(items, items with notes) as the browse pages show them."""
    [counted] = with_counts([Event.objects.get(pk=event.pk)])
    return counted.items_count, counted.notes_count


def recount(event: Event) -> tuple[int, int]:
    """The same, from the items and their notes' text (what readers see on "Read it all")."""
    items = [
        *Talk.objects.filter(event=event).select_related("note"),
        *OpenSpace.objects.filter(event=event).shown().select_related("note"),
    ]
    return len(items), sum(1 for item in items if item.note.markdown.strip(BLANK))


def live_save(item: Talk | OpenSpace, markdown: str) -> None:
    """Store the Markdown as the live engine's writer does (a queryset .update())."""
    persistence.save_markdown(
        note_id=item.note_id,
        markdown=markdown,
        revision_interval=timedelta(minutes=5),
        force_revision=False,
    )


def assert_counts(event: Event, expected: tuple[int, int]) -> None:
    assert (counts(event), recount(event)) == (expected, expected)


@pytest.mark.django_db
def test_live_writer_updates_count_and_blank_text_does_not():
    event = make_event()
    talk, topic = make_talk(event=event), make_open_space(event=event)
    assert_counts(event, (2, 0))

    live_save(talk, "- canaries first")
    assert_counts(event, (2, 1))
    live_save(topic, " \n\t\r\n")  # white space only: nothing to read
    assert_counts(event, (2, 1))
    live_save(topic, "decided: rotate weekly")
    assert_counts(event, (2, 2))
    live_save(talk, "\n")  # an emptied live document keeps a newline
    assert_counts(event, (2, 1))
    live_save(talk, "")
    assert_counts(event, (2, 1))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_live_edit_through_the_websocket_is_counted():
    event = await database_sync_to_async(make_event)(notes_access=Event.NotesAccess.GUESTS)
    talk = await database_sync_to_async(make_talk)(event=event)
    client = await LiveClient(talk.note_id, name="Ann").connect()

    await client.append("- the canary caught it")
    # The engine stores the Markdown ~2 s after edits (MARKDOWN_INTERVAL).
    await eventually(
        database_sync_to_async(lambda: counts(event) == (1, 1)),
        within=8,
        message="the live edit was never counted",
    )
    await client.disconnect()

    assert await database_sync_to_async(counts)(event) == (1, 1)
    assert await database_sync_to_async(recount)(event) == (1, 1)


@pytest.mark.django_db
def test_note_replace_text_updates_counts():
    event = make_event()
    talk = make_talk(event=event)

    note_replace_text(note=talk.note, markdown="- imported notes")
    assert_counts(event, (1, 1))
    note_replace_text(note=talk.note, markdown="  \n")
    assert_counts(event, (1, 0))


@pytest.mark.django_db
def test_admin_note_edit_updates_counts(client: Client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    event = make_event()
    talk = make_talk(event=event)

    def admin_save(markdown: str) -> int:
        return client.post(
            f"/admin/notes/note/{talk.note_id}/change/",
            {
                "markdown": markdown,
                "contributors-TOTAL_FORMS": "0",
                "contributors-INITIAL_FORMS": "0",
            },
        ).status_code

    assert admin_save("- pagers at night") == 302
    assert_counts(event, (1, 1))
    assert admin_save("") == 302
    assert_counts(event, (1, 0))


OUTLINE = b"""# Ann Lee: Canary releases

- the canary caught the bad build

# Bob Ray: Blameless reviews

# Open space: On-call health

- rotations of one week
"""


@pytest.mark.django_db
def test_import_and_reimport_update_counts():
    result = event_import(files=[("ops.md", OUTLINE)], slug="ops-13", start=date(2013, 10, 1))
    assert_counts(result.event, (3, 2))

    edited = OUTLINE.replace(
        b"# Bob Ray: Blameless reviews\n", b"# Bob Ray: Blameless reviews\n\n- no blame\n"
    )
    event_import(event=result.event, files=[("ops.md", edited)])

    assert_counts(result.event, (3, 3))


@pytest.mark.django_db
def test_notes_saved_through_the_model_are_counted():
    event = make_event()
    note = Note.objects.create(markdown="- written before its talk existed")
    Talk.objects.create(event=event, title="Seeded", slug="seeded", note=note)
    talk = make_talk(event=event)
    assert_counts(event, (2, 1))

    talk.note.markdown = "- seeded notes"  # how the demo data writes its notes
    talk.note.save(update_fields=["markdown"])
    assert_counts(event, (2, 2))
    Note.objects.filter(pk__in=[note.pk, talk.note_id]).update(markdown="\r\n")
    assert_counts(event, (2, 0))


@pytest.mark.django_db
def test_withdrawn_and_hidden_topics_leave_the_counts_and_come_back():
    organizer = make_user()
    event = make_event()
    event.organizers.add(organizer)
    kept, moderated = make_open_space(event=event), make_open_space(event=event)
    live_save(kept, "kept notes")
    live_save(moderated, "moderated notes")
    assert_counts(event, (2, 2))

    open_space_hide(actor=Actor(user=organizer), open_space=moderated)
    assert_counts(event, (1, 1))
    open_space_hide(actor=Actor(user=organizer), open_space=moderated, hidden=False)
    assert_counts(event, (2, 2))
    open_space_withdraw(actor=Actor(user=organizer), open_space=kept)
    assert_counts(event, (1, 1))


@pytest.mark.django_db
def test_deleted_and_moved_items_leave_their_event_counts():
    first, second = make_event(slug="first"), make_event(slug="second")
    moved, deleted = make_talk(event=first), make_talk(event=first)
    topic = make_open_space(event=first)
    for item in (moved, deleted, topic):
        live_save(item, "notes")

    Talk.objects.filter(pk=moved.pk).update(event=second)
    deleted.delete()
    topic.delete()

    assert_counts(first, (0, 0))
    assert_counts(second, (1, 1))


@pytest.mark.django_db
def test_events_page_shows_the_counts_after_a_live_edit(client: Client):
    event = make_event(slug="live")
    talk = make_talk(event=event)
    make_talk(event=event)

    live_save(talk, "- fresh notes")

    html = client.get("/events/").content.decode()
    assert texts(html, r'<p class="meta event-card__notes">(.*?)</p>') == [
        "1 of 2 sessions with notes"
    ]


# --- The migration that made blank notes count as unwritten ------------------------------

BEFORE = [("conf_sessions", "0009_guest_note_names_to_contributors")]
AFTER = [("conf_sessions", "0010_search_entry_written")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _entries(apps) -> list[tuple[str, bool]]:
    entry = apps.get_model("conf_sessions", "SearchEntry")
    return [
        (title, updated is not None)
        for title, updated in entry.objects.order_by("talk__title").values_list(
            "talk__title", "notes_updated_at"
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_migration_corrects_entries_of_blank_notes_and_back():
    old = migrate(BEFORE)
    event = old.get_model("conf_sessions", "Event").objects.create(
        name="E", slug="e", start_date="2026-06-10", end_date="2026-06-10"
    )
    note = old.get_model("notes", "Note").objects
    talk = old.get_model("conf_sessions", "Talk").objects
    for title, markdown in [("blank", " \n"), ("empty", ""), ("written", "- notes")]:
        talk.create(event=event, title=title, slug=title, note=note.create(markdown=markdown))
    assert _entries(old) == [("blank", True), ("empty", False), ("written", True)]

    new = migrate(AFTER)
    assert _entries(new) == [("blank", False), ("empty", False), ("written", True)]
    # The triggers the migration rewrote keep the new rule.
    talk = new.get_model("conf_sessions", "Talk").objects
    note = new.get_model("notes", "Note").objects
    talk.create(event_id=event.pk, title="later", slug="later", note=note.create(markdown="\t"))
    note.filter(pk=talk.get(title="written").note_id).update(markdown="\n")
    assert _entries(new) == [
        ("blank", False),
        ("empty", False),
        ("later", False),
        ("written", False),
    ]

    back = migrate(BEFORE)
    assert _entries(back) == [
        ("blank", True),
        ("empty", False),
        ("later", True),
        ("written", True),
    ]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
