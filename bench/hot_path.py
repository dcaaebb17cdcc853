"""The live engine's hot path in one process: N client updates into a room of 20
connections, through Room.receive and the coalesced fan-out, without sockets or a
database. For comparing two versions of notes/ (run it from each checkout; it imports
the checkout it runs in), free of the network and load-generator noise of
bench/live_notes.py.

    .venv/bin/python bench/hot_path.py [--edits 4000] [--clients 20] [--repeat 7]

Prints the process CPU time per edit, best of `repeat` runs.
"""

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "hot-path-bench")
os.environ.setdefault("HTTPS", "false")

import django

django.setup()

from notes.client import DocClient  # noqa: E402
from notes.connection import Connection  # noqa: E402
from notes.room import Room, RoomRegistry  # noqa: E402


async def _sent(message) -> None:
    return None


async def run_once(edits: int, clients: int) -> float:
    registry = RoomRegistry(peer_sync=False)
    room = Room(registry, 1)
    # As Room.load does, without the database: observe, and count as loaded.
    room._subscription = room.doc.observe(room._on_change)
    room.loaded = True
    conns = [Connection(_sent, can_write=True, label=str(i)) for i in range(clients)]
    for conn in conns:
        conn.contributed = True  # no contributor writes
        room.join(conn)
    docs = [DocClient() for _ in range(clients)]
    frames = [(i % clients, docs[i % clients].append(f"w{i} ")) for i in range(edits)]
    started = time.process_time()
    for k, (who, frame) in enumerate(frames):
        room.receive(conns[who], frame)
        if k % 4 == 3:
            await asyncio.sleep(0)  # the flush runs: about 4 edits per fan-out
    await asyncio.sleep(0)
    spent = time.process_time() - started
    room.close()
    return spent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    best = min([await run_once(args.edits, args.clients) for _ in range(args.repeat)])
    print(
        f"{Path.cwd().name}: {best * 1e6 / args.edits:.1f} µs CPU per edit "
        f"(best of {args.repeat}; {args.edits} edits, {args.clients} clients)"
    )


if __name__ == "__main__":
    asyncio.run(main())
