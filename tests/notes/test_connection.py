"""The outbound queue of one connection: order, budget, and closing a client that
does not read.

`PausingSocket` behaves like uvicorn's WebSocket send: it suspends while the
transport is paused (its write buffer over the high-water mark) and writes
nothing until it resumes.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async

from notes.client import DocClient
from notes.connection import CLOSE_TOO_SLOW, Connection
from notes.room import RoomRegistry, fanout_gap, markdown_interval
from tests.factories import make_event, make_talk
from tests.notes.live import eventually

pytestmark = pytest.mark.asyncio


class PausingSocket:
    def __init__(self):
        self.writable = asyncio.Event()
        self.writable.set()
        self.written: list[dict] = []
        self.gone = False

    async def send(self, message: dict) -> None:
        await self.writable.wait()
        if self.gone:
            raise OSError("connection lost")
        self.written.append(message)

    @property
    def frames(self) -> list[bytes]:
        return [m["bytes"] for m in self.written if m["type"] == "websocket.send"]

    @property
    def closes(self) -> list[tuple[int, str]]:
        return [(m["code"], m["reason"]) for m in self.written if m["type"] == "websocket.close"]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_send_to_a_writable_socket_is_written_at_once_without_a_task():
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True)

    conn.send(b"one")
    conn.send(b"two")

    # Written before any await: no task per frame on the hot path.
    assert socket.frames == [b"one", b"two"]
    assert conn._sender is None
    assert conn.backlog == 0


async def test_frames_sent_while_paused_arrive_in_order_once_it_resumes():
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True)
    conn.send(b"a")
    socket.writable.clear()

    for frame in (b"b", b"cc", b"ddd"):
        conn.send(frame)
    await settle()

    assert socket.frames == [b"a"]
    assert conn.backlog == 2  # "b" is the send blocked on the socket
    assert conn.queued_bytes == 5

    socket.writable.set()
    await settle()

    assert socket.frames == [b"a", b"b", b"cc", b"ddd"]
    assert conn.backlog == 0
    assert conn.queued_bytes == 0
    assert conn._sender is None
    # Writable again: straight through.
    conn.send(b"e")
    assert socket.frames[-1] == b"e"


async def test_a_pause_in_the_middle_of_a_backlog_keeps_the_order():
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True)
    socket.writable.clear()
    conn.send(b"1")
    conn.send(b"2")
    socket.writable.set()
    await asyncio.sleep(0)
    socket.writable.clear()  # paused again while the backlog drains
    conn.send(b"3")
    await settle()
    socket.writable.set()
    await settle()

    assert socket.frames == [b"1", b"2", b"3"]


async def test_a_client_over_its_byte_budget_is_closed_with_1013_and_its_queue_dropped(
    settings, caplog
):
    settings.NOTES_LIVE = {"MAX_QUEUED_BYTES": 1000}
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True, label="slow reader")
    socket.writable.clear()
    conn.send(b"x" * 10)  # blocked on the socket
    for _ in range(9):
        conn.send(b"y" * 100)  # 900 bytes queued: within the budget
    assert not conn.closed

    conn.send(b"z" * 101)  # 1001 bytes queued

    assert conn.closed
    assert conn.backlog == 0
    assert conn.queued_bytes == 0
    conn.send(b"after")  # ignored once closed
    assert conn.backlog == 0
    socket.writable.set()
    await settle()
    # The blocked frame was given up; only the close frame goes out.
    assert socket.frames == []
    assert socket.closes == [
        (CLOSE_TOO_SLOW, "too slow to keep up (1001 bytes queued); reconnect to resync")
    ]
    assert "closing slow reader with 1013: too slow to keep up" in caplog.text


async def test_a_close_the_client_never_reads_aborts_the_connection(settings):
    settings.NOTES_LIVE = {"MAX_QUEUED_BYTES": 10, "CLOSE_TIMEOUT": 0.05}
    aborted = asyncio.Event()
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True, on_abort=aborted.set)
    socket.writable.clear()
    conn.send(b"blocked")
    conn.send(b"over the budget")

    await asyncio.wait_for(aborted.wait(), 2)

    assert conn.closed
    assert conn.aborted
    assert socket.written == []


async def test_a_close_delivered_in_time_does_not_abort(settings):
    settings.NOTES_LIVE = {"CLOSE_TIMEOUT": 0.2}
    aborted = asyncio.Event()
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True, on_abort=aborted.set)
    socket.writable.clear()
    conn.close(4400, "bad frame")
    await asyncio.sleep(0.05)
    socket.writable.set()
    await asyncio.sleep(0.3)

    assert socket.closes == [(4400, "bad frame")]
    assert not aborted.is_set()
    assert not conn.aborted


async def test_a_send_to_a_lost_socket_marks_the_connection_closed():
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True)
    socket.writable.clear()
    conn.send(b"a")
    conn.send(b"b")
    socket.gone = True
    socket.writable.set()  # uvicorn wakes blocked sends when the connection is lost
    await settle()

    assert conn.closed
    assert conn.backlog == 0
    assert socket.frames == []


async def test_frames_before_accept_are_dropped():
    socket = PausingSocket()
    conn = Connection(socket.send, can_write=True, accepted=False)
    conn.send(b"early")
    conn.accepted = True
    conn.send(b"late")

    assert socket.frames == [b"late"]


@pytest.mark.django_db(transaction=True)
async def test_the_room_lets_go_of_a_client_closed_as_too_slow_and_of_its_cursor(settings):
    settings.NOTES_LIVE = {"MAX_QUEUED_BYTES": 100}
    note_id = await database_sync_to_async(lambda: make_talk(event=make_event()).note_id)()
    registry = RoomRegistry(peer_sync=False)
    room = await registry.get_room(note_id)
    slow_socket, watcher_socket = PausingSocket(), PausingSocket()
    slow = Connection(slow_socket.send, can_write=True, label="slow")
    slow.on_closed = lambda: room.leave(slow)
    watcher = Connection(watcher_socket.send, can_write=True, label="watcher")
    for conn in (slow, watcher):
        room.join(conn)
    slow_client, writer = DocClient(), DocClient()
    room.receive(slow, slow_client.awareness_message({"user": {"name": "Slow"}}))
    await settle()
    watcher_doc = DocClient()
    for frame in watcher_socket.frames:
        watcher_doc.receive(frame)
    assert watcher_doc.awareness[slow_client.client_id][1] == '{"user": {"name": "Slow"}}'

    slow_socket.writable.clear()  # it stops reading
    for i in range(3):
        room.receive(watcher, writer.append("x" * 60 + str(i)))
        await settle()

    await eventually(lambda: slow.closed)
    assert slow not in room.clients
    for frame in watcher_socket.frames:
        watcher_doc.receive(frame)
    assert watcher_doc.awareness[slow_client.client_id] == (1, "null")
    # Stored before closing: a write still running in a database thread would meet the
    # test database's flush at teardown (a deadlock on PostgreSQL).
    await room.flushed()
    registry.close()


async def test_a_room_of_up_to_40_clients_fans_out_at_once_and_a_bigger_one_waits_per_client(
    settings,
):
    assert fanout_gap(3) == fanout_gap(40) == 0.0
    assert fanout_gap(50) == pytest.approx(0.001)
    assert fanout_gap(200) == pytest.approx(0.016)
    assert fanout_gap(520) == pytest.approx(0.048)
    settings.NOTES_LIVE = {"FANOUT_FREE_CLIENTS": 0, "FANOUT_SECONDS_PER_CLIENT": 1e-3}
    assert fanout_gap(3) == pytest.approx(0.003)


@pytest.mark.django_db(transaction=True)
async def test_a_room_spaces_its_fan_outs_by_the_gap_of_the_clients_it_has_now(settings):
    settings.NOTES_LIVE = {"FANOUT_FREE_CLIENTS": 1, "FANOUT_SECONDS_PER_CLIENT": 0.2}
    note_id = await database_sync_to_async(lambda: make_talk(event=make_event()).note_id)()
    registry = RoomRegistry(peer_sync=False)
    room = await registry.get_room(note_id)
    sockets = [PausingSocket() for _ in range(3)]
    conns = [Connection(s.send, can_write=True, label=str(i)) for i, s in enumerate(sockets)]
    for conn in conns:
        room.join(conn)
    assert room._fanout_gap == pytest.approx(0.4)  # (3 - 1) × 0.2 s
    writer = DocClient()

    room.receive(conns[0], writer.append("a"))
    await settle()
    assert len(sockets[1].frames) == 1  # the first change goes out at once
    room.receive(conns[0], writer.append("b"))
    await asyncio.sleep(0.2)
    assert len(sockets[1].frames) == 1  # the next waits 0.4 s after the first
    await eventually(lambda: len(sockets[1].frames) == 2, within=1.0)

    room.leave(conns[2])
    assert room._fanout_gap == 0.2  # (2 - 1) × 0.2 s: two clients now
    room.leave(conns[1])
    assert room._fanout_gap == 0.0  # one client: at once
    await room.flushed()
    registry.close()


async def test_the_markdown_follows_after_2_s_until_more_than_50_rooms_are_open(settings):
    assert markdown_interval(1) == markdown_interval(50) == 2.0
    assert markdown_interval(100) == 4.0
    assert markdown_interval(300) == 12.0
    settings.NOTES_LIVE = {"MARKDOWN_INTERVAL": 0.5, "MARKDOWN_REFRESHES_PER_SECOND": 10}
    assert markdown_interval(3) == 0.5
    assert markdown_interval(30) == 3.0
