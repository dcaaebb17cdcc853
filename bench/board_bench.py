"""Benchmarks of the open-space board (not part of `make test`).

1. render: the board page of 10 rooms × 12 slots with 150 proposals (100 placed, 50
   waiting, ~20 interests each), rendered server-side through Django's full request
   path (middleware, session, queries, templates); median of many runs. Target < 50 ms.
2. fanout: 200 WebSocket board viewers connected to a real uvicorn; an organizer moves
   a topic over HTTP; time from sending the POST to each viewer receiving the new
   cell. p50 / p95 / max over all viewers × placements. Target: all within 1 s.
3. votes: 300 viewers (half on the board, half on the marketplace) and one guest
   toggling "I'm interested" on a placed topic 10 times over HTTP, 0.3 s apart: the
   server's CPU seconds for the 10 toggles (what issue 12 measured at ~1 s), and the
   time from each POST to every viewer having the new count.

Usage (from the repository root, after `make test` has made .venv):

    .venv/bin/python bench/board_bench.py                 # both, SQLite + in-memory layer
    .venv/bin/python bench/board_bench.py render --runs 100
    .venv/bin/python bench/board_bench.py fanout --viewers 200 --moves 20
    .venv/bin/python bench/board_bench.py votes --viewers 300 --toggles 10
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/confnotes_bench \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/board_bench.py fanout --workers 2

Without DATABASE_URL a throwaway SQLite file is used. With PostgreSQL, point it at a
database made for the bench (it is migrated, and the bench event is replaced).
Only loopback addresses are used.
"""

import argparse
import asyncio
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="board-bench-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Loopback only: plain HTTP, and a secret key of this run (servers it starts inherit it).
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("HTTPS", "false")

import django  # noqa: E402

from deploy.cluster import free_port  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from sessions.models import Event, Interest, OpenSpace, Room, Slot  # noqa: E402

SLUG = "board-bench"
VENDOR = django.db.connection.vendor


def build(*, rooms: int = 10, slots: int = 12, proposals: int = 150, placed: int = 100):
    call_command("migrate", verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    start = timezone.localdate() + timedelta(days=30)
    event = Event.objects.create(
        name="Board Bench",
        slug=SLUG,
        start_date=start,
        end_date=start + timedelta(days=1),
        timezone="Europe/Paris",
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-organizer")
    event.organizers.add(user)
    room_list = [
        Room.objects.create(event=event, name=f"Room {n:02d}", capacity=15 + 5 * n, position=n)
        for n in range(rooms)
    ]
    slot_list = []
    for n in range(slots):
        day, hour = divmod(n, 6)
        begin = datetime.combine(start + timedelta(days=day), dtime(10 + hour), tzinfo=event.tz)
        slot_list.append(
            Slot.objects.create(event=event, start=begin, end=begin + timedelta(minutes=50))
        )
    cells = [(r, s) for s in slot_list for r in room_list]
    topics = []
    for n in range(proposals):
        room, slot = cells[n] if n < placed else (None, None)
        topics.append(
            OpenSpace.objects.create(
                event=event,
                title=f"Topic number {n} about something",
                host=f"Host {n % 40}",
                description="A short description.",
                room=room,
                slot=slot,
                status="scheduled" if room else "proposed",
            )
        )
    Interest.objects.bulk_create(
        Interest(open_space=topic, guest_key=f"guest-{topic.pk}-{k}")
        for topic in topics
        for k in range(topic.pk % 40)
    )
    return event, user, room_list, slot_list, topics


def bench_render(runs: int) -> None:
    event, user, *_ = build()
    client = Client()
    client.force_login(user)
    url = f"/events/{event.slug}/board/"
    for _ in range(5):  # warm the template cache and the connection
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
    size = len(response.content)
    print(
        f"render: board page 10 rooms × 12 slots, 150 proposals ({size // 1024} KiB), "
        f"{runs} runs on {django.db.connection.vendor}: median {statistics.median(timings):.1f} ms, "
        f"p95 {statistics.quantiles(timings, n=20)[18]:.1f} ms, min {min(timings):.1f} ms"
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    total = cpu_seconds(pid)
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        total += children_cpu(int(child))
    return total


def prepare_fanout():
    """The board, and an organizer's session cookie and CSRF secret for HTTP POSTs."""
    _, user, rooms, slots, topics = build()
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
    cookie = f"sessionid={session.session_key}; csrftoken={csrf}"
    django.db.connections.close_all()
    return rooms, slots, topics, cookie, csrf


def start_server(workers: int) -> tuple[subprocess.Popen, int]:
    """uvicorn on a free loopback port, with this process' environment; waits until ready."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            "notes.server_protocol:LiveWebSocketProtocol",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/events/{SLUG}/board/", timeout=1)
            return server, port
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not start")


async def bench_fanout(prepared, server, port: int, viewers: int, moves: int, workers: int):
    import websockets

    rooms, slots, topics, cookie, csrf = prepared
    base = f"http://127.0.0.1:{port}"
    ws_url = f"ws://127.0.0.1:{port}/ws/events/{SLUG}/board/?view=board"
    sockets = []
    for batch in range(0, viewers, 50):
        sockets += await asyncio.gather(
            *(
                websockets.connect(ws_url, origin=base, max_size=2**22)
                for _ in range(min(50, viewers - batch))
            )
        )
    await asyncio.sleep(0.5)

    mover = topics[0]
    free = [(r, s) for s in slots for r in rooms][100:]  # cells beyond the placed ones
    results: list[float] = []
    worst_per_move = []
    cpu_before = children_cpu(server.pid)
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    for n in range(moves):
        room, slot = free[n % 2]
        marker = f'id="cell-{room.pk}-{slot.pk}" class="cell cell--taken'

        async def wait_for(ws, marker=marker):
            while True:
                frame = await ws.recv()
                if marker in frame:
                    return time.perf_counter()

        waiters = [asyncio.create_task(wait_for(ws)) for ws in sockets]
        body = urllib.parse.urlencode({"open_space": mover.pk, "cell": f"{room.pk}-{slot.pk}"})
        request = urllib.request.Request(
            base + f"/events/{SLUG}/board/place/",
            data=body.encode(),
            headers={"Cookie": cookie, "X-CSRFToken": csrf, "HX-Request": "true"},
        )
        began = time.perf_counter()
        status = await asyncio.to_thread(lambda r=request: urllib.request.urlopen(r).status)
        done, pending = await asyncio.wait(waiters, timeout=5)
        for task in pending:
            task.cancel()
        latencies = [(task.result() - began) * 1000 for task in done]
        assert status == 200, status
        if pending:
            print(f"  move {n}: {len(pending)} viewers got nothing within 5 s")
        results += latencies
        worst_per_move.append(max(latencies))
        await asyncio.sleep(0.2)
        for ws in sockets:  # drop the other fragments of this move
            while True:
                try:
                    await asyncio.wait_for(ws.recv(), 0.001)
                except TimeoutError:
                    break
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_server = children_cpu(server.pid) - cpu_before
    cpu_self = (usage_after.ru_utime + usage_after.ru_stime) - (
        usage_before.ru_utime + usage_before.ru_stime
    )
    results.sort()
    print(
        f"fanout: {viewers} viewers × {moves} moves, {workers} worker(s), "
        f"{VENDOR} + "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'in-memory'} layer: "
        f"p50 {statistics.median(results):.0f} ms, "
        f"p95 {results[int(len(results) * 0.95) - 1]:.0f} ms, max {results[-1]:.0f} ms "
        f"({len(results)} deliveries; slowest viewer per move: median "
        f"{statistics.median(worst_per_move):.0f} ms). CPU: server {cpu_server:.2f} s, "
        f"load generator {cpu_self:.2f} s."
    )
    for ws in sockets:
        await ws.close()


async def bench_votes(prepared, server, port: int, viewers: int, toggles: int, workers: int):
    import websockets

    _rooms, _slots, topics, _cookie, csrf = prepared
    base = f"http://127.0.0.1:{port}"
    sockets = []
    for batch in range(0, viewers, 50):
        sockets += await asyncio.gather(
            *(
                websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/events/{SLUG}/board/"
                    f"?view={'board' if (batch + n) % 2 else 'market'}",
                    origin=base,
                    max_size=2**22,
                )
                for n in range(min(50, viewers - batch))
            )
        )
    await asyncio.sleep(0.5)
    topic = topics[0]  # placed: its cell and its marketplace entry both change
    guest = f"csrftoken={csrf}"  # no guest cookie yet: the first POST mints one
    latencies: list[float] = []
    cpu_before = children_cpu(server.pid)
    for n in range(toggles):

        async def first_frame(ws):
            await ws.recv()
            return time.perf_counter()

        waiters = [asyncio.create_task(first_frame(ws)) for ws in sockets]
        body = urllib.parse.urlencode({"interested": "1" if n % 2 == 0 else "0"})
        request = urllib.request.Request(
            f"{base}/events/{SLUG}/open-spaces/{topic.pk}/interest/",
            data=body.encode(),
            headers={"Cookie": guest, "X-CSRFToken": csrf, "HX-Request": "true"},
        )
        began = time.perf_counter()

        def post(request=request):
            response = urllib.request.urlopen(request)
            return response.status, response.headers.get_all("Set-Cookie") or []

        status, cookies = await asyncio.to_thread(post)
        assert status == 200, status
        for header in cookies:
            if header.startswith("confnotes_guest="):
                guest = f"csrftoken={csrf}; {header.split(';', 1)[0]}"
        done, pending = await asyncio.wait(waiters, timeout=5)
        for task in pending:
            task.cancel()
        if pending:
            print(f"  toggle {n}: {len(pending)} viewers got nothing within 5 s")
        latencies += [(task.result() - began) * 1000 for task in done]
        await asyncio.sleep(0.3)
        for ws in sockets:  # drop the other fragments of this toggle
            while True:
                try:
                    await asyncio.wait_for(ws.recv(), 0.001)
                except TimeoutError:
                    break
    cpu_server = children_cpu(server.pid) - cpu_before
    latencies.sort()
    print(
        f"votes: {viewers} viewers × {toggles} interest toggles, {workers} worker(s), "
        f"{VENDOR} + {'Redis' if os.environ.get('REDIS_URL') else 'in-memory'} layer: "
        f"server CPU {cpu_server:.2f} s ({cpu_server / toggles * 1000:.0f} ms a toggle); "
        f"first frame to every viewer: p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f} ms, max {latencies[-1]:.0f} ms"
    )
    for ws in sockets:
        await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "what", nargs="?", choices=["render", "fanout", "votes", "all"], default="all"
    )
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--viewers", type=int, default=0, help="200 (fanout), 300 (votes)")
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--toggles", type=int, default=10)
    args = parser.parse_args()
    if args.what in ("render", "all"):
        bench_render(args.runs)
    for what, bench, count in (
        ("fanout", bench_fanout, args.moves),
        ("votes", bench_votes, args.toggles),
    ):
        if args.what not in (what, "all"):
            continue
        prepared = prepare_fanout()
        server, port = start_server(args.workers)
        try:
            viewers = args.viewers if args.viewers else (200 if what == "fanout" else 300)
            asyncio.run(bench(prepared, server, port, viewers, count, args.workers))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
