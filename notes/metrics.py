"""Prometheus metrics of the live engine (prometheus_client).

With PROMETHEUS_MULTIPROC_DIR set (as `make serve-cluster` does), every worker
process writes its values to files in that directory and `/metrics`, asked of
any worker, reports them all (counters summed; gauges summed, or the maximum,
over the live processes). Without it, `/metrics` reports this process.

The counters are fed from `livestats.TOTALS` by each process's ticker, not from
the hot path: a keystroke costs an integer increment, not a locked file write.
"""

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess

from .health import database_health
from .livestats import TOTALS

PREFIX = "confnotes_live_"
# The classic text format, which every Prometheus reads (our names need no escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

CONNECTIONS = Gauge(
    PREFIX + "connections", "Open WebSocket connections to notes.", multiprocess_mode="livesum"
)
NOTES_OPEN = Gauge(PREFIX + "notes_open", "Notes loaded in memory.", multiprocess_mode="livesum")
PERSIST_LAG = Gauge(
    PREFIX + "persist_lag_seconds",
    "How long the oldest update not yet stored has waited (the worst process).",
    multiprocess_mode="livemax",
)
PERSIST_QUEUE = Gauge(
    PREFIX + "persist_queue_updates",
    "Updates received and not yet stored.",
    multiprocess_mode="livesum",
)
OUTBOUND_QUEUED = Gauge(
    PREFIX + "outbound_queued_bytes",
    "Bytes queued for clients whose sockets are not keeping up.",
    multiprocess_mode="livesum",
)
DATABASE_UP = Gauge(
    PREFIX + "database_up",
    "1 while the database answers (0 when any process sees it down).",
    multiprocess_mode="livemin",
)
FRAMES_IN = Counter(PREFIX + "frames_received", "WebSocket frames received from clients.")
BYTES_IN = Counter(PREFIX + "received_bytes", "Bytes received from clients.")
UPDATES_IN = Counter(PREFIX + "updates_received", "Document updates (edits) from clients.")
UPDATES_OUT = Counter(
    PREFIX + "updates_fanned_out", "Update frames sent to clients (one per client per flush)."
)
BYTES_OUT = Counter(PREFIX + "sent_bytes", "Bytes of the frames fanned out to clients.")
PEER_HEALS = Counter(
    PREFIX + "peer_heals", "Missing changes sent to a peer process after a state exchange."
)
PEER_RELINKS = Counter(
    PREFIX + "peer_relinks", "Notes linked to their peer processes again after a failure."
)
CLOSES = Counter(
    PREFIX + "closes", "WebSocket closes by code and by side.", labelnames=("code", "by")
)
FANOUT_LATENCY = Histogram(
    PREFIX + "fanout_latency_seconds",
    "From a change's arrival to its fan-out to the room's clients.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

_COUNTERS = {
    "frames_in": FRAMES_IN,
    "bytes_in": BYTES_IN,
    "updates_in": UPDATES_IN,
    "updates_out": UPDATES_OUT,
    "bytes_out": BYTES_OUT,
    "peer_heals": PEER_HEALS,
    "peer_relinks": PEER_RELINKS,
}
_pushed: dict = dict.fromkeys(_COUNTERS, 0)
_pushed_closes: dict = {}

# Called once per flush of a room (not per edit or per client).
observe_fanout = FANOUT_LATENCY.observe


def push(registry) -> None:
    """Hand the counts since the last push to prometheus_client and set the gauges.

    Counters are process-wide (`TOTALS`): whichever registry pushes adds the increments
    once. Gauges describe `registry` (one per process under uvicorn).
    """
    for name, counter in _COUNTERS.items():
        value = getattr(TOTALS, name)
        delta = value - _pushed[name]
        if delta:
            counter.inc(delta)
            _pushed[name] = value
    for (code, by), value in list(TOTALS.closes.items()):
        delta = value - _pushed_closes.get((code, by), 0)
        if delta:
            CLOSES.labels(code=str(code), by=by).inc(delta)
            _pushed_closes[(code, by)] = value
    now = registry.loop.time()
    rooms = list(registry.rooms.values())
    CONNECTIONS.set(sum(len(room.clients) for room in rooms))
    NOTES_OPEN.set(sum(1 for room in rooms if room.loaded))
    PERSIST_LAG.set(max((room.writer.lag(now) for room in rooms), default=0.0))
    PERSIST_QUEUE.set(sum(room.writer.queued for room in rooms))
    OUTBOUND_QUEUED.set(sum(conn.queued_bytes for room in rooms for conn in room.clients))
    DATABASE_UP.set(0 if database_health.down else 1)


def exposition() -> tuple[bytes, str]:
    """The text format of every metric (of every process in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE
