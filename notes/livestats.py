"""What the live engine is doing: counts for Prometheus and for the organizers' dashboard.

The hot path only adds to plain integers (`TOTALS`, and `Room.edits`): no lock, no
call. Every `STATS_INTERVAL` seconds, one task per process (`StatsTicker`):

- hands the increments since its last turn to prometheus_client's metrics
  (`notes/metrics.py`; multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set) and
  sets the gauges (connections, open notes, storage lag and queue, bytes queued
  for slow clients);
- publishes each open note's numbers (people connected, edits per 10-second
  bucket over the last 10 minutes, storage lag) under this process's name, in
  Redis when the cache is Redis (every worker process, on every machine, writes
  its own field of one hash per note) or in this process's memory otherwise.

`note_stats(note_ids)` adds up what every live process published: that is what
the dashboard shows.
"""

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from django.conf import settings

from .conf import live_setting

log = logging.getLogger("notes.live")

BUCKET_SECONDS = 10
HISTORY_BUCKETS = 60  # 10 minutes
# A process's numbers older than this many intervals are ignored (it died).
STALE_INTERVALS = 3


class Totals:
    """Process-wide counters, only ever incremented (by the event loops of this process)."""

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "closes",
        "frames_in",
        "peer_heals",
        "peer_relinks",
        "updates_in",
        "updates_out",
    )

    def __init__(self):
        self.frames_in = 0  # frames received from clients
        self.bytes_in = 0
        self.updates_in = 0  # document updates from clients (edits)
        self.updates_out = 0  # update frames sent to clients (merged per flush)
        self.bytes_out = 0  # bytes of every frame fanned out
        self.peer_heals = 0  # diffs sent to a peer process that lacked them
        self.peer_relinks = 0  # rooms linked to their peers again after a failure
        self.closes: Counter[tuple[int, str]] = Counter()  # (code, "server"|"client")

    def snapshot(self) -> dict:
        values = {name: getattr(self, name) for name in self.__slots__ if name != "closes"}
        values["closes"] = dict(self.closes)
        return values


TOTALS = Totals()


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# --- Where processes publish their notes' numbers -----------------------------------------


def _namespace() -> str:
    # The cache's key prefix: one per deployment (REDIS_PREFIX), and one per test.
    return settings.CACHES["default"].get("KEY_PREFIX", "") or "confnotes"


class LocalStore:
    """This process's memory: enough when one process serves everything."""

    def __init__(self):
        self._data: dict[tuple[str, int], dict[str, str]] = {}
        self._lock = threading.Lock()

    def publish(self, proc: str, entries: dict[int, str], ttl: float) -> None:
        namespace = _namespace()
        with self._lock:
            for note_id, entry in entries.items():
                self._data.setdefault((namespace, note_id), {})[proc] = entry

    def read(self, note_ids) -> dict[int, list[str]]:
        namespace = _namespace()
        with self._lock:
            return {
                note_id: list(self._data.get((namespace, note_id), {}).values())
                for note_id in note_ids
            }


class RedisStore:
    """One hash per note, one field per process; the hash expires unless refreshed."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    @staticmethod
    def key(note_id: int) -> str:
        return f"{_namespace()}:live-note:{note_id}"

    def publish(self, proc: str, entries: dict[int, str], ttl: float) -> None:
        pipe = self.client.pipeline(transaction=False)
        for note_id, entry in entries.items():
            key = self.key(note_id)
            pipe.hset(key, proc, entry)
            pipe.expire(key, max(1, int(ttl)))
        pipe.execute()

    def read(self, note_ids) -> dict[int, list[str]]:
        note_ids = list(note_ids)
        pipe = self.client.pipeline(transaction=False)
        for note_id in note_ids:
            pipe.hvals(self.key(note_id))
        return {
            note_id: [value.decode() for value in values]
            for note_id, values in zip(note_ids, pipe.execute(), strict=True)
        }


_stores: dict[str, object] = {}
_local = LocalStore()


def store():
    cache = settings.CACHES["default"]
    if cache["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return _local
    location = cache["LOCATION"]
    location = location[0] if isinstance(location, list | tuple) else location
    if location not in _stores:
        _stores[location] = RedisStore(location)
    return _stores[location]


# --- The ticker of one process --------------------------------------------------------------


class _History:
    __slots__ = ("edits", "edits_seen", "people")

    def __init__(self, edits_seen: int):
        self.edits_seen = edits_seen
        self.edits: deque[list[int]] = deque(maxlen=HISTORY_BUCKETS)  # [bucket, count]
        self.people: deque[list[int]] = deque(maxlen=HISTORY_BUCKETS)  # [bucket, max]

    def add(self, bucket: int, edits: int, people: int) -> None:
        if self.edits and self.edits[-1][0] == bucket:
            self.edits[-1][1] += edits
            self.people[-1][1] = max(self.people[-1][1], people)
        else:
            self.edits.append([bucket, edits])
            self.people.append([bucket, people])


class StatsTicker:
    """Runs on one registry's event loop for as long as the registry lives."""

    def __init__(self, registry):
        self.registry = registry
        self.proc = f"{process_name()}:{id(registry):x}"
        self._history: dict[int, _History] = {}
        self._task: asyncio.Task | None = None
        self.last_published: dict[int, dict] = {}

    def start(self) -> None:
        if self._task is None:
            self._task = self.registry.loop.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        from . import metrics

        while True:
            interval = live_setting("STATS_INTERVAL")
            await asyncio.sleep(interval)
            try:
                metrics.push(self.registry)
                entries = self.collect(time.time())
                if entries:
                    payload = {note_id: json.dumps(entry) for note_id, entry in entries.items()}
                    ttl = interval * STALE_INTERVALS + 1
                    await asyncio.to_thread(store().publish, self.proc, payload, ttl)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("publishing live statistics failed: %r", exc)

    def collect(self, now: float) -> dict[int, dict]:
        """This process's numbers per open note (and the history it keeps for them)."""
        bucket = int(now // BUCKET_SECONDS) * BUCKET_SECONDS
        loop_now = self.registry.loop.time()
        entries = {}
        rooms = dict(self.registry.rooms)
        for note_id in [n for n in self._history if n not in rooms]:
            del self._history[note_id]
        for note_id, room in rooms.items():
            if not room.loaded:
                continue
            history = self._history.get(note_id)
            if history is None:
                # Everything since the room was loaded counts (its edits start at 0).
                history = self._history[note_id] = _History(0)
            clients = len(room.clients)
            history.add(bucket, room.edits - history.edits_seen, clients)
            history.edits_seen = room.edits
            entries[note_id] = {
                "at": now,
                "clients": clients,
                "writers": sum(1 for conn in room.clients if conn.can_write),
                "lag": round(room.writer.lag(loop_now), 3),
                "queued": room.writer.queued,
                "edits": list(history.edits),
                "people": list(history.people),
            }
        self.last_published = entries
        return entries


# --- Reading: every process's numbers, added up ---------------------------------------------


@dataclass
class NoteStats:
    clients: int = 0
    writers: int = 0
    lag: float = 0.0  # the worst process's storage lag, seconds
    queued: int = 0
    processes: int = 0
    edits: dict[int, int] = field(default_factory=dict)  # bucket start -> edits
    people: dict[int, int] = field(default_factory=dict)  # bucket start -> people

    def edits_per_minute(self, now: float) -> int:
        since = now - 60
        return sum(count for bucket, count in self.edits.items() if bucket + BUCKET_SECONDS > since)


def note_stats(note_ids, *, now: float | None = None) -> dict[int, NoteStats]:
    """The live numbers of these notes, across every process; only notes open somewhere."""
    now = time.time() if now is None else now
    oldest = now - live_setting("STATS_INTERVAL") * STALE_INTERVALS
    out: dict[int, NoteStats] = {}
    try:
        published = store().read(note_ids)
    except Exception as exc:
        log.warning("reading live statistics failed: %r", exc)
        return out
    for note_id, values in published.items():
        stats = NoteStats()
        for raw in values:
            with contextlib.suppress(ValueError, TypeError):
                entry = json.loads(raw)
                if entry["at"] < oldest:
                    continue
                stats.processes += 1
                stats.clients += entry["clients"]
                stats.writers += entry["writers"]
                stats.lag = max(stats.lag, entry["lag"])
                stats.queued += entry["queued"]
                for bucket, count in entry["edits"]:
                    stats.edits[bucket] = stats.edits.get(bucket, 0) + count
                for bucket, count in entry["people"]:
                    stats.people[bucket] = stats.people.get(bucket, 0) + count
        if stats.processes:
            out[note_id] = stats
    return out
