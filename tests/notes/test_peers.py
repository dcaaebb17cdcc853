"""Rooms of one note in two "processes" (two registries) kept in sync over a channel layer."""

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


@pytest_asyncio.fixture
async def two_processes(settings):
    settings.NOTES_LIVE = {"PEER_SYNC_INTERVAL": 0.1}
    # Guests may write: the rooms ask the policy about these connections once linked.
    event = await database_sync_to_async(make_event)(notes_access="guests")
    note_id = await database_sync_to_async(lambda: make_talk(event=event).note_id)()
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
