"""Reproduce the live-notes faults of two workers and a slow reader, and measure them.

    .venv/bin/python bench/faults.py [--scenario redis-down|slow-reader|all]

Real uvicorn processes on a throwaway database (SQLite, or PostgreSQL next to
DATABASE_URL), and a private redis-server on a free port that the script starts and
stops (the machine's own Redis is never touched).

redis-down: Redis is down when a note is first opened on both workers; 10 clients
per worker type 50 markers each; Redis comes back; they type 50 more each. Reports,
from the moment Redis is back, when every client on both workers, a fresh client on
each worker and the stored Markdown hold all 2,000 markers (or what they hold after
the time limit).

slow-reader: a reader on a small TCP receive window (a phone on bad Wi-Fi) stops
reading while 4 writers paste 100 kB blocks (16 MB).
Reports whether the server closed the reader (and with which code) or left it open
and stale, and whether it holds everything after reconnecting.
"""

import argparse
import asyncio
import os
import secrets
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Loopback only: plain HTTP, and a secret key of this run (servers it starts inherit it).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("HTTPS", "false")

import django

django.setup()

import websockets  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from deploy.cluster import PrivateRedis  # noqa: E402
from notes.client import DocClient  # noqa: E402
from tests.notes.servers import Server, ServerDatabase, WsClient  # noqa: E402


async def all_hold(clients, workers, database, note_id, expected) -> tuple[bool, str]:
    texts = [client.text for client in clients]
    counts = sorted({len(set(text.split()) & expected) for text in texts})
    if len(set(texts)) != 1 or counts != [len(expected)]:
        return False, f"clients hold {counts} of {len(expected)} markers"
    for worker in workers:
        fresh = await WsClient(worker, note_id, name="Fresh").connect()
        same = fresh.text == texts[0]
        await fresh.close()
        if not same:
            return False, f"a fresh client on :{worker.port} differs"
    if database.markdown(note_id) != texts[0]:
        held = len(set(database.markdown(note_id).split()) & expected)
        return False, f"stored Markdown holds {held} of {len(expected)} markers"
    return True, "all converged"


async def type_round(clients, prefix: str, count: int) -> set[str]:
    typed = set()
    for i in range(count):
        for n, client in enumerate(clients):
            marker = f"{prefix}{n}.{i}"
            await client.append(f"{marker} ")
            typed.add(marker)
        await asyncio.sleep(0.01)
    return typed


async def redis_down(tmp: Path, limit: float) -> None:
    database = ServerDatabase(tmp)
    redis = PrivateRedis(tmp)
    env = {"REDIS_URL": redis.url, "REDIS_PREFIX": f"faults-{uuid.uuid4().hex[:8]}"}
    workers = [Server(database, tmp, **env), Server(database, tmp, **env)]
    try:
        note_id = database.new_guest_note()
        on_a = [await WsClient(workers[0], note_id, name=f"A{i}").connect() for i in range(10)]
        on_b = [await WsClient(workers[1], note_id, name=f"B{i}").connect() for i in range(10)]
        typed = await type_round(on_a, "a", 50) | await type_round(on_b, "b", 50)
        await asyncio.sleep(5)
        redis.start()
        back = time.monotonic()
        typed |= await type_round(on_a, "c", 50) | await type_round(on_b, "d", 50)
        while True:
            done, detail = await all_hold(on_a + on_b, workers, database, note_id, typed)
            elapsed = time.monotonic() - back
            if done or elapsed > limit:
                break
            await asyncio.sleep(0.25)
        print(
            f"redis-down: {'converged' if done else 'NOT converged'} {elapsed:.1f} s after "
            f"Redis returned ({detail}); A's clients hold "
            f"{len(set(on_a[0].text.split()) & typed)}, B's hold "
            f"{len(set(on_b[0].text.split()) & typed)} of {len(typed)} markers"
        )
        for client in on_a + on_b:
            await client.close()
    finally:
        for worker in workers:
            worker.stop()
        redis.stop()
        database.drop()


async def slow_reader(tmp: Path) -> None:
    database = ServerDatabase(tmp)
    server = Server(database, tmp)
    try:
        note_id = database.new_guest_note()
        doc = DocClient()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        reader = await connect(
            server.url(note_id, "Reader"),
            origin=f"http://127.0.0.1:{server.port}",
            sock=sock,
            max_queue=1,
            max_size=None,
        )
        await reader.send(doc.sync_step1())
        while not doc.synced:
            for reply in doc.receive(await reader.recv()):
                await reader.send(reply)
        writers = [await WsClient(server, note_id, name=f"W{i}").connect() for i in range(4)]
        for i in range(40):
            for n, writer in enumerate(writers):
                await writer.append(f"[{n}.{i}]" + secrets.token_urlsafe(75_000) + "\n")
            await asyncio.sleep(0.1)
        for _ in range(100):  # up to 10 s for the server to give up on the reader
            if "with 1013" in server.log_text():
                break
            await asyncio.sleep(0.1)
        final = writers[0].text
        outcome = "open"
        try:
            while True:
                for reply in doc.receive(await asyncio.wait_for(reader.recv(), 5)):
                    await reader.send(reply)
        except TimeoutError:
            outcome = "still open, nothing more arrives"
        except websockets.ConnectionClosed as closed:
            outcome = f"closed with {closed.rcvd.code if closed.rcvd else 'no close frame'}"
        stale = len(final) - len(str(doc))
        print(
            f"slow-reader: {outcome}; it held {len(str(doc))} of {len(final)} characters "
            f"({stale} missing) before reconnecting"
        )
        doc.synced = False
        again = WsClient(server, note_id, name="Reader")
        again.y = doc
        await again.connect()
        print(f"slow-reader: after reconnecting it holds everything: {again.text == final}")
        await again.close()
        for writer in writers:
            await writer.close()
    finally:
        server.stop()
        database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["redis-down", "slow-reader", "all"], default="all")
    parser.add_argument("--limit", type=float, default=90.0, help="seconds to wait for convergence")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("redis-down", "slow-reader"):
            (Path(tmp) / name).mkdir()
        if args.scenario in ("redis-down", "all"):
            asyncio.run(redis_down(Path(tmp) / "redis-down", args.limit))
        if args.scenario in ("slow-reader", "all"):
            asyncio.run(slow_reader(Path(tmp) / "slow-reader"))


if __name__ == "__main__":
    main()
