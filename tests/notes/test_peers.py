"""Rooms of one note in two "processes" (two registries) kept in sync over a channel layer."""

import asyncio

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer

from notes.client import DocClient
from notes.connection import Connection
from notes.room import RoomRegistry
from tests.factories import make_event, make_talk
from tests.notes.live import eventually

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


class Peer:
    """One registry (a server process) with one connected client."""

    def __init__(self, registry: RoomRegistry, room):
        self.registry = registry
        self.room = room
        self.client = DocClient()
        self.frames: list[bytes] = []
        self.conn = Connection(self._send, can_write=True, name="Ann", label="test")
        room.join(self.conn)
        room.greet(self.conn)

    async def _send(self, message):
        if message["type"] == "websocket.send":
            self.frames.append(message["bytes"])
            for reply in self.client.receive(message["bytes"]):
                self.room.receive(self.conn, reply)

    def send(self, frame: bytes) -> None:
        self.room.receive(self.conn, frame)

    @property
    def text(self) -> str:
        return str(self.room.text)


@database_sync_to_async
def guest_writable_note() -> int:
    # The test connections are guests', and a room asks the policy about its connections
    # again whenever its link comes back (an access change may have been missed).
    return make_talk(event=make_event(notes_access="guests")).note_id


@pytest_asyncio.fixture
async def two_processes(settings):
    settings.NOTES_LIVE = {"PEER_SYNC_INTERVAL": 0.1}
    note_id = await guest_writable_note()
    layer = InMemoryChannelLayer()
    registries = [RoomRegistry(peer_sync=True, channel_layer=layer) for _ in range(2)]
    peers = [Peer(registry, await registry.get_room(note_id)) for registry in registries]
    for peer in peers:
        peer.send(peer.client.sync_step1())
    yield peers
    for registry in registries:
        registry.close()


async def test_edits_in_one_process_reach_the_clients_of_the_other(two_processes):
    a, b = two_processes

    a.send(a.client.append("from A. "))
    b.send(b.client.append("from B."))

    await eventually(lambda: a.text == b.text and len(a.text) == len("from A. from B."))
    await eventually(lambda: str(a.client) == str(b.client) == a.text)


async def test_a_dropped_message_heals_by_state_vector_exchange(two_processes, monkeypatch):
    a, b = two_processes
    a.send(a.client.append("hello world"))
    await eventually(lambda: b.text == "hello world")

    # The channel layer loses A's next messages: an insert, then a deletion only
    # (deletions do not move state vectors; the delete-set digest catches them).
    with monkeypatch.context() as patch:
        patch.setattr(a.registry.peers, "publish_update", lambda room, update: None)
        a.send(a.client.append("!"))
        a.send(a.client.edit(lambda text: text.__delitem__(slice(0, 6))))
    assert a.text == "world!"
    assert b.text == "hello world"

    await eventually(lambda: b.text == "world!", within=5)
    await eventually(lambda: str(b.client) == "world!")


async def test_awareness_crosses_processes_and_is_removed_on_close(two_processes):
    a, b = two_processes

    a.send(a.client.awareness_message({"user": {"name": "Ann"}}))
    await eventually(lambda: a.client.client_id in b.client.awareness)
    a.room.leave(a.conn)

    await eventually(lambda: b.client.awareness[a.client.client_id] == (1, "null"))


class FlakyLayer(InMemoryChannelLayer):
    """An in-memory channel layer that can be "down" like an unreachable Redis, or
    silently lose a subscription (it stops delivering to a group it says we joined)."""

    def __init__(self):
        super().__init__()
        self.down = False
        self.deaf: set[str] = set()  # groups whose messages are silently not delivered

    def _check(self):
        if self.down:
            raise ConnectionError("channel layer down")

    async def new_channel(self, prefix="specific."):
        self._check()
        return await super().new_channel(prefix)

    async def group_add(self, group, channel):
        self._check()
        await super().group_add(group, channel)

    async def group_discard(self, group, channel):
        self._check()
        self.deaf.discard(group)
        await super().group_discard(group, channel)

    async def group_send(self, group, message):
        self._check()
        if group not in self.deaf:
            await super().group_send(group, message)


async def open_in_two_processes(layer, note_id):
    registries = [RoomRegistry(peer_sync=True, channel_layer=layer) for _ in range(2)]
    peers = [Peer(registry, await registry.get_room(note_id)) for registry in registries]
    for peer in peers:
        peer.send(peer.client.sync_step1())
    return registries, peers


async def test_a_room_that_cannot_join_retries_and_syncs_once_the_layer_is_back(settings):
    settings.NOTES_LIVE = {
        "PEER_SYNC_INTERVAL": 5.0,  # no periodic announcement helps during the test
        "PEER_RETRY_MIN": 0.05,
        "PEER_RETRY_MAX": 0.1,
        "STORE_CATCHUP_INTERVAL": 600.0,  # nor the database
    }
    note_id = await guest_writable_note()
    layer = FlakyLayer()
    layer.down = True
    registries, (a, b) = await open_in_two_processes(layer, note_id)
    a.send(a.client.append("typed on A while down. "))
    b.send(b.client.append("typed on B while down."))
    await asyncio.sleep(0.3)
    assert not a.room.linked
    assert [entry["note"] for entry in registries[0].unsynced()] == [note_id]

    layer.down = False

    await eventually(lambda: a.room.linked and b.room.linked, within=2)
    await eventually(lambda: a.text == b.text and len(a.text) == 45, within=2)
    assert registries[0].unsynced() == []
    # Linked: a new edit crosses over the layer (the database catch-up, which runs
    # once when a room is found unlinked, is 10 minutes away).
    a.send(a.client.append("!"))
    await eventually(lambda: b.text == a.text and b.text.count("!") == 1, within=1)
    for registry in registries:
        registry.close()


async def test_a_lost_subscription_is_noticed_by_its_echo_and_rejoined(settings):
    settings.NOTES_LIVE = {
        "PEER_SYNC_INTERVAL": 0.1,
        "PEER_ECHO_TIMEOUT": 0.3,
        "PEER_RETRY_MIN": 0.05,
        "PEER_RETRY_MAX": 0.1,
        "STORE_CATCHUP_INTERVAL": 600.0,
    }
    note_id = await guest_writable_note()
    layer = FlakyLayer()
    registries, (a, b) = await open_in_two_processes(layer, note_id)
    await eventually(lambda: a.room.linked and b.room.linked, within=2)

    group = f"notes.{note_id}"
    layer.deaf.add(group)  # the layer still "has" the subscription, but delivers nothing
    await eventually(lambda: not a.room.linked, within=2)
    # Re-joining unsubscribes and subscribes again, which restores delivery.
    await eventually(lambda: a.room.linked and b.room.linked, within=2)
    a.send(a.client.append("after the heal"))
    await eventually(lambda: b.text == "after the heal", within=2)
    for registry in registries:
        registry.close()


async def test_while_unlinked_a_room_reads_the_other_processes_changes_from_the_database(
    settings,
):
    settings.NOTES_LIVE = {
        "PEER_RETRY_MIN": 0.05,
        "PEER_RETRY_MAX": 0.1,
        "STORE_CATCHUP_INTERVAL": 0.1,
        "PERSIST_INTERVAL": 0.01,
    }
    note_id = await guest_writable_note()
    layer = FlakyLayer()
    layer.down = True
    registries, (a, b) = await open_in_two_processes(layer, note_id)

    a.send(a.client.append("from A "))
    b.send(b.client.append("from B"))

    # No channel layer at all: the stored log is the union of both processes' changes.
    await eventually(lambda: a.text == b.text and len(a.text) == 13, within=3)
    await eventually(lambda: str(a.client) == str(b.client) == a.text, within=3)
    assert not a.room.linked
    for registry in registries:
        registry.close()
