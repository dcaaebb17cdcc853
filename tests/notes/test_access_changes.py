"""When a note's rules change, its open connections follow at once (Room.set_access)."""

import pytest
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from notes import peers
from notes.client import DocClient
from notes.connection import Connection
from notes.models import NoteUpdate
from notes.policy import NoteAccess, get_policy
from notes.room import RoomRegistry
from notes.services import note_access_changed, note_set_locked
from sessions.access import NOTES_LOCKED
from tests.factories import make_event, make_talk
from tests.notes.live import LiveClient, eventually, room_flushed, stored_text

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def guest_note() -> int:
    return make_talk(event=make_event(notes_access="guests")).note_id


@database_sync_to_async
def update_rows(note_id: int) -> int:
    return NoteUpdate.objects.filter(note_id=note_id).count()


set_locked = database_sync_to_async(note_set_locked)


async def test_locking_turns_open_connections_read_only_at_once_and_says_why():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await ann.append("Before the lock")
    await bob.until_text("Before the lock")
    await room_flushed(note_id)
    rows = await update_rows(note_id)

    await set_locked(note_id=note_id, locked=True)
    # Told without having tried to write.
    await ann.until(lambda: ann.y.denied)
    await bob.until(lambda: bob.y.denied)
    await ann.append(" and after")
    await ann.sync()

    assert (ann.y.denied, bob.y.denied) == ([NOTES_LOCKED.text], [NOTES_LOCKED.text])
    await room_flushed(note_id)
    assert (await stored_text(note_id), await update_rows(note_id)) == ("Before the lock", rows)
    assert bob.text == "Before the lock"
    for client in (ann, bob):
        await client.disconnect()


async def test_unlocking_gives_write_back_and_takes_in_what_was_refused():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()
    await set_locked(note_id=note_id, locked=True)
    await ann.until(lambda: ann.y.denied)
    await ann.append("typed while locked")  # refused: the editor showed it read-only
    await room_flushed(note_id)
    assert await stored_text(note_id) == ""

    await set_locked(note_id=note_id, locked=False)
    await ann.until(lambda: ann.y.granted)
    await ann.pump()  # the server asks Ann for what it lacks: she answers
    await bob.until_text("typed while locked")
    await bob.append("!")
    await ann.until_text("typed while locked!")

    assert (ann.y.granted, bob.y.granted) == (1, 1)
    await room_flushed(note_id)
    assert await stored_text(note_id) == "typed while locked!"
    for client in (ann, bob):
        await client.disconnect()


class NobodyReads:
    def access(self, *, user, note_id):
        return NoteAccess(can_read=False, can_write=False, read_only_reason="private now")


async def test_a_connection_that_may_no_longer_read_is_closed_with_4403(settings):
    note_id = await guest_note()
    client = await LiveClient(note_id).connect()
    settings.NOTES_POLICY = f"{__name__}.NobodyReads"
    get_policy.cache_clear()
    try:
        await database_sync_to_async(note_access_changed)(note_id=note_id)
        assert await client.closed() == 4403
    finally:
        get_policy.cache_clear()
    assert client.frames[-1] == {"type": "websocket.close", "code": 4403, "reason": "private now"}


class Peer:
    """A room of the note in one "process" (registry), with one guest connection."""

    def __init__(self, registry: RoomRegistry, room):
        self.room = room
        self.client = DocClient()
        self.conn = Connection(self._send, can_write=True, name="Ann", label="peer")
        room.join(self.conn)

    async def _send(self, message):
        if message["type"] == "websocket.send":
            self.client.receive(message["bytes"])


async def test_an_access_change_reaches_the_rooms_of_every_process(settings):
    settings.NOTES_LIVE = {"PEER_SYNC_INTERVAL": 0.1}
    note_id = await guest_note()
    layer = InMemoryChannelLayer()
    registries = [RoomRegistry(peer_sync=True, channel_layer=layer) for _ in range(2)]
    processes = [Peer(registry, await registry.get_room(note_id)) for registry in registries]
    await eventually(lambda: all(p.room.linked for p in processes))
    try:
        await database_sync_to_async(lambda: note_set_locked(note_id=note_id, locked=True))()
        # What the service publishes for other processes (this test's layer is its own).
        await peers.publish_access_changed(layer, note_id=note_id, sender="test")

        await eventually(lambda: all(p.client.denied for p in processes))
        assert [(p.conn.can_write, p.client.denied) for p in processes] == [
            (False, [NOTES_LOCKED.text]),
            (False, [NOTES_LOCKED.text]),
        ]
    finally:
        for registry in registries:
            registry.close()
