"""Faults on real server processes: Redis down or restarted under two workers, and a
client that stops reading.

Everything is compared ACROSS workers, fresh clients and the database, never within
one client fleet: a fault that splits the workers in two halves leaves each half
self-consistent.
"""

import asyncio
import secrets
import socket
import time
import uuid

import pytest
import websockets
from websockets.asyncio.client import connect

from deploy.cluster import PrivateRedis
from notes.client import DocClient
from tests.notes.servers import WsClient

pytestmark = pytest.mark.asyncio


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


def worker_env(redis: PrivateRedis) -> dict:
    return {"REDIS_URL": redis.url, "REDIS_PREFIX": f"faults-{uuid.uuid4().hex[:8]}"}


async def wait_for(predicate, *, within: float, what: str):
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.05)


def markers(text: str) -> set[str]:
    return set(text.split())


async def type_markers(clients: list[WsClient], prefix: str, count: int) -> set[str]:
    typed = set()
    for i in range(count):
        for n, client in enumerate(clients):
            marker = f"{prefix}{n}.{i}"
            await client.append(f"{marker} ")
            typed.add(marker)
    return typed


async def converged(*, database, note_id, workers, clients, expected: set[str]) -> bool:
    """Every client holds the same text with every marker, and so do a fresh client
    on each worker and the stored Markdown."""
    texts = {client.text for client in clients}
    if len(texts) != 1 or markers(next(iter(texts))) != expected:
        return False
    text = next(iter(texts))
    for worker in workers:
        fresh = await WsClient(worker, note_id, name="Fresh").connect()
        same = fresh.text == text
        await fresh.close()
        if not same:
            return False
    return database.markdown(note_id) == text


@pytest.mark.parametrize("already_linked", [False, True], ids=["first-note", "other-note-open"])
async def test_a_note_opened_while_redis_is_down_syncs_between_workers_once_it_is_back(
    database, servers, redis, already_linked
):
    env = worker_env(redis)
    worker_a, worker_b = servers(**env), servers(**env)
    others = []
    if already_linked:
        # The workers already sync another note (their own channel exists) when
        # Redis goes away.
        redis.start()
        other = database.new_guest_note()
        others = [await WsClient(w, other, name="Early").connect() for w in (worker_a, worker_b)]
        await others[0].append("early ")
        await others[1].until(lambda: others[1].text == "early ", within=5)
        redis.stop()
    note_id = database.new_guest_note()
    on_a = [await WsClient(worker_a, note_id, name=f"A{i}").connect() for i in range(3)]
    on_b = [await WsClient(worker_b, note_id, name=f"B{i}").connect() for i in range(3)]
    typed = await type_markers(on_a, "a", 5) | await type_markers(on_b, "b", 5)

    status, body = worker_a.readyz()
    assert status == 503
    unsynced = {entry["note"] for entry in body["unsynced_notes"]}
    # The new note's link never formed. (The other note's link may not have noticed
    # the outage yet: no publish failed, and its echo timeout is not reached.)
    assert note_id in unsynced
    assert body["ready"] is False
    assert body["problems"] == [
        "channel layer: ConnectionError",
        f"{len(unsynced)} open note(s) not linked to the other processes",
    ]

    redis.start()
    started = time.monotonic()
    typed |= await type_markers(on_a, "c", 5) | await type_markers(on_b, "d", 5)

    await wait_for(
        lambda: all(worker.readyz()[0] == 200 for worker in (worker_a, worker_b)),
        within=10,
        what="both workers linked again",
    )
    await wait_for(
        lambda: converged(
            database=database,
            note_id=note_id,
            workers=[worker_a, worker_b],
            clients=on_a + on_b,
            expected=typed,
        ),
        within=10 - (time.monotonic() - started),
        what="clients, fresh clients and the database hold every marker",
    )
    # Linked again: an edit crosses workers through Redis, not the database's
    # slower catch-up (which only runs while a room is unlinked).
    await on_a[0].append("live ")
    await on_b[0].until(lambda: "live" in markers(on_b[0].text), within=1.5)
    for client in on_a + on_b + others:
        await client.close()
    final = on_a[0].text
    await wait_for(
        lambda: database.markdown(note_id) == final, within=10, what="the merged text is stored"
    )
    assert database.stored_text(note_id) == final
    assert "linked to the other processes again" in worker_a.log_text()


async def test_a_redis_restart_under_two_open_rooms_converges_within_seconds(
    database, servers, redis
):
    redis.start()
    env = worker_env(redis)
    worker_a, worker_b = servers(**env), servers(**env)
    note_id = database.new_guest_note()
    ann = await WsClient(worker_a, note_id, name="Ann").connect()
    bob = await WsClient(worker_b, note_id, name="Bob").connect()
    typed = await type_markers([ann], "before-a", 3) | await type_markers([bob], "before-b", 3)
    await wait_for(lambda: ann.text == bob.text, within=5, what="linked at the start")

    redis.stop()
    typed |= await type_markers([ann], "down-a", 5) | await type_markers([bob], "down-b", 5)
    await asyncio.sleep(1)
    redis.start()
    back = time.monotonic()
    typed |= await type_markers([ann], "after-a", 3) | await type_markers([bob], "after-b", 3)

    await wait_for(
        lambda: converged(
            database=database,
            note_id=note_id,
            workers=[worker_a, worker_b],
            clients=[ann, bob],
            expected=typed,
        ),
        within=5 - (time.monotonic() - back),
        what="both workers, fresh clients and the database converge",
    )
    await wait_for(
        lambda: all(worker.readyz()[0] == 200 for worker in (worker_a, worker_b)),
        within=5,
        what="both workers linked again",
    )
    await ann.close()
    await bob.close()


def small_receive_buffer_socket(port: int) -> socket.socket:
    # A small receive window, so the server's socket fills after little data,
    # as it would for a phone on a bad Wi-Fi.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    return sock


async def read_until_closed(ws, doc: DocClient) -> None:
    while True:
        for reply in doc.receive(await asyncio.wait_for(ws.recv(), 20)):
            await ws.send(reply)


async def test_a_reader_that_stops_reading_is_closed_with_1013_and_resyncs(database, servers):
    budget = 256 * 1024
    # 8 MB of notes: over the default size cap of a note, which is not what this tests.
    limits = f'"MAX_QUEUED_BYTES": {budget}, "CLOSE_TIMEOUT": 30, "MAX_NOTE_BYTES": {16 << 20}'
    server = servers(NOTES_LIVE=f"{{{limits}}}")
    note_id = database.new_guest_note()
    url = server.url(note_id, "Reader")
    origin = f"http://127.0.0.1:{server.port}"
    reader_doc = DocClient()
    reader = await connect(
        url,
        origin=origin,
        sock=small_receive_buffer_socket(server.port),
        max_queue=1,
        max_size=None,
    )
    await reader.send(reader_doc.sync_step1())
    while not reader_doc.synced:
        for reply in reader_doc.receive(await reader.recv()):
            await reader.send(reply)
    # The reader stops reading; writers paste 100 kB blocks (of incompressible
    # text, in case a proxy compresses), 8 MB in all.
    writers = [await WsClient(server, note_id, name=f"W{i}").connect() for i in range(4)]
    for i in range(20):
        for n, writer in enumerate(writers):
            await writer.append(f"[{n}.{i}]" + secrets.token_urlsafe(75_000)[:100_000] + "\n")
        await asyncio.sleep(0.1)  # within the flood limit of 1 MiB/s per connection
    await wait_for(
        lambda: "with 1013: too slow to keep up" in server.log_text(),
        within=20,
        what="the server gives up on the reader",
    )

    # The reader reads again: everything up to the close, then the close itself.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await read_until_closed(reader, reader_doc)
    assert closed.value.rcvd.code == 1013
    assert closed.value.rcvd.reason.startswith("too slow to keep up")

    # It reconnects and resyncs to what everyone else holds.
    final = writers[0].text
    for writer in writers[1:]:
        await writer.until(lambda writer=writer: writer.text == final)
    assert len(final) == 80 * 100_001 + sum(len(f"[{n}.{i}]") for n in range(4) for i in range(20))
    again = WsClient(server, note_id, name="Reader")
    again.y = reader_doc  # the same client, with what it had received before the close
    reader_doc.synced = False  # as a reconnecting client: synced again after the server's step 2
    await again.connect()
    assert again.text == final
    await again.close()
    for writer in writers:
        await writer.close()
