"""What one client may make the server hold or send: the note's size, the bytes sent in
reply to its requests, its presence states and names, and its open connections."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from pycrdt import Doc, Map

from notes import persistence
from notes.client import DocClient
from notes.limits import counter_keys
from notes.models import NoteUpdate
from notes.protocol import encode_awareness, encode_query_awareness, encode_sync_step1
from sessions.board.identity import GUEST_COOKIE, _signer
from tests.factories import make_event, make_talk, make_user
from tests.notes.live import LiveClient, room_flushed, session_cookie, stored_text

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def guest_note(markdown: str = "") -> int:
    note = make_talk(event=make_event(notes_access="guests")).note
    if markdown:
        note.markdown = markdown
        note.save(update_fields=["markdown"])
    return note.pk


@database_sync_to_async
def update_rows(note_id: int) -> int:
    return NoteUpdate.objects.filter(note_id=note_id).count()


def close_reason(client: LiveClient) -> tuple[int, str]:
    return client.close_code, client.frames[-1].get("reason", "")


# --- The size of a note ------------------------------------------------------------------


async def test_an_insertion_past_the_cap_is_refused_with_4413_and_nothing_is_stored(settings):
    settings.NOTES_LIVE = {"MAX_NOTE_BYTES": 1000}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await ann.append("a" * 900)
    await bob.until_text("a" * 900)
    await room_flushed(note_id)
    rows = await update_rows(note_id)

    await ann.append("b" * 200)

    assert await ann.closed() == 4413
    assert close_reason(ann) == (
        4413,
        "this note is full (1000 bytes of text): your last change was not saved",
    )
    await room_flushed(note_id)
    assert (await stored_text(note_id), await update_rows(note_id)) == ("a" * 900, rows)
    await bob.append("!")
    newcomer = await LiveClient(note_id, name="New").connect()
    await newcomer.until_text("a" * 900 + "!")
    for client in (bob, newcomer):
        await client.disconnect()


async def test_a_full_note_can_still_be_shortened(settings):
    settings.NOTES_LIVE = {"MAX_NOTE_BYTES": 1000}
    note_id = await guest_note(markdown="x" * 1500)  # stored before the cap was lowered
    ann = await LiveClient(note_id).connect()

    await ann.send(ann.y.edit(lambda text: text.__delitem__(slice(0, 100))))
    await ann.append("y")

    assert await ann.closed() == 4413
    await room_flushed(note_id)
    assert await stored_text(note_id) == "x" * 1400


async def test_text_held_back_by_a_crafted_update_cannot_pass_the_cap(settings):
    """pycrdt keeps an update whose dependencies are missing and integrates it when they
    arrive: each message is small, but the second releases the first's text."""
    settings.NOTES_LIVE = {"MAX_NOTE_BYTES": 1000}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    attacker = await LiveClient(note_id, name="Mallory").connect()
    crafted = DocClient()
    opener = crafted.append("<")  # A
    held = crafted.append("m" * 800)  # B: depends on A
    await attacker.send(held)  # held by the server: its dependency is missing
    await ann.append("a" * 500)
    await attacker.until_text("a" * 500)
    await room_flushed(note_id)

    await attacker.send(opener)

    assert (await attacker.closed(), await ann.closed()) == (4413, 1013)
    assert close_reason(ann) == (1013, "the note was reloaded: reconnect to resync")
    assert await stored_text(note_id) == "a" * 500
    back = await LiveClient(note_id, name="Ann").connect()
    assert back.text == "a" * 500
    await back.append("!")
    await room_flushed(note_id)
    assert await stored_text(note_id) == "a" * 500 + "!"
    await back.disconnect()


# --- Bytes sent in reply to one connection's requests -------------------------------------


async def test_sync_requests_past_the_reply_budget_close_with_4429():
    """300 four-byte sync requests pulled 283 MB from one connection (issue 12)."""
    note_id = await guest_note(markdown="word " * 20_000)  # ~100 KB
    reader = await LiveClient(note_id).connect()
    await reader.pump()
    received = 0

    for _ in range(300):
        await reader.send(encode_sync_step1(Doc().get_state()))
    while reader.close_code is None:
        frame = await reader.next_frame()
        received += len(frame.get("bytes") or b"")

    assert reader.close_code == 4429
    assert close_reason(reader) == (4429, "too many sync requests")
    # The default budget (4 MiB), and the one reply that may overdraw it.
    assert received < 4 * 1024 * 1024 + 2 * 100_000


async def test_a_reply_is_allowed_again_once_the_budget_refills(settings):
    settings.NOTES_LIVE = {"REPLY_BYTES_BURST": 1000, "REPLY_BYTES_PER_SECOND": 1_000_000}
    note_id = await guest_note(markdown="x" * 5000)
    reader = await LiveClient(note_id).connect()  # its first sync overdraws the bucket

    await asyncio.sleep(0.05)  # 50 000 bytes' worth of refill
    await reader.sync()

    assert (reader.close_code, reader.text) == (None, "x" * 5000)
    await reader.disconnect()


async def test_query_awareness_counts_against_the_reply_budget(settings):
    settings.NOTES_LIVE = {"REPLY_BYTES_BURST": 1, "REPLY_BYTES_PER_SECOND": 1}
    note_id = await guest_note()
    client = await LiveClient(note_id).connect(sync=False)

    await client.send(encode_query_awareness())
    await client.send(encode_query_awareness())

    assert await client.closed() == 4429
    assert close_reason(client) == (4429, "too many presence requests")


# --- Presence ------------------------------------------------------------------------------


async def test_one_connection_may_announce_at_most_four_presence_states():
    note_id = await guest_note()
    watcher = await LiveClient(note_id, name="Watcher").connect()
    faker = await LiveClient(note_id, name="Faker").connect()
    states = [(client_id, 0, '{"user": {"name": "Faker (guest)"}}') for client_id in range(1, 5)]
    await faker.send(encode_awareness(states))
    await watcher.until(lambda: len(watcher.y.awareness) == 4)

    await faker.send(encode_awareness([(5, 0, '{"user": {}}')]))

    assert await faker.closed() == 4429
    assert close_reason(faker) == (4429, "too many presence states (at most 4)")
    # Its states go with it.
    await watcher.until(lambda: all(s == "null" for _, s in watcher.y.awareness.values()))
    assert sorted(watcher.y.awareness) == [1, 2, 3, 4]
    await watcher.disconnect()


async def test_two_thousand_presence_states_at_once_are_refused_whole():
    note_id = await guest_note()
    watcher = await LiveClient(note_id, name="Watcher").connect()
    faker = await LiveClient(note_id, name="Faker").connect()

    await faker.send(encode_awareness([(n, 0, "{}") for n in range(1, 2001)]))

    assert await faker.closed() == 4429
    await watcher.pump()
    assert watcher.y.awareness == {}
    await watcher.disconnect()


async def test_a_presence_state_over_its_size_limit_is_refused():
    note_id = await guest_note()
    client = await LiveClient(note_id).connect()

    await client.send(client.y.awareness_message({"user": {"name": "x" * 9000}}))

    assert await client.closed() == 4413
    assert close_reason(client) == (4413, "presence state too large")


async def test_a_guest_appears_as_a_guest_whatever_name_they_announce():
    note_id = await guest_note()
    watcher = await LiveClient(note_id, name="Watcher").connect()
    guest = await LiveClient(note_id, name="Olga Organizer").connect()

    await guest.send(guest.y.awareness_message({"user": {"name": "Olga", "color": "#c00"}}))
    await watcher.until(lambda: guest.y.client_id in watcher.y.awareness)

    assert json.loads(watcher.y.awareness[guest.y.client_id][1]) == {
        "user": {"name": "Olga Organizer (guest)", "color": "#c00"}
    }
    for client in (watcher, guest):
        await client.disconnect()


async def test_an_account_appears_under_its_own_name():
    note_id = await guest_note()
    user = await database_sync_to_async(make_user)(first_name="Olga", last_name="Organizer")
    watcher = await LiveClient(note_id, name="Watcher").connect()
    olga = await LiveClient(note_id, cookie=await session_cookie(user)).connect()

    await olga.send(olga.y.awareness_message({"user": {"name": "Someone else"}, "cursor": None}))
    await watcher.until(lambda: olga.y.client_id in watcher.y.awareness)

    assert json.loads(watcher.y.awareness[olga.y.client_id][1]) == {
        "user": {"name": "Olga Organizer"},
        "cursor": None,
    }
    for client in (watcher, olga):
        await client.disconnect()


# --- Open connections per person and per network --------------------------------------------


def forget_counts(**identity) -> None:
    """Counters left by an earlier run (the Redis cache outlives the test database)."""
    cache.delete_many([key for key, _, _ in counter_keys(**identity)])


async def test_connections_past_the_limit_per_account_close_with_4429(settings):
    settings.NOTES_LIVE = {"MAX_CONNECTIONS_PER_IDENTITY": 2}
    note_id = await guest_note()
    user = await database_sync_to_async(make_user)()
    forget_counts(user_id=user.pk, guest_key="", ip="")
    cookie = await session_cookie(user)
    tabs = [await LiveClient(note_id, cookie=cookie).connect() for _ in range(2)]

    third = await LiveClient(note_id, cookie=cookie).connect(sync=False)

    assert await third.closed() == 4429
    assert close_reason(third) == (4429, "too many open notes for you")
    await tabs[0].disconnect()
    again = await LiveClient(note_id, cookie=cookie).connect()
    assert again.close_code is None
    for client in (tabs[1], again):
        await client.disconnect()


async def test_guests_are_counted_by_their_browser_key(settings):
    settings.NOTES_LIVE = {"MAX_CONNECTIONS_PER_IDENTITY": 1}
    note_id = await guest_note()
    cookies = []
    for key in ("limits-test-key-a", "limits-test-key-b"):
        forget_counts(user_id=None, guest_key=key, ip="")
        cookies.append(f"{GUEST_COOKIE}={_signer().sign(key)}".encode())
    first = await LiveClient(note_id, cookie=cookies[0]).connect()
    other = await LiveClient(note_id, cookie=cookies[1]).connect()

    second = await LiveClient(note_id, cookie=cookies[0]).connect(sync=False)

    assert (await second.closed(), other.close_code) == (4429, None)
    for client in (first, other):
        await client.disconnect()


async def test_guest_connections_past_the_ceiling_per_address_close_with_4429(settings):
    settings.NOTES_LIVE = {"MAX_GUEST_CONNECTIONS_PER_IP": 2}
    note_id = await guest_note()
    user = await database_sync_to_async(make_user)()
    forget_counts(user_id=None, guest_key="", ip="192.0.2.7")
    guests = [await LiveClient(note_id, ip="192.0.2.7").connect() for _ in range(2)]

    third = await LiveClient(note_id, ip="192.0.2.7").connect(sync=False)
    elsewhere = await LiveClient(note_id, ip="192.0.2.8").connect()
    account = LiveClient(note_id, ip="192.0.2.7", cookie=await session_cookie(user))
    await account.connect()

    assert (await third.closed(), elsewhere.close_code, account.close_code) == (4429, None, None)
    assert close_reason(third) == (4429, "too many guests from your network")
    for client in (*guests, elsewhere, account):
        await client.disconnect()


async def test_content_outside_the_text_counts_against_the_document_cap(settings):
    settings.NOTES_LIVE = {"MAX_DOCUMENT_BYTES": 20_000}
    note_id = await guest_note()
    crafted = await LiveClient(note_id, name="Mallory").connect()
    hidden = crafted.y.doc.get("hidden", type=Map)  # a root type no editor shows

    for n in range(10):
        await crafted.send(
            crafted.y.edit(lambda _text, n=n: hidden.__setitem__(f"k{n}", "z" * 5000))
        )
    await crafted.closed()

    assert close_reason(crafted) == (
        4413,
        "this note's document is full (20000 bytes): your last change was not saved",
    )
    await room_flushed(note_id)
    stored = await database_sync_to_async(persistence.load_note_state)(note_id=note_id)
    assert len(stored.update) < 20_000
