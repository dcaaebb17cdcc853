"""Confnotes against the reference y-websocket server, same generator, one run, alternating.

`make bench-peer` (or `python bench/peer.py`) starts four servers and keeps them up
for the whole run:

  ref      the Node reference server `@y/websocket-server` (in memory, per-keystroke
           relay), installed with npm into a temporary folder, bound to 127.0.0.1;
  one      Confnotes, one uvicorn worker as `make run` serves it (config.server, the
           Makefile's WebSocket options) on the embedded default (SQLite, a temporary
           file), persisting every update;
  one-pg   the same worker on PostgreSQL (a throwaway database on the machine's
           PostgreSQL, dropped at the end), in-memory channel layer;
  cluster  Confnotes, two workers behind nginx on PostgreSQL + Redis (deploy/cluster.py;
           a throwaway database on the machine's PostgreSQL, dropped at the end).

and on request `one-queue`: `one` with uvicorn's plain websockets-sansio protocol, every
client frame through its receive queue (the A/B of notes/server_protocol.py).

For every load and every round it drives bench/live_notes.py's editors (pycrdt clients
speaking the y-websocket protocol) against ref, one, one-pg, cluster in turn, so they
all see the same machine state. Loads (`--loads` or LOADS=20,50,…):

  <N>      N editors in one note (20, 50, 200, …)
  keynote  one note, 20 editors + 500 readers (connected, never typing)
  tracks   300 notes × 3 editors

Every editor types at --rate edits/s for --duration s. Reported per run: latency from a
send to its arrival at the other clients of the note (p50/p95/p99; timed by the
witnesses and by every k-th client, about TIMED_PER_NOTE per note spread over the
order the server sends in: all of a small note's clients), lost edits (an edit some
client never got within --drain s: every client counts every edit it receives, the
untimed ones in a set of tokens), convergence (a note's witnesses, a fresh late joiner,
and for Confnotes the stored document, hold the same text; the witnesses are the note's
first --witnesses clients, editors first: only they apply what they receive to a
document of their own; 8 by default, 1 at tracks, whose 900 documents took the generator
past this machine's cores, while every client counts and times what it receives
anyway), server CPU per 1,000 edits (the server processes'
user+system CPU from typing start to drain end: node; the uvicorn worker; the two
workers plus nginx — Redis is a shared machine service and not counted, PostgreSQL's
backends serving the server's database are measured and shown apart),
memory per connection (server RSS after the run minus before
connecting, over the connections), frames received per client per second, and the
generator's own CPU and lag. A run where the generator did not keep up (a send more
than --max-lag ms late, a generator process above 90 % of a core over typing and
catching up, or all the machine's cores above 90 % busy, ours or not) is re-run
once over twice the processes, and says so; if it still lags, its latency does not
count (marked `*` in the table, a red cross on the plot).

The generator shares this machine's cores with the server under test. At 4,500 edits/s
(tracks) on 2 cores the server's event loop then waits in the run queue behind eight
generator processes: `--generator-nice 10` lets the server have the CPU first, as when
the clients are other machines (the same for every server; the lag rule above still
says when the generator fell behind).

The Confnotes servers run with the per-address guest cap lifted (every client here
comes from 127.0.0.1); everything else is as deployed.

Output: a Markdown table and a PNG (latency percentiles and CPU per edit against load,
one line per server) in bench/peer-results/, the raw runs as JSON lines beside them.

    python bench/peer.py --loads 20,50 --duration 10 --rounds 1
    python bench/peer.py --loads keynote,tracks --servers ref,one
"""

import argparse
import asyncio
import contextlib
import hashlib
import json
import math
import multiprocessing as mp
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

import live_notes  # noqa: E402 - after the path is set
from live_notes import COARSE_BUCKETS, FINE_BUCKETS, Editor, now_us, percentile  # noqa: E402

from deploy.cluster import free_port  # noqa: E402

OUT_DIR = REPO_ROOT / "bench" / "peer-results"
# The newest @y/websocket-server (0.1.5) depends on a yjs 14 prerelease whose `@y/y`
# is not on the registry (npm: ETARGET); 0.1.1 is the last one that installs (yjs 13).
REF_PACKAGE = "@y/websocket-server@0.1.1"
SERVER_LABELS = {
    "ref": "reference (Node)",
    "one": "Confnotes, 1 worker",
    "one-pg": "Confnotes, 1 worker, PostgreSQL",
    "cluster": "Confnotes, 2 workers + nginx",
    # Not in the default set: `one` with uvicorn's plain websockets-sansio protocol, whose
    # receive queue every client frame then goes through (notes/server_protocol.py).
    "one-queue": "Confnotes, 1 worker, receive queue",
}
DEFAULT_LOADS = "20,50,200,keynote,tracks"
# Clients per note that time what they receive, beside the witnesses (all of a small note).
TIMED_PER_NOTE = 32
# Every client comes from 127.0.0.1 here, where a conference's come from many
# addresses: the per-address guest cap (notes/conf.py, 300) is lifted for the bench.
# The environment's own NOTES_LIVE (to try a tunable) is kept, with the guest cap lifted.
CONFNOTES_ENV = {
    "NOTES_LIVE": json.dumps(
        {
            **json.loads(os.environ.get("NOTES_LIVE") or "{}"),
            "MAX_GUEST_CONNECTIONS_PER_IP": 100_000,
        }
    )
}


def parse_load(name: str) -> dict:
    name = name.strip()
    if name == "keynote":
        return {"name": name, "notes": 1, "editors": 20, "readers": 500, "witnesses": 8}
    if name == "tracks":
        return {"name": name, "notes": 300, "editors": 3, "readers": 0, "witnesses": 1}
    if name.isdigit():
        return {"name": name, "notes": 1, "editors": int(name), "readers": 0, "witnesses": 8}
    raise SystemExit(f"unknown load {name!r}: a number of editors, keynote or tracks")


# --- generator process -------------------------------------------------------------------


async def run_clients(clients, cfg, pipe) -> None:
    """clients: (note, index, role, url); editors of a note are indices 0..editors-1,
    readers follow. Only a note's first `witnesses` clients apply what they receive;
    they and about TIMED_PER_NOTE others spread over the note's clients time it."""
    hist = [0] * (FINE_BUCKETS + COARSE_BUCKETS)
    note_args = SimpleNamespace(
        editors=cfg["editors"], edits=cfg["edits"], rate=cfg["rate"], origin=cfg["origin"]
    )
    # Every stride-th client by index: spread over the order in which the server sends a
    # fan-out (its first clients get a frame before its last ones).
    stride = max(1, (cfg["editors"] + cfg["readers"]) // TIMED_PER_NOTE)
    people = []
    for note, index, role, url in clients:
        person = Editor(index, note_args, hist, url)
        person.note, person.role = note, role
        person.applies = not cfg["witnesses"] or index < cfg["witnesses"]
        person.timed = person.applies or index % stride == 0
        if role == "reader":
            person.expected = cfg["editors"] * cfg["edits"]
        people.append(person)
    gate = asyncio.Semaphore(32)  # connect many at a time, not all at once

    async def connect(person):
        async with gate:
            await person.connect()

    await asyncio.gather(*(connect(p) for p in people))
    reading = [asyncio.create_task(p.read()) for p in people]
    while not all(p.synced for p in people):  # noqa: ASYNC110 - a cheap poll
        await asyncio.sleep(0.01)
    pipe.send(("connected", len(people)))
    start_us = pipe.recv()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(p.type(start_us) for p in people if p.role == "editor"))
    typed_at = time.monotonic()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    while any(p.missing for p in people) and time.monotonic() - typed_at < cfg["drain"]:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    drained_at = time.monotonic()
    cpu2 = resource.getrusage(resource.RUSAGE_SELF)
    texts: dict[int, set] = {}
    for p in people:
        if p.applies:
            texts.setdefault(p.note, set()).add(hashlib.sha1(str(p.text).encode()).hexdigest())
    pipe.send(
        (
            "done",
            {
                "sent": sum(p.sent for p in people),
                "receipts": sum(p.got for p in people),
                "timed_clients": sum(p.timed for p in people),
                "frames": sum(p.frames for p in people),
                "missing": sum(p.missing for p in people),
                "lag_us": max(p.lag_us for p in people),
                "closed": sum(
                    p.closed_code is not None or (p.ws is not None and p.ws.close_code is not None)
                    for p in people
                ),
                "texts": {note: sorted(h) for note, h in texts.items()},
                "cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
                # typing and catching up: a generator that falls behind reading shows here
                "cpu_all_s": (cpu2.ru_utime - cpu0.ru_utime) + (cpu2.ru_stime - cpu0.ru_stime),
                "drain_s": drained_at - typed_at,
                "hist": {i: c for i, c in enumerate(hist) if c},
            },
        )
    )
    pipe.recv()  # stay connected until the late joiners have synced
    for p in people:
        with contextlib.suppress(Exception):
            await p.ws.close()
    for task in reading:
        task.cancel()


def generator_main(clients, cfg, pipe) -> None:
    if cfg.get("nice"):
        os.nice(cfg["nice"])
    # The generator is a Python program with hundreds of connections too: uvloop and
    # the collector's settings of the server (config/server.py), so that on a shared
    # machine it neither takes the server's CPU nor stalls its own timing.
    import uvloop

    from config.server import tune_gc

    tune_gc()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run_clients(clients, cfg, pipe))


# --- servers ------------------------------------------------------------------------------


def tree_pids(pids) -> list[int]:
    import psutil

    found = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(pid)
            found.append(pid)
            found += [child.pid for child in proc.children(recursive=True)]
    return found


def cpu_s(pids) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def database_cpu(name: str | None) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to database `name` (none: {}).
    A backend that exits before the end of a run takes its CPU with it: an underestimate,
    small here (psycopg's pool keeps the workers' connections open)."""
    import psutil

    if name is None:
        return {}
    found = {}
    for proc in psutil.process_iter(["cmdline"]):
        title = " ".join(proc.info["cmdline"] or [])
        if title.startswith("postgres: ") and f" {name} " in title:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                found[proc.pid] = times.user + times.system
    return found


def rss_mib(pids) -> float:
    import psutil

    total = 0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += psutil.Process(pid).memory_info().rss
    return total / 2**20


def machine_times():
    import psutil

    return psutil.cpu_times()


def machine_busy_fraction(before, after) -> float:
    """The share of all cores' time that was not idle between two psutil.cpu_times()."""
    # guest time is already counted in user time on Linux
    fields = [f for f in after._fields if f not in ("guest", "guest_nice")]
    total = sum(getattr(after, f) - getattr(before, f) for f in fields)
    idle = (after.idle + getattr(after, "iowait", 0)) - (before.idle + getattr(before, "iowait", 0))
    return 1 - idle / total if total > 0 else 0.0


class RefServer:
    name = "ref"
    stores = False
    database = None  # the PostgreSQL database it uses, for its CPU (database_cpu)

    def __init__(self, package: str):
        self.package = package
        self.dir = Path(tempfile.mkdtemp(prefix="peer-ref-"))
        self.process = None
        self.port = free_port()

    def start(self) -> None:
        if shutil.which("npm") is None or shutil.which("node") is None:
            raise SystemExit("the reference server needs node and npm (apt-get install nodejs npm)")
        print(f"[ref] npm install {self.package} into {self.dir}", flush=True)
        subprocess.run(
            ["npm", "init", "-y"], cwd=self.dir, check=True, capture_output=True, text=True
        )
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", self.package],
            cwd=self.dir,
            check=True,
            capture_output=True,
            text=True,
        )
        # The package's `bin` (y-websocket → src/server.js), run with node directly so
        # that the server is one process of ours (npx would add an npm process).
        package_dir = self.dir / "node_modules" / "@y" / "websocket-server"
        meta = json.loads((package_dir / "package.json").read_text())
        bin_path = package_dir / meta["bin"]["y-websocket"]
        self.version = meta["version"]
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)}
        env.pop("YPERSISTENCE", None)  # in memory, as the comparison
        self.log = (self.dir / "server.log").open("w")
        self.process = subprocess.Popen(
            ["node", str(bin_path)], cwd=self.dir, env=env, stdout=self.log, stderr=self.log
        )
        from deploy.cluster import wait_for_port

        wait_for_port(self.port, self.process, within=30, what="the reference server")
        print(f"[ref] @y/websocket-server {self.version} pid {self.process.pid}", flush=True)

    def pids(self) -> list[int]:
        return [self.process.pid]

    def notes(self, count: int, run: str) -> list[tuple[object, str, str]]:
        # Any path is a room for y-websocket; the origin is not checked.
        base = f"ws://127.0.0.1:{self.port}"
        return [
            (f"{run}-{i}", f"{base}/peer/{run}/{i}", f"http://127.0.0.1:{self.port}")
            for i in range(count)
        ]

    def stored_hashes(self, keys) -> dict:
        return {}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


NOTES_CODE = (
    "from sessions.models import Event, Talk; import datetime; "
    "e = Event.objects.create(name='Peer bench', slug='{slug}', "
    "start_date=datetime.date(2026, 6, 10), end_date=datetime.date(2026, 6, 10), "
    "notes_access='guests'); "
    "print(' '.join(str(Talk.objects.create(event=e, title=f'Talk {{i}}').note_id) "
    "for i in range({count})))"
)
HASHES_CODE = (
    "import hashlib, json; from notes.models import Note; from notes.services import note_text; "
    "print(json.dumps({{n.pk: hashlib.sha1(note_text(note=n).encode()).hexdigest() "
    "for n in Note.objects.filter(pk__in={ids})}}))"
)


class ConfnotesServer:
    database = None
    stores = True

    def _manage(self, *argv) -> str:
        raise NotImplementedError

    def _base(self) -> tuple[str, str]:
        raise NotImplementedError

    def notes(self, count: int, run: str) -> list[tuple[object, str, str]]:
        out = self._manage(
            "shell", "-c", NOTES_CODE.format(slug=f"peer-{run}-{self.name}", count=count)
        )
        ids = [int(i) for i in out.strip().splitlines()[-1].split()]
        ws, origin = self._base()
        return [(i, f"{ws}/ws/notes/{i}/", origin) for i in ids]

    def stored_hashes(self, keys) -> dict:
        out = self._manage("shell", "-c", HASHES_CODE.format(ids=list(keys)))
        return {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}


class OneWorker(ConfnotesServer):
    """One uvicorn worker as `make run` serves it, on a temporary SQLite database."""

    name = "one"
    ws = None  # uvicorn's --ws: deploy/cluster.py's (UVICORN_OPTIONS) unless set

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="peer-one-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.dir / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "NOTES_LOG_LEVEL": "WARNING",
            **CONFNOTES_ENV,
        }
        self.env.pop("REDIS_URL", None)  # one process: the in-memory channel layer
        self.process = None

    def _manage(self, *argv) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def _base(self):
        return f"ws://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        from deploy.cluster import UVICORN_OPTIONS, wait_for_port

        self._manage("migrate", "--noinput", "-v", "0")
        self.log = (self.dir / "server.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.server",
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.uvicorn_options(UVICORN_OPTIONS),
            ],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        wait_for_port(self.port, self.process, within=60, what="the Confnotes worker")
        print(f"[{self.name}] uvicorn pid {self.process.pid} on {self.where()}", flush=True)

    def uvicorn_options(self, options) -> list[str]:
        options = list(options)
        if self.ws is not None:
            options[options.index("--ws") + 1] = self.ws
        return options

    def where(self) -> str:
        return f"SQLite {self.dir}"

    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class OneWorkerQueue(OneWorker):
    """`one` served with `--ws websockets-sansio`: client frames through uvicorn's receive
    queue, as before notes/server_protocol.py (for an A/B of that change)."""

    name = "one-queue"
    ws = "websockets-sansio"


class OneWorkerPostgres(OneWorker):
    """The same worker on a throwaway PostgreSQL database (the machine's, PEER_PG)."""

    name = "one-pg"

    def __init__(self):
        super().__init__()
        self.database = f"confnotes_peer_{uuid.uuid4().hex[:8]}"
        base = os.environ.get("PEER_PG", "postgres://postgres@127.0.0.1:5432")
        self.admin = f"{base}/postgres"
        self.env["DATABASE_URL"] = f"{base}/{self.database}"

    def where(self) -> str:
        return f"PostgreSQL database {self.database}"

    def start(self) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        super().start()

    def stop(self) -> None:
        super().stop()
        drop_database(self.admin, self.database)


def drop_database(admin: str, name: str) -> None:
    import psycopg

    with contextlib.suppress(Exception), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ClusterServer(ConfnotesServer):
    """deploy/cluster.py: two workers behind nginx, a throwaway PostgreSQL database."""

    name = "cluster"

    def __init__(self, workers: int):
        from deploy.cluster import Cluster

        self.database = f"confnotes_peer_{uuid.uuid4().hex[:8]}"
        base = os.environ.get("PEER_PG", "postgres://postgres@127.0.0.1:5432")
        self.cluster = Cluster(
            workers=workers, database_url=f"{base}/{self.database}", env=CONFNOTES_ENV
        )
        self.admin = f"{base}/postgres"

    def _manage(self, *argv) -> str:
        return self.cluster.manage(*argv)

    def _base(self):
        return f"ws://127.0.0.1:{self.cluster.port}", self.cluster.url

    def start(self) -> None:
        self.cluster.start()
        print(
            f"[cluster] nginx {self.cluster.url} pid {self.cluster.nginx.pid}, workers "
            f"{[w.pid for w in self.cluster.workers]}, database {self.database}",
            flush=True,
        )

    def pids(self) -> list[int]:
        return tree_pids([w.pid for w in self.cluster.workers] + [self.cluster.nginx.pid])

    def stop(self) -> None:
        self.cluster.stop()
        drop_database(self.admin, self.database)


# --- one run --------------------------------------------------------------------------------


def choose_procs(load: dict) -> int:
    # About 33 editors or 250 readers a process (bench/live_notes.py's measure); more
    # processes than that only add context switches on 2 cores.
    total = load["notes"] * load["editors"] / 33 + load["notes"] * load["readers"] / 250
    return max(1, min(8, math.ceil(total)))


def start_profilers(server, pids, args, run) -> list:
    """With --profile DIR: py-spy samples each Confnotes Python process over the typing,
    without pausing it (--nonblocking, so the server's CPU figure is not stretched;
    --profile-blocking pauses it, for exact stacks), into
    collapsed stacks DIR/<run>-<server>-<pid>.txt (bench/profile_top.py reads them)."""
    if not args.profile or server.name == "ref":
        return []
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out = Path(args.profile)
    out.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in pids:
        if "python" not in Path(f"/proc/{pid}/exe").resolve().name:
            continue  # nginx
        target = out / f"{run}-{server.name}-{pid}.txt"
        procs.append(
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "250",
                    *([] if args.profile_blocking else ["--nonblocking"]),
                    "--format",
                    "raw",
                    "--output",
                    str(target),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(0.5)  # py-spy attaches before the typing starts
    return procs


def stop_profilers(procs) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def late_join(url: str, origin: str) -> tuple[str, int]:
    """A fresh client's text (hash, tokens). A busy box, or a server still working off a
    backlog (the reference at 200 editors), can take longer than the client's 10 s
    opening handshake: try again, for up to about a minute."""
    for _ in range(5):
        try:
            return asyncio.run(live_notes.late_joiner(url, origin, 0))
        except (TimeoutError, OSError):
            time.sleep(2)
    return asyncio.run(live_notes.late_joiner(url, origin, 0))  # its error is the run's


def run_once(server, load: dict, args, procs: int, run: str) -> dict:
    edits = max(1, int(args.duration * args.rate))
    witnesses = load["witnesses"] if args.witnesses is None else args.witnesses
    notes = server.notes(load["notes"], run)
    origin = notes[0][2]
    clients = []
    for n, (_key, url, _origin) in enumerate(notes):
        for i in range(load["editors"]):
            clients.append((n, i, "editor", f"{url}?name={quote(f'Editor {i}')}"))
        for i in range(load["readers"]):
            index = load["editors"] + i
            clients.append((n, index, "reader", f"{url}?name={quote(f'Reader {i}')}"))
    cfg = {
        "editors": load["editors"],
        "edits": edits,
        "rate": args.rate,
        "origin": origin,
        "drain": args.drain,
        "witnesses": witnesses,
        "readers": load["readers"],
        "nice": args.generator_nice,
    }
    # Warm up code paths (and the first note's room), so the baseline is per connection.
    late_join(notes[0][1], origin)
    pids = server.pids()
    rss_before = rss_mib(pids)
    ctx = mp.get_context("fork")
    pipes, workers = [], []
    for share in (clients[i::procs] for i in range(procs)):
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=generator_main, args=(share, cfg, child))
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    try:
        connect_started = time.monotonic()
        for pipe in pipes:
            if not pipe.poll(300):
                raise RuntimeError("clients did not connect within 300 s")
            assert pipe.recv()[0] == "connected"
        connect_s = time.monotonic() - connect_started
        profilers = start_profilers(server, pids, args, run)
        cpu0 = cpu_s(pids)
        db0 = database_cpu(server.database)
        machine0 = machine_times()
        start_us = now_us() + 500_000
        started = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send(start_us)
        reports = []
        for pipe in pipes:
            if not pipe.poll(args.duration + args.drain + 300):
                raise RuntimeError("a generator process did not report")
            reports.append(pipe.recv()[1])
        wall = time.monotonic() - started
        server_cpu = cpu_s(pids) - cpu0
        db_cpu = sum(t - db0.get(pid, 0.0) for pid, t in database_cpu(server.database).items())
        stop_profilers(profilers)
        machine_busy = machine_busy_fraction(machine0, machine_times())
        rss_end = rss_mib(pids)
        texts: dict[int, set] = {}
        for report in reports:
            for note, hashes in report["texts"].items():
                texts.setdefault(int(note), set()).update(hashes)
        late_ok = True
        for n, (_key, url, _origin) in enumerate(notes):
            late_hash, late_tokens = late_join(url, origin)
            if texts.get(n) != {late_hash} or late_tokens != load["editors"] * edits:
                late_ok = False
        for pipe in pipes:
            pipe.send("close")
        for worker in workers:
            worker.join(30)
        stored_ok = None
        if server.stores:
            time.sleep(1.0)  # a room stores its last micro-batch within 0.1 s
            stored = server.stored_hashes([key for key, _, _ in notes])
            stored_ok = all(
                texts.get(n) == {stored.get(key)} for n, (key, _, _) in enumerate(notes)
            )
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()

    hist = [0] * (FINE_BUCKETS + COARSE_BUCKETS)
    for report in reports:
        for index, count in report["hist"].items():
            hist[int(index)] += count
    receipts = sum(r["receipts"] for r in reports)
    timed = sum(hist)  # the timed clients' receipts
    sent = sum(r["sent"] for r in reports)
    connections = len(clients)
    drain_s = max(r["drain_s"] for r in reports)
    window = args.duration + drain_s
    gen_cpu = [r["cpu_all_s"] / window for r in reports]
    lag_ms = max(r["lag_us"] for r in reports) / 1000
    # The generator kept up unless: a send was late; one of its processes used most of a
    # core; or the machine was full (all cores above 90 % busy, whoever used them: this
    # box is shared), when nobody can tell a slow server from a starved generator.
    cores = os.cpu_count() or 1
    machine_full = sum(gen_cpu) + server_cpu / wall > 0.9 * cores or machine_busy > 0.9
    lagged = lag_ms > args.max_lag or max(gen_cpu) > 0.9 or machine_full
    return {
        "server": server.name,
        "load": load["name"],
        "notes": load["notes"],
        "editors": load["editors"],
        "readers": load["readers"],
        "connections": connections,
        "duration_s": args.duration,
        "rate": args.rate,
        "edits_sent": sent,
        "receipts": receipts,
        "lost": sum(r["missing"] for r in reports),
        # Clients the server closed before the end (too slow to read: 1013).
        "closed_by_server": sum(r.get("closed", 0) for r in reports),
        "timed_receipts": timed,
        "timed_clients": sum(r["timed_clients"] for r in reports),
        "p50_ms": round(percentile(hist, timed, 0.50), 2),
        "p95_ms": round(percentile(hist, timed, 0.95), 2),
        "p99_ms": round(percentile(hist, timed, 0.99), 2),
        "clients_converged": all(len(h) == 1 for h in texts.values()),
        "witnesses": witnesses,
        "generator_nice": args.generator_nice,
        "late_joiner_converged": late_ok,
        "stored_converged": stored_ok,
        "server_cpu_s": round(server_cpu, 3),
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        "cpu_s_per_1000_edits": round(1000 * server_cpu / max(1, sent), 3),
        # PostgreSQL's own CPU for this server's database, apart (None: no PostgreSQL).
        "database_cpu_s_per_1000_edits": (
            round(1000 * db_cpu / max(1, sent), 3) if server.database else None
        ),
        "server_rss_before_mib": round(rss_before, 1),
        "server_rss_end_mib": round(rss_end, 1),
        "mib_per_connection": round((rss_end - rss_before) / connections, 3),
        "frames_per_client_per_s": round(
            sum(r["frames"] for r in reports) / connections / args.duration, 1
        ),
        "connect_s": round(connect_s, 1),
        "generator_procs": procs,
        "generator_cpu_pct_max": round(100 * max(gen_cpu), 1),
        "generator_max_lag_ms": round(lag_ms, 1),
        "generator_cpu_pct_total": round(100 * sum(gen_cpu), 1),
        "drain_s": round(drain_s, 2),
        "machine_busy_pct": round(100 * machine_busy, 1),
        "machine_full": machine_full,
        "generator_lagged": lagged,
    }


def run_load(server, load, args, run) -> dict:
    procs = args.procs or choose_procs(load)
    result = run_once(server, load, args, procs, run)
    if result["generator_lagged"] and not args.procs and procs < 8:
        print(
            f"  [{server.name}] generator saturated (busiest process {result['generator_cpu_pct_max']}"
            f" % of a core, all {result['generator_cpu_pct_total']} %, send lag "
            f"{result['generator_max_lag_ms']} ms, machine full: {result['machine_full']}) over "
            f"{procs} processes: "
            f"again over {min(8, procs * 2)}",
            flush=True,
        )
        first = result
        result = run_once(server, load, args, min(8, procs * 2), run + "b")
        # The raw line keeps what the saturated attempt measured, for the record.
        result["first_attempt"] = {
            key: first[key]
            for key in (
                "generator_procs",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "lost",
                "cpu_s_per_1000_edits",
                "generator_cpu_pct_max",
                "generator_max_lag_ms",
                "machine_busy_pct",
            )
        }
    return result


# --- report -------------------------------------------------------------------------------


def median(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(values) if values else None


def summarize(results) -> list[dict]:
    rows = []
    for load in dict.fromkeys(r["load"] for r in results):
        for server in SERVER_LABELS:
            runs = [r for r in results if r["load"] == load and r["server"] == server]
            if not runs:
                continue
            counting = [r for r in runs if not r["generator_lagged"]]
            row = {
                "load": load,
                "server": server,
                "runs": len(runs),
                "counts": bool(counting),
                "lost": sum(r["lost"] for r in runs),
                "closed": sum(r.get("closed_by_server", 0) for r in runs),
                "converged": all(
                    r["clients_converged"]
                    and r["late_joiner_converged"]
                    and r["stored_converged"] is not False
                    for r in runs
                ),
            }
            for key in (
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "cpu_s_per_1000_edits",
                "database_cpu_s_per_1000_edits",
                "mib_per_connection",
                "frames_per_client_per_s",
                "generator_cpu_pct_max",
                "generator_cpu_pct_total",
                "generator_max_lag_ms",
                "generator_procs",
                "machine_busy_pct",
            ):
                row[key] = median([r.get(key) for r in (counting or runs)])
            rows.append(row)
    by = {(r["load"], r["server"]): r for r in rows}
    for row in rows:
        ref = by.get((row["load"], "ref"))
        for key, name in (("p95_ms", "p95_ratio"), ("cpu_s_per_1000_edits", "cpu_ratio")):
            row[name] = (
                round(row[key] / ref[key], 4)
                if ref is not None and row["server"] != "ref" and ref[key]
                else None
            )
        # A latency ratio counts only where the generator kept up on both sides.
        row["ratio_counts"] = row["counts"] and (ref is None or ref["counts"])
    return rows


def markdown(rows, command: str) -> str:
    def fmt(value, digits=1):
        if value is None:
            return "–"
        return f"{value:.{digits}f}"

    def ratio(value):
        # two decimals, or two significant digits below 0.1 (×0.0035 is not ×0.00)
        if value is None:
            return "–"
        return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"

    lines = [
        f"`{command}`",
        "",
        "| load | server | p50 / p95 / p99 ms | lost | converged | CPU s / 1,000 edits "
        "| MiB / connection | frames / client / s | p95 ×ref | CPU ×ref "
        "| generator: procs, CPU % busiest / all, send lag ms; machine busy % |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = "" if r["counts"] else " *"
        db = r.get("database_cpu_s_per_1000_edits")
        database = "" if db is None else f" (+ {fmt(db, 2)} PostgreSQL)"
        lines.append(
            f"| {r['load']} | {SERVER_LABELS[r['server']]} "
            f"| {fmt(r['p50_ms'])} / {fmt(r['p95_ms'])} / {fmt(r['p99_ms'])}{mark} "
            f"| {r['lost']}{f' ({closed} clients closed)' if (closed := r.get('closed')) else ''} "
            f"| {'yes' if r['converged'] else '**no**'} "
            f"| {fmt(r['cpu_s_per_1000_edits'], 2)}{database} "
            f"| {fmt(r['mib_per_connection'], 3)} "
            f"| {fmt(r['frames_per_client_per_s'])} "
            f"| {ratio(r['p95_ratio'])}{'' if r['ratio_counts'] else ' *'} | {ratio(r['cpu_ratio'])} "
            f"| {fmt(r['generator_procs'], 0)}, {fmt(r['generator_cpu_pct_max'], 0)} / "
            f"{fmt(r['generator_cpu_pct_total'], 0)}, "
            f"{fmt(r['generator_max_lag_ms'], 0)}; {fmt(r['machine_busy_pct'], 0)} |"
        )
    if not all(r["counts"] for r in rows):
        lines += [
            "",
            "\\* the load generator did not keep up in any run of this row (a send more "
            "than --max-lag late, a generator process above 90 % of a core over typing and "
            "catching up, or all the machine's cores above 90 % busy, whoever used them): "
            "its latency does not count.",
        ]
    lines += [
        "",
        "Medians over the rounds (of the runs where the generator kept up, when any did). "
        "Server CPU: node; the uvicorn worker; the two workers and nginx. PostgreSQL's "
        "backends for the server's database are shown apart, in brackets (Redis is not "
        "counted). Ratios are Confnotes / reference, measured in the same run, without "
        "PostgreSQL's share.",
    ]
    return "\n".join(lines) + "\n"


def nan(value):
    return float("nan") if value is None else value


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loads = list(dict.fromkeys(r["load"] for r in rows))
    x = {load: i for i, load in enumerate(loads)}
    fig, (lat, cpu) = plt.subplots(1, 2, figsize=(12, 4.5))
    any_lagged = False
    colours = ("tab:gray", "tab:blue", "tab:green", "tab:orange", "tab:purple")
    for colour, server in zip(colours, SERVER_LABELS, strict=True):
        mine = [r for r in rows if r["server"] == server]
        if not mine:
            continue
        xs = [x[r["load"]] for r in mine]
        for key, style in (("p50_ms", ":"), ("p95_ms", "-"), ("p99_ms", "--")):
            lat.plot(
                xs,
                [nan(r[key]) for r in mine],
                style,
                color=colour,
                marker="o",
                markersize=4,
                label=SERVER_LABELS[server] if key == "p95_ms" else None,
            )
        lagged = [r for r in mine if not r["counts"]]
        if lagged:
            lat.plot(
                [x[r["load"]] for r in lagged],
                [nan(r["p95_ms"]) for r in lagged],
                "x",
                color="red",
                markersize=12,
                label=None if any_lagged else "generator lagged: does not count",
            )
            any_lagged = True
        cpu.plot(
            xs,
            [nan(r["cpu_s_per_1000_edits"]) for r in mine],
            "-",
            color=colour,
            marker="o",
            label=SERVER_LABELS[server],
        )
    for ax in (lat, cpu):
        ax.set_xticks(range(len(loads)), loads)
        ax.set_xlabel("load (editors in one note; keynote; tracks)")
        ax.grid(alpha=0.3)
    lat.set_yscale("log")
    lat.set_ylabel("latency to the other clients, ms")
    lat.set_title("p50 dotted, p95 solid, p99 dashed", fontsize=9)
    cpu.set_ylabel("server CPU, ms per edit (= s per 1,000 edits)")
    cpu.set_title("server processes' CPU (PostgreSQL, Redis not counted)", fontsize=9)
    cpu.set_ylim(bottom=0)
    lat.legend(fontsize=8)
    cpu.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- main -----------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--loads",
        default=os.environ.get("LOADS") or DEFAULT_LOADS,
        help=f"comma-separated: N editors, keynote, tracks (default {DEFAULT_LOADS}; env LOADS)",
    )
    parser.add_argument(
        "--servers",
        default=os.environ.get("SERVERS") or "ref,one,one-pg,cluster",
        help="which of ref,one,one-pg,cluster (env SERVERS)",
    )
    parser.add_argument(
        "-d",
        "--duration",
        type=float,
        default=float(os.environ.get("DURATION") or 15),
        help="seconds of typing per run (env DURATION)",
    )
    parser.add_argument(
        "--rounds", type=int, default=int(os.environ.get("ROUNDS") or 1), help="env ROUNDS"
    )
    parser.add_argument("-r", "--rate", type=float, default=5.0, help="edits per second each")
    parser.add_argument("--drain", type=float, default=20.0, help="max wait for stragglers")
    parser.add_argument("--procs", type=int, default=0, help="generator processes (0: auto)")
    parser.add_argument("--max-lag", type=float, default=100.0, help="ms a send may be late")
    parser.add_argument(
        "--witnesses",
        type=int,
        default=None,
        help="clients per note that apply what they receive and are checked for "
        "convergence (0: all; default 8, and 1 at tracks); every client counts every "
        "edit it receives",
    )
    parser.add_argument(
        "--generator-nice",
        type=int,
        default=0,
        metavar="N",
        help="run the generator processes at this nice level (10: the server under test "
        "gets the CPU first, as when the clients are other machines)",
    )
    parser.add_argument("--workers", type=int, default=2, help="cluster workers")
    parser.add_argument("--ref-package", default=REF_PACKAGE)
    parser.add_argument(
        "--profile", metavar="DIR", help="py-spy the Confnotes workers over each run, into DIR"
    )
    parser.add_argument(
        "--profile-blocking",
        action="store_true",
        help="py-spy pauses the worker at each sample: exact stacks (without it, stacks read "
        "while uvloop runs are often cut short), but the run's latency and CPU do not count",
    )
    parser.add_argument("--out", default=str(OUT_DIR))
    parser.add_argument(
        "--report", metavar="RAW.jsonl", help="only rebuild the table and plot from raw runs"
    )
    args = parser.parse_args(argv)
    if args.report:
        raw = Path(args.report)
        results = [json.loads(line) for line in raw.read_text().splitlines() if line.strip()]
        command = results[0].get("command") or f"python bench/peer.py --report {raw}"
        write_report(results, command, raw.parent, raw)
        return
    loads = [parse_load(name) for name in args.loads.split(",") if name.strip()]
    names = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(names) - set(SERVER_LABELS)
    if unknown:
        raise SystemExit(f"unknown servers {sorted(unknown)}: {', '.join(SERVER_LABELS)}")
    os.environ.setdefault("SECRET_KEY", uuid.uuid4().hex * 2)
    os.environ.setdefault("HTTPS", "false")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    raw = out / f"peer-{stamp}.jsonl"
    command = "python bench/peer.py " + " ".join(
        [
            f"--loads {','.join(load['name'] for load in loads)}",
            f"--servers {','.join(names)}",
            f"--duration {args.duration:g}",
            f"--rounds {args.rounds}",
            f"--rate {args.rate:g}",
            *([f"--witnesses {args.witnesses}"] if args.witnesses is not None else []),
            *([f"--generator-nice {args.generator_nice}"] if args.generator_nice else []),
        ]
    )

    servers = []
    for name in names:
        if name == "ref":
            servers.append(RefServer(args.ref_package))
        elif name == "one":
            servers.append(OneWorker())
        elif name == "one-pg":
            servers.append(OneWorkerPostgres())
        elif name == "one-queue":
            servers.append(OneWorkerQueue())
        else:
            servers.append(ClusterServer(args.workers))

    def stop_all(*_):
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    results, failed = [], []
    try:
        for server in servers:
            server.start()
        for load in loads:
            for round_ in range(args.rounds):
                for server in servers:  # alternating: ref, one, cluster, ref, …
                    run = f"{stamp}-{load['name']}-{round_}"
                    print(f"[{server.name}] load {load['name']} round {round_ + 1}", flush=True)
                    try:
                        result = run_load(server, load, args, run)
                    except Exception as exc:  # one failed run must not lose the others
                        print(f"  [{server.name}] run failed: {exc!r}", flush=True)
                        with raw.open("a") as f:
                            f.write(
                                json.dumps(
                                    {
                                        "server": server.name,
                                        "load": load["name"],
                                        "error": repr(exc),
                                    }
                                )
                                + "\n"
                            )
                        failed.append(f"{server.name} at {load['name']}: {exc!r}")
                        continue
                    result["round"] = round_ + 1
                    result["command"] = command
                    results.append(result)
                    with raw.open("a") as f:
                        f.write(json.dumps(result) + "\n")
                    print("  " + json.dumps(result), flush=True)
    finally:
        stop_all()
    write_report(results, command, out, raw)
    if failed:
        print("failed runs:\n  " + "\n  ".join(failed))
        sys.exit(1)


def write_report(results, command: str, out: Path, raw: Path) -> None:
    results = [r for r in results if "error" not in r]
    rows = summarize(results)
    table = markdown(rows, command)
    (out / "peer.md").write_text(
        f"# bench/peer.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
        f"{table}\nRaw runs: {raw.name}. Plot: peer.png.\n"
    )
    plot(rows, out / "peer.png")
    print()
    print(table)
    print(f"table: {out / 'peer.md'}  plot: {out / 'peer.png'}  raw: {raw}")


if __name__ == "__main__":
    main()
