"""History and authorship in the live engine: revisions (on the timer, when the last
writer leaves, before every server-side replacement), restoring one while people type,
and who wrote what (recorded per connection, kept through compaction and reloads)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse
from pycrdt import Doc, Text

from notes import persistence
from notes.models import Note, NoteClientAuthor, NoteRevision
from notes.room import registry_for_loop
from notes.selectors import note_authorship, note_revisions
from notes.services import ReplacedBy, note_replace_text, note_restore
from notes.yjs import update_clients
from sessions.board.identity import GUEST_COOKIE, guest_key_from_cookie
from tests.factories import make_event, make_talk, make_user
from tests.notes.live import LiveClient, eventually, room_flushed, session_cookie, stored_text

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

Reason = NoteRevision.Reason
# No Markdown refresh on a timer: a room writes only when a test makes it (the test then
# reads the database without racing it).
QUIET = {"MARKDOWN_INTERVAL": 600}


@database_sync_to_async
def guest_note() -> int:
    return make_talk(event=make_event(notes_access="guests")).note_id


async def written(note_id: int) -> None:
    """Wait until the room of this loop has stored everything, its Markdown refresh due
    on the timer (and so any revision due) included. Polling the database instead would
    race the room's writes: SQLite's in-memory test database refuses a read of a table
    while another connection writes it."""
    room = registry_for_loop(asyncio.get_running_loop()).rooms[note_id]
    await eventually(lambda: not room.writer.busy)


async def everyone_left(note_id: int) -> None:
    """Wait until the room has no clients and has stored what their leaving asked for."""
    room = registry_for_loop(asyncio.get_running_loop()).rooms[note_id]
    await eventually(lambda: not room.clients)
    await room.flushed()


@database_sync_to_async
def revisions(note_id: int) -> list[tuple[str, str]]:
    return list(
        NoteRevision.objects.filter(note_id=note_id)
        .order_by("created_at", "pk")
        .values_list("reason", "markdown")
    )


@database_sync_to_async
def history(note_id: int) -> list[tuple[int, str, list[str]]]:
    """(number, text, who wrote since the revision before), oldest first."""
    note = Note.objects.get(pk=note_id)
    texts = dict(NoteRevision.objects.filter(note=note).values_list("pk", "markdown"))
    return [(e.number, texts[e.pk], e.contributors) for e in reversed(note_revisions(note=note))]


@database_sync_to_async
def authorship(note_id: int) -> list[tuple[str, str]]:
    result = note_authorship(note=Note.objects.get(pk=note_id))
    assert result.complete
    return [(author.name if author else "?", text) for author, text in result.runs]


@database_sync_to_async
def client_authors(note_id: int) -> list[tuple[int, int | None, str, str]]:
    return list(
        NoteClientAuthor.objects.filter(note_id=note_id)
        .order_by("pk")
        .values_list("client_id", "user_id", "guest_key", "name")
    )


# --- Revisions --------------------------------------------------------------------------


async def test_revisions_are_kept_on_the_timer_with_who_wrote_since_the_one_before(settings):
    settings.NOTES_LIVE = {"MARKDOWN_INTERVAL": 0.05, "REVISION_INTERVAL": 1.5}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()

    await ann.append("one")
    await bob.until_text("one")
    await written(note_id)
    assert await revisions(note_id) == [(Reason.EDITING, "one")]  # the first text, at once
    await bob.append(" two")
    await ann.until_text("one two")
    await written(note_id)
    assert await revisions(note_id) == [(Reason.EDITING, "one")]  # not due yet
    await asyncio.sleep(1.6)  # the interval passes
    await ann.append(" three")
    await bob.until_text("one two three")
    await written(note_id)
    assert await revisions(note_id) == [
        (Reason.EDITING, "one"),
        (Reason.EDITING, "one two three"),
    ]
    assert await history(note_id) == [(1, "one", ["Ann"]), (2, "one two three", ["Ann", "Bob"])]
    await ann.disconnect()
    await bob.disconnect()


async def test_a_revision_is_kept_when_the_last_writer_leaves(settings):
    settings.NOTES_LIVE = QUIET
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.append("Last words")
    await room_flushed(note_id)
    assert await revisions(note_id) == []

    await ann.disconnect()

    await everyone_left(note_id)
    assert await revisions(note_id) == [(Reason.LEFT, "Last words")]
    assert await history(note_id) == [(1, "Last words", ["Ann"])]


async def test_a_replacement_without_an_open_room_keeps_the_text_before_and_credits_its_own():
    note_id = await guest_note()
    ann = Doc(client_id=7)
    ann.get("content", type=Text).insert(0, "old words stay here")

    @database_sync_to_async
    def replace():
        persistence.append_updates(note_id=note_id, updates=[ann.get_update()])
        persistence.record_client_authors(note_id=note_id, authors=[(7, None, "", "Ann")])
        note = Note.objects.get(pk=note_id)
        return note_replace_text(
            note=note, markdown="new words stay here", reason=Reason.BEFORE_IMPORT
        )

    assert await replace() is True
    assert await revisions(note_id) == [(Reason.BEFORE_IMPORT, "old words stay here")]
    # Word-level edits: the words both texts share are still Ann's.
    assert await authorship(note_id) == [("Import", "new"), ("Ann", " words stay here")]
    assert [row[3] for row in await client_authors(note_id)] == ["Ann", "Import"]


async def test_a_replacement_in_an_open_room_keeps_the_text_before_and_reaches_the_writers(
    settings,
):
    settings.NOTES_LIVE = QUIET
    note_id = await guest_note()
    admin = await database_sync_to_async(make_user)(username="ada", first_name="Ada")
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.append("# Title\n\nFirst point")
    await room_flushed(note_id)
    note = await database_sync_to_async(Note.objects.get)(pk=note_id)

    changed = await database_sync_to_async(note_replace_text)(
        note=note,
        markdown="# Title\n\nBetter point",
        reason=Reason.BEFORE_ADMIN,
        by=ReplacedBy(name="Ada", user_id=admin.pk),
    )

    assert changed is True
    await ann.until_text("# Title\n\nBetter point")
    assert await stored_text(note_id) == "# Title\n\nBetter point"
    rows = await database_sync_to_async(
        lambda: list(
            NoteRevision.objects.filter(note_id=note_id).values_list(
                "reason", "markdown", "created_by_name", "chars_added", "chars_removed"
            )
        )
    )()
    assert rows == [(Reason.BEFORE_ADMIN, "# Title\n\nFirst point", "Ada", 20, 0)]
    assert await authorship(note_id) == [
        ("Ann", "# Title\n\n"),
        ("Ada", "Better"),
        ("Ann", " point"),
    ]
    assert (await client_authors(note_id))[-1][1:] == (admin.pk, "", "Ada")
    await ann.disconnect()


# --- Restore ----------------------------------------------------------------------------


async def test_restore_while_two_clients_type_reaches_both_and_keeps_their_typing(settings):
    settings.NOTES_LIVE = QUIET  # no revisions but the test's own
    note_id = await guest_note()
    olga = await database_sync_to_async(make_user)(username="olga", first_name="Olga")
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await ann.append("Alpha beta gamma.")
    await bob.until_text("Alpha beta gamma.")
    await room_flushed(note_id)
    good = await database_sync_to_async(NoteRevision.objects.create)(
        note_id=note_id, markdown="Alpha beta gamma."
    )
    # Vandalism.
    await bob.send(bob.y.edit(lambda text: text.__setitem__(slice(6, 10), "VANDAL")))
    await ann.until_text("Alpha VANDAL gamma.")
    await room_flushed(note_id)
    # Both type before they see the restore: their changes are concurrent with it.
    ann_typing = ann.y.append(" ann-typing")
    bob_typing = bob.y.insert(0, "bob-typing ")
    note = await database_sync_to_async(Note.objects.get)(pk=note_id)

    restored = await database_sync_to_async(note_restore)(
        note=note, revision=good, by=ReplacedBy(name="Olga", user_id=olga.pk)
    )
    await ann.send(ann_typing)
    await bob.send(bob_typing)

    expected = "bob-typing Alpha beta gamma. ann-typing"
    assert restored is True
    await ann.until_text(expected)
    await bob.until_text(expected)
    await room_flushed(note_id)
    assert await stored_text(note_id) == expected
    rows = await database_sync_to_async(
        lambda: list(
            NoteRevision.objects.filter(note_id=note_id)
            .order_by("created_at", "pk")
            .values_list("reason", "markdown", "created_by_name", "restored_from_id")
        )
    )()
    assert rows == [
        ("editing", "Alpha beta gamma.", "", None),  # the one restored
        (Reason.BEFORE_RESTORE, "Alpha VANDAL gamma.", "Olga", None),
        (Reason.RESTORE, "Alpha beta gamma.", "Olga", good.pk),
    ]
    await ann.disconnect()
    await bob.disconnect()


async def test_restoring_the_text_as_it_is_changes_nothing(settings):
    settings.NOTES_LIVE = QUIET
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.append("Same")
    await room_flushed(note_id)
    same = await database_sync_to_async(NoteRevision.objects.create)(
        note_id=note_id, markdown="Same"
    )
    note = await database_sync_to_async(Note.objects.get)(pk=note_id)

    restored = await database_sync_to_async(note_restore)(
        note=note, revision=same, by=ReplacedBy(name="Olga")
    )

    assert restored is False
    assert await revisions(note_id) == [(Reason.EDITING, "Same")]
    await ann.disconnect()


# --- Authorship -------------------------------------------------------------------------


async def test_each_connection_is_recorded_as_the_author_of_its_client_ids(settings):
    settings.NOTES_LIVE = QUIET
    event = await database_sync_to_async(make_event)(notes_access="guests")
    talk = await database_sync_to_async(make_talk)(event=event)
    note_id = talk.note_id
    user = await database_sync_to_async(make_user)(username="una", first_name="Una")
    browser = Client()
    await database_sync_to_async(browser.get)(reverse("sessions:open_spaces", args=[event.slug]))
    cookie = browser.cookies[GUEST_COOKIE]
    guest_key = guest_key_from_cookie(cookie.value)
    gus = await LiveClient(
        note_id, name="Gus", cookie=f"{GUEST_COOKIE}={cookie.value}".encode()
    ).connect()
    una = await LiveClient(note_id, name="ignored", cookie=await session_cookie(user)).connect()

    await gus.append("guest words ")
    await una.until_text("guest words ")
    await una.append("user words")
    await gus.until_text("guest words user words")
    await room_flushed(note_id)

    assert await client_authors(note_id) == [
        (gus.y.client_id, None, guest_key, "Gus"),
        (una.y.client_id, user.pk, "", "Una"),
    ]
    assert await authorship(note_id) == [("Gus", "guest words "), ("Una", "user words")]
    await gus.disconnect()
    await una.disconnect()


async def test_a_client_id_keeps_its_first_author_even_after_a_reload(settings):
    settings.NOTES_LIVE = QUIET
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.append("mine")
    await room_flushed(note_id)
    await ann.disconnect()
    registry = registry_for_loop(asyncio.get_running_loop())
    registry.close()  # as a restart: the next connection loads the room afresh
    registry.rooms.clear()
    # Someone else sends items under Ann's client id (a copy of her offline edits).
    mallory = LiveClient(note_id, name="Mallory")
    mallory.y = type(ann.y)(client_id=ann.y.client_id)
    mallory.y.doc.apply_update(ann.y.doc.get_update())
    await mallory.connect()
    await mallory.append(" more")
    await room_flushed(note_id)

    assert [row[3] for row in await client_authors(note_id)] == ["Ann"]
    assert await authorship(note_id) == [("Ann", "mine more")]
    await mallory.disconnect()


async def test_authorship_is_the_same_after_compaction(settings):
    settings.NOTES_LIVE = {**QUIET, "COMPACT_AFTER_ROWS": 3, "PERSIST_INTERVAL": 0.01}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    for word in ("one", "two", "three", "four"):
        await ann.append(f"{word} ")
        await bob.until(lambda word=word: bob.text.endswith(f"{word} "))
        await room_flushed(note_id)
        await bob.type(0, word.upper())
        await ann.until(lambda word=word: ann.text.startswith(word.upper()))
        await room_flushed(note_id)
    before = await authorship(note_id)

    @database_sync_to_async
    def compacted() -> bool:
        persistence.compact(note_id=note_id, min_rows=1)
        note = Note.objects.get(pk=note_id)
        return note.checkpoint_seq > 0 and not note.updates.exists()

    assert await compacted()
    checkpoint = await database_sync_to_async(
        lambda: bytes(Note.objects.get(pk=note_id).checkpoint)
    )()
    # The checkpoint still holds both clients' items, under their own ids.
    assert sorted(update_clients(checkpoint)) == sorted([ann.y.client_id, bob.y.client_id])
    assert (
        await authorship(note_id)
        == before
        == [
            ("Bob", "FOURTHREETWOONE"),
            ("Ann", "one two three four "),
        ]
    )
    await ann.disconnect()
    await bob.disconnect()
