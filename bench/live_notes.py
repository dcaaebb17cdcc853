"""Live notes load test: N simulated editors type into one note at R edits/s for D seconds.

Each editor is a pycrdt client speaking the y-websocket protocol over the
`websockets` library. Editors are spread over several generator processes so the
generator is not the bottleneck (its own CPU is reported). Every edit inserts a
token "[editor.seq.sent_us]" at the start of the text; a receiver finds the tokens
in the update frames it gets and computes each edit's propagation latency from
the send time inside the token (CLOCK_MONOTONIC is shared by all processes).
Inserting at the start means no later edit ever splits a token (and all
editors contend for one spot: the CRDT's worst case).

Reported: latency to every other client (p50, p95, p99, max), lost edits (an
edit some client never received), whether all clients, a fresh late-joining
client and the server's stored document converge on the same text, and the
server's RSS per connected client.

    python bench/live_notes.py --start-server -n 100 -r 5 -d 60       # needs DATABASE_URL
    python bench/live_notes.py --url ws://127.0.0.1:8000 --note 3 --server-pid 1234 -n 20
"""

import argparse
import asyncio
import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from deploy.cluster import free_port  # noqa: E402 - after the path is set
from notes.protocol import (  # noqa: E402 - after the path is set
    Reader,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)

TOKEN = re.compile(rb"\[(\d+)\.(\d+)\.(\d+)\]")
TOKEN_TEXT = re.compile(r"\[(\d+)\.(\d+)\.(\d+)\]")

# Latency histogram: 10 µs buckets up to 1 s, then 1 ms buckets up to 120 s.
FINE_US, FINE_BUCKETS = 10, 100_000
COARSE_US, COARSE_BUCKETS = 1000, 120_000


def now_us() -> int:
    return time.monotonic_ns() // 1000


def bucket(latency_us: int) -> int:
    if latency_us < FINE_US * FINE_BUCKETS:
        return latency_us // FINE_US
    return FINE_BUCKETS + min(COARSE_BUCKETS - 1, latency_us // COARSE_US)


def bucket_ms(index: int) -> float:
    if index < FINE_BUCKETS:
        return (index + 0.5) * FINE_US / 1000
    return (index - FINE_BUCKETS + 0.5) * COARSE_US / 1000


def percentile(hist: list[int], total: int, fraction: float) -> float:
    rank = max(1, int(total * fraction + 0.999999))
    seen = 0
    for index, count in enumerate(hist):
        seen += count
        if seen >= rank:
            return bucket_ms(index)
    return float("nan")


# --- generator process ---------------------------------------------------------------


class Editor:
    def __init__(self, index: int, args, hist: list[int], url: str):
        from pycrdt import Doc, Text

        self.index = index
        self.args = args
        self.hist = hist
        self.url = url
        # A bare pycrdt document rather than notes.client.DocClient: the generator
        # must stay cheap per frame (no observer, no general decoding).
        # Explicit random client ids: Yrs seeds its generator once per process, and
        # forked generator processes would otherwise share it (duplicate client ids
        # make different editors' edits look like one editor's, and get lost).
        self.doc = Doc(client_id=secrets.randbits(32))
        self.text = self.doc.get("content", type=Text)
        self.synced = False
        self.ws = None
        self.sent = 0
        self.max_latency_us = 0
        self.receipts = 0  # others' edits received, timed ones (see `timed`)
        self.frames = 0
        self.lag_us = 0  # how late sends were against the schedule, at most
        self.closed_code = None  # the close code, when the server closed it mid-run
        # Whether it applies what it receives to its document (bench/peer.py lets only
        # a few witnesses per note do that work: the server's is the same either way).
        self.applies = True
        # Whether it times every edit it receives (for the latency histogram). An
        # untimed client (bench/peer.py: most of hundreds in a note) only collects the
        # tokens of others' edits in a set, in C: still counted, lost or not, exactly.
        self.timed = True
        self.seen: set[bytes] = set()
        self.others = re.compile(rb"\[(?!%d\.)\d+\.\d+\.\d+\]" % index)
        # received[editor] marks the sequence numbers seen from that editor
        self.received = [bytearray(args.edits) for _ in range(args.editors)]
        self.expected = (args.editors - 1) * args.edits  # others' edits it must get

    @property
    def got(self) -> int:
        """How many distinct edits of others it received."""
        return self.receipts if self.timed else len(self.seen)

    @property
    def missing(self) -> int:
        return self.expected - self.got

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(
            self.url,
            origin=self.args.origin,
            compression=None,
            max_size=None,
            open_timeout=60,
            ping_interval=None,  # a busy generator must not time itself out
        )
        await self.ws.send(encode_sync_step1(self.doc.get_state()))

    async def read(self) -> None:
        import websockets

        ws, doc, index, received, hist = self.ws, self.doc, self.index, self.received, self.hist
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in ws:
                self.frames += 1
                if frame[0] != 0:
                    continue  # awareness: not measured
                kind = frame[1]
                if kind == 0:  # the server's sync step 1: answer with what it lacks
                    state = Reader(frame[2:]).var_bytes()
                    await ws.send(encode_sync_step2(doc.get_update(state)))
                    continue
                if kind in (1, 2):
                    if self.timed:
                        arrived = now_us()
                        for editor, seq, sent in TOKEN.findall(frame):
                            editor, seq = int(editor), int(seq)
                            if editor == index or received[editor][seq]:
                                continue
                            received[editor][seq] = 1
                            latency = arrived - int(sent)
                            hist[bucket(latency)] += 1
                            self.receipts += 1
                            if latency > self.max_latency_us:
                                self.max_latency_us = latency
                    else:
                        self.seen.update(self.others.findall(frame))
                    if self.applies:
                        doc.apply_update(Reader(frame[2:]).var_bytes())
                    if kind == 1:
                        self.synced = True

    async def type(self, start_us: int) -> None:
        import websockets

        period_us = 1_000_000 / self.args.rate
        offset = random.uniform(0, period_us)
        for seq in range(self.args.edits):
            due = start_us + offset + seq * period_us
            wait = (due - now_us()) / 1e6
            if wait > 0:
                await asyncio.sleep(wait)
            sent = now_us()
            self.lag_us = max(self.lag_us, sent - due)
            state = self.doc.get_state()
            # At the end of the text as this client has it, as a note-taker appends
            # to what they wrote: the insert's left neighbour is a recent item, so
            # every document integrates it at once. (At index 0, a client that does
            # not apply others' edits sends inserts whose right neighbour is its own
            # previous one, deep in everyone else's text: each integration then walks
            # the text from its start, quadratic over a run.) No edit lands inside
            # a token either way.
            self.text.insert(len(self.text), f"[{self.index}.{seq}.{sent}]")
            try:
                await self.ws.send(encode_update(self.doc.get_update(state)))
            except websockets.ConnectionClosed as exc:
                # Closed by the server (a client too slow to read its fan-out gets
                # 1013): its remaining edits are never sent, and the run says so.
                self.closed_code = exc.rcvd.code if exc.rcvd else 1006
                return
            self.sent += 1


async def run_generator(indices, args, url, pipe) -> None:
    hist = [0] * (FINE_BUCKETS + COARSE_BUCKETS)
    editors = [Editor(i, args, hist, url(i)) for i in indices]
    for editor in editors:
        await editor.connect()
    readers = [asyncio.create_task(editor.read()) for editor in editors]
    while not all(editor.synced for editor in editors):  # noqa: ASYNC110 - a cheap poll
        await asyncio.sleep(0.01)
    pipe.send(("connected", len(editors)))
    start_us = pipe.recv()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.gather(*(editor.type(start_us) for editor in editors))
    typed_at = time.monotonic()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    # Drain: wait until every editor has every other editor's edits (or give up).
    while any(e.missing for e in editors) and time.monotonic() - typed_at < args.drain:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    texts = {hashlib.sha1(str(e.text).encode()).hexdigest() for e in editors}
    report = {
        "sent": sum(e.sent for e in editors),
        "receipts": sum(e.got for e in editors),
        "frames": sum(e.frames for e in editors),
        "missing": sum(e.missing for e in editors),
        "max_latency_us": max(e.max_latency_us for e in editors),
        "lag_us": max(e.lag_us for e in editors),
        "texts": sorted(texts),
        "cpu_s": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "hist": {i: c for i, c in enumerate(hist) if c},
    }
    pipe.send(("done", report))
    pipe.recv()  # keep connections open until the late joiner has synced
    for editor in editors:
        await editor.ws.close()
    for reader in readers:
        reader.cancel()


def generator_main(indices, args, base_url, pipe) -> None:
    def url(i: int) -> str:
        return f"{base_url}?name={quote(f'Editor {i}')}"

    if os.environ.get("BENCH_PROFILE") and indices[0] == 0:
        import cProfile

        cProfile.runctx(
            "asyncio.run(run_generator(indices, args, url, pipe))",
            globals(),
            {"indices": indices, "args": args, "url": url, "pipe": pipe},
            os.environ["BENCH_PROFILE"],
        )
        return
    asyncio.run(run_generator(indices, args, url, pipe))


# --- server ---------------------------------------------------------------------------


def manage(*argv: str, env=None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=REPO_ROOT,
        env=env or os.environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def create_note() -> int:
    slug = f"bench-{int(time.time() * 1000)}"
    code = (
        "from sessions.models import Event, Talk; import datetime; "
        f"e = Event.objects.create(name='Bench', slug='{slug}', start_date=datetime.date(2026, 6, 10), "
        "end_date=datetime.date(2026, 6, 10), notes_access='guests'); "
        "print(Talk.objects.create(event=e, title='Bench talk').note_id)"
    )
    return int(manage("shell", "-c", code).strip().splitlines()[-1])


def stored_text_hash(note_id: int) -> str:
    code = (
        "import hashlib; from notes.models import Note; from notes.services import note_text; "
        f"print(hashlib.sha1(note_text(note=Note.objects.get(pk={note_id})).encode()).hexdigest())"
    )
    return manage("shell", "-c", code).strip().splitlines()[-1]


def start_server(args) -> tuple[subprocess.Popen, str]:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("--start-server runs on PostgreSQL: set DATABASE_URL=postgres://…")
    manage("migrate", "--noinput", "-v", "0")
    port = free_port()
    env = {"NOTES_LOG_LEVEL": "WARNING", **os.environ}
    env.pop("REDIS_URL", None)  # one process: the in-memory channel layer
    command = [
        sys.executable,
        "-m",
        "uvicorn",
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
    ]
    if not args.deflate:
        command += ["--ws-per-message-deflate", "false"]
    # The keepalive would disconnect an editor whose generator process fell more than
    # 20 s behind (it happens at 200 editors on 2 cores): measure instead.
    command += ["--ws-ping-timeout", "300"]
    server = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
            break
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        time.sleep(0.05)
    return server, f"ws://127.0.0.1:{port}"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def late_joiner(base_url: str, origin: str, expected_tokens: int) -> tuple[str, int]:
    import websockets

    from notes.client import DocClient

    y = DocClient()
    async with websockets.connect(
        f"{base_url}?name=Late", origin=origin, compression=None, max_size=None
    ) as ws:
        await ws.send(y.sync_step1())
        while not y.synced:
            for reply in y.receive(await asyncio.wait_for(ws.recv(), 30)):
                await ws.send(reply)
    text = str(y)
    return hashlib.sha1(text.encode()).hexdigest(), len(TOKEN_TEXT.findall(text))


# --- main ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--editors", type=int, default=20)
    parser.add_argument("-r", "--rate", type=float, default=5.0, help="edits per second each")
    parser.add_argument("-d", "--duration", type=float, default=60.0, help="seconds of typing")
    parser.add_argument("--url", help="server base URL, e.g. ws://127.0.0.1:8000")
    parser.add_argument("--note", type=int, help="note id (created when starting the server)")
    parser.add_argument("--server-pid", type=int, help="for RSS and CPU (known when started)")
    parser.add_argument("--start-server", action="store_true", help="one uvicorn on PostgreSQL")
    parser.add_argument("--deflate", action="store_true", help="server offers permessage-deflate")
    parser.add_argument("--procs", type=int, default=0, help="generator processes")
    parser.add_argument("--drain", type=float, default=30.0, help="max wait for stragglers")
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    args = parser.parse_args()
    args.edits = max(1, int(args.duration * args.rate))

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Loopback only: plain HTTP, and a secret key of this run (servers it starts inherit it).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("HTTPS", "false")
    server = None
    if args.start_server:
        server, args.url = start_server(args)
        args.server_pid = server.pid
        args.note = create_note()
    if not args.url or not args.note:
        sys.exit("give --url and --note, or --start-server")
    host = args.url.split("://", 1)[1].split("/", 1)[0]
    args.origin = f"http://{host}"
    base_url = f"{args.url.rstrip('/')}/ws/notes/{args.note}/"

    # About 33 editors a process: more processes only add context switches on 2 cores.
    procs = args.procs or max(1, min(8, round(args.editors / 33)))
    shares = [list(range(args.editors))[i::procs] for i in range(procs)]
    # Warm up (code paths, the room itself) so that the baseline is per-client memory.
    asyncio.run(late_joiner(base_url, args.origin, 0))
    rss_before = rss_mib(args.server_pid) if args.server_pid else float("nan")
    pipes, workers = [], []
    ctx = mp.get_context("fork")
    for share in shares:
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=generator_main, args=(share, args, base_url, child))
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    try:
        for pipe in pipes:
            assert pipe.recv()[0] == "connected"
        rss_connected = rss_mib(args.server_pid) if args.server_pid else float("nan")
        server_cpu0 = cpu_seconds(args.server_pid) if args.server_pid else float("nan")
        start_us = now_us() + 500_000
        started = time.monotonic() + 0.5
        for pipe in pipes:
            pipe.send(start_us)
        reports = []
        for pipe in pipes:
            _, report = pipe.recv()
            reports.append(report)
        wall = time.monotonic() - started
        server_cpu = cpu_seconds(args.server_pid) - server_cpu0 if args.server_pid else float("nan")
        rss_end = rss_mib(args.server_pid) if args.server_pid else float("nan")
        late_hash, late_tokens = asyncio.run(
            late_joiner(base_url, args.origin, args.editors * args.edits)
        )
        for pipe in pipes:
            pipe.send("close")
        for worker in workers:
            worker.join(30)
        time.sleep(1.0)  # the room stores its last micro-batch within 0.1 s
        stored_hash = stored_text_hash(args.note) if args.start_server else None
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(10)

    hist = [0] * (FINE_BUCKETS + COARSE_BUCKETS)
    for report in reports:
        for index, count in report["hist"].items():
            hist[int(index)] += count
    receipts = sum(r["receipts"] for r in reports)
    sent = sum(r["sent"] for r in reports)
    texts = set().union(*(r["texts"] for r in reports))
    result = {
        "editors": args.editors,
        "rate": args.rate,
        "duration_s": args.duration,
        "edits_sent": sent,
        "receipts": receipts,
        "frames_per_client_per_s": round(
            sum(r["frames"] for r in reports) / args.editors / args.duration, 1
        ),
        "lost": sum(r["missing"] for r in reports),
        "p50_ms": round(percentile(hist, receipts, 0.50), 2),
        "p95_ms": round(percentile(hist, receipts, 0.95), 2),
        "p99_ms": round(percentile(hist, receipts, 0.99), 2),
        "max_ms": round(max(r["max_latency_us"] for r in reports) / 1000, 2),
        "clients_converged": len(texts) == 1,
        "late_joiner_converged": texts == {late_hash} and late_tokens == sent,
        "stored_converged": None if stored_hash is None else texts == {stored_hash},
        "server_rss_before_mib": round(rss_before, 1),
        "server_rss_connected_mib": round(rss_connected, 1),
        "server_rss_end_mib": round(rss_end, 1),
        "server_mib_per_client": round((rss_end - rss_before) / args.editors, 3),
        "server_cpu_pct": round(100 * server_cpu / wall, 1),
        # What one edit costs the server, everything included (receive, apply, fan-out
        # to every other editor, storage): the unit of "authorship adds ≤ 10 %".
        "server_cpu_us_per_edit": round(1e6 * server_cpu / max(1, sent), 1),
        "notes_live": os.environ.get("NOTES_LIVE", ""),
        "generator_cpu_pct": round(100 * sum(r["cpu_s"] for r in reports) / args.duration, 1),
        "generator_procs": procs,
        "generator_max_lag_ms": round(max(r["lag_us"] for r in reports) / 1000, 1),
    }
    print(json.dumps(result))
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
