import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from pycrdt import Doc, Text

from notes import persistence
from notes.models import Note, NoteContributor, NoteRevision, NoteUpdate
from notes.policy import NoteAccess, get_policy
from notes.protocol import (
    EMPTY_UPDATE,
    KIND_STEP1,
    KIND_STEP2,
    decode_message,
    decode_state_vector,
    encode_awareness,
    encode_permission_denied,
    encode_query_awareness,
    encode_sync_step1,
    encode_update,
)
from notes.room import registry_for_loop
from notes.services import note_replace_text
from sessions.board.identity import GUEST_COOKIE, _signer
from sessions.models import Event
from tests.factories import make_event, make_talk, make_user
from tests.notes.live import LiveClient, eventually, room_flushed, session_cookie, stored_text

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def guest_note(**event_fields) -> int:
    event = make_event(notes_access="guests", **event_fields)
    return make_talk(event=event).note_id


@database_sync_to_async
def users_note() -> int:
    return make_talk(event=make_event(notes_access="users")).note_id


@database_sync_to_async
def update_rows(note_id: int) -> int:
    return NoteUpdate.objects.filter(note_id=note_id).count()


@database_sync_to_async
def note_fields(note_id: int) -> dict:
    return Note.objects.values("markdown", "markdown_updated_at").get(pk=note_id)


async def test_two_clients_converge():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()

    await ann.append("Hello")
    await bob.until_text("Hello")
    await bob.append(" world")
    await ann.until_text("Hello world")

    await room_flushed(note_id)
    assert await stored_text(note_id) == "Hello world"
    await ann.disconnect()
    await bob.disconnect()


async def test_three_clients_typing_at_once_converge():
    note_id = await guest_note()
    names = ("A", "B", "C")
    clients = [await LiveClient(note_id, name=name).connect() for name in names]

    # Everyone types before anyone has seen the others' edits.
    for round_ in range(5):
        for name, client in zip(names, clients, strict=True):
            await client.type(0, f"{name}{round_} ")
    for client in clients:
        await client.until(lambda c=client: len(c.text) == 45)

    texts = {client.text for client in clients}
    assert len(texts) == 1
    text = texts.pop()
    assert sorted(text.split()) == sorted(f"{n}{r}" for n in "ABC" for r in range(5))
    await room_flushed(note_id)
    assert await stored_text(note_id) == text
    for client in clients:
        await client.disconnect()


async def test_server_answers_sync_step1_with_step2_then_its_own_step1():
    note_id = await guest_note()
    writer = await LiveClient(note_id).connect()
    await writer.append("Existing text")
    await room_flushed(note_id)
    reader = await LiveClient(note_id).connect(sync=False)

    await reader.send(encode_sync_step1(Doc().get_state()))
    first = decode_message((await reader.next_frame())["bytes"])
    second = decode_message((await reader.next_frame())["bytes"])

    assert first.kind == KIND_STEP2
    fresh = Doc()
    fresh.apply_update(first.payload)
    assert str(fresh.get("content", type=Text)) == "Existing text"
    assert second.kind == KIND_STEP1
    assert decode_state_vector(second.payload) == decode_state_vector(fresh.get_state())
    await writer.disconnect()
    await reader.disconnect()


async def test_late_joiner_gets_the_whole_document_from_the_server_alone(settings):
    settings.NOTES_LIVE = {"IDLE_UNLOAD": 0.05}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await ann.append("Ann was here. ")
    await bob.until_text("Ann was here. ")
    await bob.append("Bob too.")
    await ann.until_text("Ann was here. Bob too.")
    await ann.disconnect()
    await bob.disconnect()

    # While the room is still in memory…
    carol = await LiveClient(note_id, name="Carol").connect()
    assert carol.text == "Ann was here. Bob too."
    await carol.disconnect()
    # …and after it was unloaded: it is reloaded before the first sync reply.
    registry = registry_for_loop(asyncio.get_running_loop())
    await eventually(lambda: note_id not in registry.rooms)
    dave = await LiveClient(note_id, name="Dave").connect()
    assert dave.text == "Ann was here. Bob too."
    await dave.disconnect()


async def test_awareness_is_relayed_and_removed_when_its_connection_closes():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()

    # A guest's presence shows their name as a guest's (see the tests below).
    await ann.send(ann.y.awareness_message({"user": {"name": "Ann (guest)", "color": "#c00"}}))
    await bob.until(lambda: ann.y.client_id in bob.y.awareness)
    assert bob.y.awareness[ann.y.client_id] == (
        0,
        '{"user": {"name": "Ann (guest)", "color": "#c00"}}',
    )

    await ann.disconnect()
    await bob.until(lambda: bob.y.awareness[ann.y.client_id][1] == "null")
    assert bob.y.awareness[ann.y.client_id] == (1, "null")
    await bob.disconnect()


async def test_query_awareness_is_answered_with_every_known_state():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.send(ann.y.awareness_message({"user": {"name": "Ann (guest)"}}))
    bob = await LiveClient(note_id, name="Bob").connect()
    await bob.send(bob.y.awareness_message({"user": {"name": "Bob (guest)"}}))
    await ann.until(lambda: bob.y.client_id in ann.y.awareness)
    carol = await LiveClient(note_id, name="Carol").connect()
    await carol.pump()
    carol.y.awareness.clear()

    await carol.send(encode_query_awareness())
    await carol.until(lambda: len(carol.y.awareness) == 2)

    assert carol.y.awareness == {
        ann.y.client_id: (0, json.dumps({"user": {"name": "Ann (guest)"}})),
        bob.y.client_id: (0, json.dumps({"user": {"name": "Bob (guest)"}})),
    }
    for client in (ann, bob, carol):
        await client.disconnect()


async def test_archived_event_gives_a_read_only_connection():
    note_id = await guest_note()
    writer = await LiveClient(note_id).connect()
    await writer.append("Before the archive")
    await room_flushed(note_id)
    await writer.disconnect()
    await database_sync_to_async(lambda: Event.objects.update(archived=True))()
    rows_before = await update_rows(note_id)

    reader = await LiveClient(note_id, name="Late").connect()
    assert reader.text == "Before the archive"
    await reader.append(" and after")
    await reader.until(lambda: reader.y.denied)
    await reader.append(" (again)")
    await reader.sync()

    # Told why, once.
    archived = "This event is archived: its notes are read-only."
    assert reader.y.denied == [archived]
    assert (
        reader.frames.count({"type": "websocket.send", "bytes": encode_permission_denied(archived)})
        == 1
    )
    await room_flushed(note_id)
    assert await stored_text(note_id) == "Before the archive"
    assert await update_rows(note_id) == rows_before
    await reader.disconnect()


async def test_guest_on_a_users_only_event_reads_live_but_cannot_write():
    note_id = await users_note()
    user = await database_sync_to_async(make_user)(first_name="Grace", last_name="Hopper")
    writer = await LiveClient(note_id, cookie=await session_cookie(user)).connect()
    guest = await LiveClient(note_id, name="Guest").connect()

    await writer.append("Live for readers")
    await guest.until_text("Live for readers")
    await guest.append(" — guest edit")
    await guest.until(lambda: guest.y.denied)
    await writer.append("!")
    # The guest's own copy keeps its refused edit; the live one arrives next to it
    # (concurrent inserts at one spot are ordered by client id).
    await guest.until(
        lambda: guest.text in ("Live for readers! — guest edit", "Live for readers — guest edit!")
    )

    assert guest.y.denied == ["Sign in to take notes."]
    assert writer.text == "Live for readers!"
    await room_flushed(note_id)
    assert await stored_text(note_id) == "Live for readers!"
    contributors = await database_sync_to_async(
        lambda: list(NoteContributor.objects.filter(note_id=note_id).values_list("name", "user"))
    )()
    assert contributors == [("Grace Hopper", user.pk)]
    await writer.disconnect()
    await guest.disconnect()


async def test_unknown_note_is_closed_with_4404():
    client = LiveClient(987654)
    await client.connect(sync=False)
    assert await client.closed() == 4404


class NobodyReads:
    def access(self, *, user, note_id):
        return NoteAccess(can_read=False, can_write=False, read_only_reason="private")


@pytest.fixture
def nobody_reads(settings):
    settings.NOTES_POLICY = f"{__name__}.NobodyReads"
    get_policy.cache_clear()
    yield
    get_policy.cache_clear()


async def test_not_allowed_is_closed_with_4403(nobody_reads):
    note_id = await guest_note()
    client = LiveClient(note_id)
    await client.connect(sync=False)
    assert await client.closed() == 4403
    assert client.frames[-1] == {"type": "websocket.close", "code": 4403, "reason": "private"}


BIG = 1024 * 1024 + 1


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        pytest.param(b"\x07", 4400, id="unknown-message-type"),
        pytest.param(b"\x00\x02\xff", 4400, id="truncated-var-uint"),
        pytest.param(b"\x00\x02\x05ab", 4400, id="length-past-the-end"),
        pytest.param(b"\x00\x09\x00", 4400, id="unknown-sync-type"),
        pytest.param(encode_sync_step1(b"\xff\xff"), 4400, id="bad-state-vector"),
        pytest.param(encode_awareness([(1, 0, "{not json")]), 4400, id="awareness-not-json"),
        pytest.param("text frame", 4400, id="text-frame"),
        pytest.param(encode_update(b"garbage-garbage"), 4422, id="rejected-update"),
        pytest.param(encode_update(b"\x01" * BIG), 4413, id="over-1-MiB"),
    ],
)
async def test_bad_input_closes_only_that_connection(frame, code):
    note_id = await guest_note()
    good = await LiveClient(note_id, name="Good").connect()
    await good.append("Keep me")
    await room_flushed(note_id)
    rows_before = await update_rows(note_id)

    bad = await LiveClient(note_id, name="Bad").connect()
    if isinstance(frame, str):
        await bad.comm.send_to(text_data=frame)
    else:
        await bad.send(frame)

    assert await bad.closed() == code
    await room_flushed(note_id)
    assert await stored_text(note_id) == "Keep me"
    assert await update_rows(note_id) == rows_before
    await good.append(", still working")
    newcomer = await LiveClient(note_id, name="New").connect()
    await newcomer.until_text("Keep me, still working")
    await good.disconnect()
    await newcomer.disconnect()


async def test_a_flood_of_messages_is_closed_with_4429():
    note_id = await guest_note()
    good = await LiveClient(note_id, name="Good").connect()
    await good.append("Keep me")
    await room_flushed(note_id)

    flood = await LiveClient(note_id, name="Flood").connect()
    for _ in range(1000):
        await flood.send(encode_update(EMPTY_UPDATE))

    assert await flood.closed() == 4429
    assert await stored_text(note_id) == "Keep me"
    await good.append("!")
    newcomer = await LiveClient(note_id, name="New").connect()
    assert newcomer.text == "Keep me!"
    await good.disconnect()
    await newcomer.disconnect()


async def test_a_foreign_origin_is_refused():
    note_id = await guest_note()
    client = LiveClient(note_id, origin=b"https://evil.example")
    connected, _ = await client.comm.connect()
    assert connected is False
    assert await stored_text(note_id) == ""


async def test_every_update_is_appended_to_the_log():
    note_id = await guest_note()
    client = await LiveClient(note_id).connect()

    for word in ("one ", "two ", "three"):
        await client.append(word)

    async def stored():
        return await stored_text(note_id) == "one two three"

    # Without waiting for the room: the writer appends on its own within a moment.
    await eventually(stored, within=2)
    assert await update_rows(note_id) >= 1
    await client.disconnect()


async def test_markdown_is_refreshed_shortly_after_edits(settings):
    settings.NOTES_LIVE = {"MARKDOWN_INTERVAL": 0.2}
    note_id = await guest_note()
    client = await LiveClient(note_id).connect()

    await client.append("# Notes\n\n- first point")

    async def refreshed():
        return (await note_fields(note_id))["markdown"] == "# Notes\n\n- first point"

    await eventually(refreshed, within=5)
    assert (await note_fields(note_id))["markdown_updated_at"] is not None
    await client.disconnect()


async def test_markdown_and_a_revision_are_stored_when_the_last_client_leaves(settings):
    settings.NOTES_LIVE = {"MARKDOWN_INTERVAL": 600}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await ann.append("Final words")
    await bob.until_text("Final words")
    await ann.disconnect()
    assert (await note_fields(note_id))["markdown"] == ""

    await bob.disconnect()

    async def refreshed():
        # The Markdown and the revision are two writes: wait for both.
        return (await note_fields(note_id))[
            "markdown"
        ] == "Final words" and await database_sync_to_async(
            NoteRevision.objects.filter(note_id=note_id).exists
        )()

    await eventually(refreshed, within=5)
    revisions = await database_sync_to_async(
        lambda: list(
            NoteRevision.objects.filter(note_id=note_id).values_list("markdown", flat=True)
        )
    )()
    assert revisions == ["Final words"]
    contributors = await database_sync_to_async(
        lambda: sorted(
            NoteContributor.objects.filter(note_id=note_id).values_list("name", flat=True)
        )
    )()
    assert contributors == ["Ann"]


async def test_a_note_without_crdt_state_is_seeded_from_its_markdown():
    note_id = await guest_note()
    await database_sync_to_async(
        lambda: Note.objects.filter(pk=note_id).update(markdown="Imported")
    )()

    ann = await LiveClient(note_id).connect()
    bob = await LiveClient(note_id).connect()

    assert ann.text == "Imported"
    assert bob.text == "Imported"
    state = await database_sync_to_async(persistence.load_note_state)(note_id=note_id)
    again = await database_sync_to_async(persistence.load_note_state)(note_id=note_id)
    assert state.update == again.update
    await ann.disconnect()
    await bob.disconnect()


async def test_replace_text_reaches_open_rooms_and_storage():
    note_id = await guest_note()
    client = await LiveClient(note_id).connect()
    await client.append("old text")
    await room_flushed(note_id)
    note = await database_sync_to_async(Note.objects.get)(pk=note_id)

    await database_sync_to_async(note_replace_text)(note=note, markdown="# Brand new")

    await client.until_text("# Brand new")
    assert await stored_text(note_id) == "# Brand new"
    await client.disconnect()
    await eventually(lambda: note_fields(note_id), within=1)
    assert (await note_fields(note_id))["markdown"] == "# Brand new"


async def test_a_guest_who_takes_an_accounts_name_is_credited_as_a_guest():
    note_id = await guest_note()
    grace = await database_sync_to_async(make_user)(first_name="Grace", last_name="Hopper")
    account = await LiveClient(note_id, cookie=await session_cookie(grace)).connect()
    guest_cookie = f"{GUEST_COOKIE}={_signer().sign('impostor-key')}".encode()
    impostor = await LiveClient(note_id, name="Grace Hopper", cookie=guest_cookie).connect()

    await account.append("Real. ")
    await impostor.until_text("Real. ")
    await impostor.append("Fake.")
    await account.until_text("Real. Fake.")
    await room_flushed(note_id)

    rows = await database_sync_to_async(
        lambda: list(
            NoteContributor.objects.filter(note_id=note_id).values_list("user", "name", "guest_key")
        )
    )()
    assert rows == [(grace.pk, "Grace Hopper", ""), (None, "Grace Hopper", "impostor-key")]
    for client in (account, impostor):
        await client.disconnect()
