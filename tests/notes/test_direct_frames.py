"""Frames written straight to uvicorn's transport (notes/connection.py), and read straight
from its protocol (notes/server_protocol.py), through a real uvicorn serving the real
application in this process, and real WebSocket clients.

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
from notes.server_protocol import LiveWebSocketProtocol
from tests.factories import make_event, make_talk
from tests.notes.live import eventually

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


LIVE_PROTOCOL = "notes.server_protocol:LiveWebSocketProtocol"


@contextlib.asynccontextmanager
async def uvicorn_in_this_loop(ws=LIVE_PROTOCOL):
    from config.asgi import application

    port = free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        ws=ws,
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


async def _guest_note() -> int:
    return await database_sync_to_async(
        lambda: make_talk(event=make_event(notes_access="guests")).note_id
    )()


def _spy_on_queue(protocol) -> list[dict]:
    """Record what uvicorn puts on the connection's receive queue (and still put it)."""
    queued, put = [], protocol.queue.put_nowait

    def spy(message):
        queued.append(message)
        put(message)

    protocol.queue.put_nowait = spy
    return queued


def _spy_on_receive(room) -> list[tuple[str, bytes]]:
    """Record the frames the room is given, in order, by connection name."""
    given, receive = [], room.receive

    def spy(conn, data):
        given.append((conn.name, data))
        return receive(conn, data)

    room.receive = spy
    return given


@contextlib.asynccontextmanager
async def ann_and_bob(ws=LIVE_PROTOCOL):
    """Ann and Bob in a guest note served by uvicorn in this loop: (room, ann, bob)."""
    note_id = await _guest_note()
    async with (
        uvicorn_in_this_loop(ws) as port,
        Client(port, note_id, "Ann") as ann,
        Client(port, note_id, "Bob") as bob,
    ):
        yield current_registry().rooms[note_id], ann, bob


async def test_client_frames_go_to_the_room_as_parsed_without_the_queue_or_a_pause():
    async with ann_and_bob() as (room, ann, bob):
        protocol = _served(room, "Ann")._direct
        assert isinstance(protocol, LiveWebSocketProtocol)
        assert protocol.on_bytes is not None
        queued = _spy_on_queue(protocol)
        given = _spy_on_receive(room)
        pauses = []
        pause = protocol.transport.pause_reading
        protocol.transport.pause_reading = lambda: (pauses.append(1), pause())

        frames = [ann.doc.append(f"{word} ") for word in ("one", "two", "three", "four")]
        for frame in frames:
            await ann.ws.send(frame)
        await eventually(lambda: str(bob.doc) == "one two three four ")
        # Each frame reached the room, in order, and nothing went through the queue.
        assert given == [("Ann", frame) for frame in frames]
        assert queued == []
        assert pauses == []
        assert str(room.text) == str(ann.doc) == "one two three four "

    # The connection ended: the protocol holds no handler any more.
    assert protocol.on_bytes is None


async def test_frames_queued_before_the_handler_are_taken_first_and_later_ones_behind_them():
    async with ann_and_bob() as (room, ann, bob):
        protocol = _served(room, "Ann")._direct
        given = _spy_on_receive(room)
        first, second, third = (ann.doc.append(w) for w in ("a", "b", "c"))
        # As when a frame arrives before the socket's handler is registered: it waits on
        # the queue. The next frame, parsed before the connection's task has taken the
        # first (no await in between), must wait behind it; the one after goes direct.
        protocol.queue.put_nowait({"type": "websocket.receive", "bytes": first})
        queued = _spy_on_queue(protocol)
        protocol.frames, protocol.curr_msg_data_type = [second], "bytes"
        protocol.send_receive_event_to_app()
        assert [m["bytes"] for m in queued] == [second]
        assert given == []
        await eventually(lambda: str(bob.doc) == "ab")
        await ann.ws.send(third)
        await eventually(lambda: str(bob.doc) == "abc")
        assert given == [("Ann", first), ("Ann", second), ("Ann", third)]
        assert [m["bytes"] for m in queued] == [second]  # the third went direct
        assert protocol.queue.empty()
        assert not protocol.read_paused  # reading resumed once the queue was empty


async def test_a_bad_frame_read_directly_closes_its_connection_with_the_reason_only():
    async with ann_and_bob() as (room, ann, bob):
        await ann.ws.send(ann.doc.append("kept "))
        await eventually(lambda: str(bob.doc) == "kept ")
        await bob.ws.send(b"\x00\x02\xff")  # an update whose length runs past the end
        await eventually(lambda: bob.ws.close_code is not None)
        assert bob.ws.close_code == 4400
        assert bob.ws.close_reason.startswith("malformed message")
        # Ann's connection and the text are untouched.
        await ann.ws.send(ann.doc.append("on"))
        await eventually(lambda: str(room.text) == "kept on")
        assert [c.name for c in room.clients] == ["Ann"]


async def test_a_text_frame_is_still_refused_through_the_queue():
    note_id = await _guest_note()
    async with uvicorn_in_this_loop() as port, Client(port, note_id, "Ann") as ann:
        await ann.ws.send("hello")
        await eventually(lambda: ann.ws.close_code is not None)
        assert (ann.ws.close_code, ann.ws.close_reason) == (
            4400,
            "text frames are not part of the protocol",
        )


async def test_a_flood_read_directly_is_closed_with_4429(settings):
    settings.NOTES_LIVE = {"FLOOD_MESSAGES_BURST": 5, "FLOOD_MESSAGES_PER_SECOND": 0.001}
    note_id = await _guest_note()
    async with uvicorn_in_this_loop() as port, Client(port, note_id, "Ann") as ann:
        room = current_registry().rooms[note_id]
        given = _spy_on_receive(room)
        for i in range(10):
            await ann.ws.send(ann.doc.append(str(i)))
        await eventually(lambda: ann.ws.close_code is not None)
        assert (ann.ws.close_code, ann.ws.close_reason) == (4429, "too many messages")
        # The burst's 5 tokens, less the client's sync step 1 and its answer to the
        # server's (both given to the room before the spy): three edits, the rest refused.
        assert len(given) == 3
        assert str(room.text) == "012"


async def test_an_unexpected_error_on_a_frame_closes_that_connection_with_1011():
    async with ann_and_bob() as (room, ann, bob):
        receive = room.receive

        def fails_for_bob(conn, data):
            if conn.name == "Bob":
                raise RuntimeError("a bug")
            return receive(conn, data)

        room.receive = fails_for_bob
        await bob.ws.send(bob.doc.append("lost?"))
        await eventually(lambda: bob.ws.close_code is not None)
        assert (bob.ws.close_code, bob.ws.close_reason) == (1011, "internal error")
        await ann.ws.send(ann.doc.append("still here"))
        await eventually(lambda: str(room.text) == "still here")


async def test_with_plain_websockets_sansio_frames_come_through_the_queue():
    async with ann_and_bob("websockets-sansio") as (room, ann, bob):
        protocol = _served(room, "Ann")._direct
        assert not isinstance(protocol, LiveWebSocketProtocol)
        queued = _spy_on_queue(protocol)
        frames = [ann.doc.append(w) for w in ("x", "y")]
        for frame in frames:
            await ann.ws.send(frame)
        await eventually(lambda: str(bob.doc) == "xy")
        assert [m["bytes"] for m in queued] == frames


async def test_a_frame_parsed_after_the_server_closed_the_connection_is_not_taken():
    async with ann_and_bob() as (room, ann, bob):
        served = _served(room, "Bob")
        protocol = served._direct
        handler = protocol.on_bytes
        given = _spy_on_receive(room)
        served.close(1013, "too slow to keep up")
        # uvicorn discards what follows its close frame; a frame already parsed (the
        # close could not be written yet) reaches the handler, which leaves it.
        handler(bob.doc.append("late"))
        assert given == []
        await eventually(lambda: bob.ws.close_code == 1013)
        await ann.ws.send(ann.doc.append("on"))
        await eventually(lambda: str(room.text) == "on")
