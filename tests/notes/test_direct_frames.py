"""Frames written straight to uvicorn's transport (notes/connection.py), through a real
uvicorn serving the real application in this process, and real WebSocket clients.

In this process, so that the test can see the server's side of each connection: which
path its frames take, and uvicorn's own flow control (`pause_writing`, called by asyncio
when a socket's write buffer passes its high-water mark) to stand for a slow reader.
"""

import asyncio
import contextlib

import pytest
import uvicorn
import websockets
from channels.db import database_sync_to_async

from deploy.cluster import free_port
from notes.client import DocClient
from notes.connection import server_frame
from notes.room import current_registry
from tests.factories import make_event, make_talk
from tests.notes.live import eventually

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@contextlib.asynccontextmanager
async def uvicorn_in_this_loop():
    from config.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, within=10)
    try:
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class Client:
    def __init__(self, port: int, note_id: int, name: str):
        self.url = f"ws://127.0.0.1:{port}/ws/notes/{note_id}/?name={name}"
        self.origin = f"http://127.0.0.1:{port}"
        self.doc = DocClient()
        self.frames: list[bytes] = []

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url, origin=self.origin, compression=None)
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(self.doc.sync_step1())
        await eventually(lambda: self.doc.synced)
        return self

    async def _read(self):
        async for frame in self.ws:
            self.frames.append(frame)
            for reply in self.doc.receive(frame):
                await self.ws.send(reply)

    async def __aexit__(self, *exc):
        self.reader.cancel()
        await self.ws.close()


def _served(room, name: str):
    [conn] = [c for c in room.clients if c.name == name]
    return conn


def _spy_on_writes(conn) -> list[bytes]:
    """Record what is written to the transport of `conn` (and still write it)."""
    transport = conn._direct.transport
    written, write = [], transport.write

    def spy(data):
        written.append(data)
        write(data)

    transport.write = spy
    return written


async def test_fan_out_frames_go_straight_to_the_transport_and_queue_while_it_is_paused():
    note_id = await database_sync_to_async(
        lambda: make_talk(event=make_event(notes_access="guests")).note_id
    )()
    async with (
        uvicorn_in_this_loop() as port,
        Client(port, note_id, "Ann") as ann,
        Client(port, note_id, "Bob") as bob,
        Client(port, note_id, "Cy") as cy,
    ):
        room = current_registry().rooms[note_id]
        served_bob, served_cy = _served(room, "Bob"), _served(room, "Cy")
        # uvicorn's websockets-sansio protocol: frames may be written directly.
        assert served_bob._direct is not None
        protocol = served_bob._direct
        to_bob, to_cy = _spy_on_writes(served_bob), _spy_on_writes(served_cy)

        await ann.ws.send(ann.doc.append("one "))
        await eventually(lambda: str(bob.doc) == str(cy.doc) == "one ")
        # One frame, built once by the room, written as is to both transports.
        assert len(to_bob) == len(to_cy) == 1
        assert to_bob[0] is to_cy[0]
        assert to_bob[0] == server_frame(bob.frames[-1])
        assert served_bob.backlog == 0
        assert served_bob._sender is None

        # Bob's socket is full: uvicorn pauses writing. Frames wait, in order.
        protocol.pause_writing()
        for word in ("two ", "three ", "four "):
            await ann.ws.send(ann.doc.append(word))
            await eventually(lambda w=word: str(room.text).endswith(w))
        await asyncio.sleep(0.05)
        assert str(bob.doc) == "one "
        assert served_bob._sender is not None  # the first waits on the socket...
        assert served_bob.backlog == 2  # ...and the next two behind it

        protocol.resume_writing()
        await eventually(lambda: str(bob.doc) == "one two three four ")
        assert served_bob.backlog == 0
        assert served_bob._sender is None

        # Writable again: straight to the transport once more.
        await ann.ws.send(ann.doc.append("five"))
        await eventually(lambda: str(bob.doc) == "one two three four five")
        assert str(ann.doc) == str(bob.doc) == str(room.text)
