"""Who is in a note right now, for pages that are not connected to it (the live strip of
a running session's page, the board's display).

Each process's room publishes a summary of its own connections into Django's cache
(Redis when REDIS_URL is set, so every worker process reads every other's): the names
they go by (their awareness `user.name`), how many connections there are, and how many
of them edited within the last `WRITING_SECONDS`. A room publishes when its presence
changes, at most once per `PUBLISH_SECONDS`, from a thread of its own (the cache may be
a network round trip, never taken on the event loop; and a cache that is down must not
hold up the threads that store notes). Browsers renew their awareness every
15 s, so a room with anyone in it republishes at least that often; a summary older than
`TTL_SECONDS` is ignored (its process died, or lost the race below).

The summaries of one note share one cache entry, {process: summary}, updated by
read-modify-write: two processes may race, and the loser's summary is back at its next
publish, within 15 s. That is the price of one cache read per note for every reader;
for "3 here · 1 writing" it is a fair one. The hot path pays a clock read per edit.
"""

import itertools
import json
import logging
import os
import socket
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger("notes.live")

PUBLISH_SECONDS = 1.0
WRITING_SECONDS = 60.0
TTL_SECONDS = 40.0
MAX_NAMES = 12
_KEY = "notes.presence.{}"
_rooms = itertools.count(1)
# One thread of its own for every room's presence: a cache that is slow or down (Redis
# retrying a lost connection) then delays presence only, never the rooms' database work,
# which shares the event loop's default executor.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notes-presence")


def _key(note_id: int) -> str:
    return _KEY.format(note_id)


@dataclass(frozen=True)
class Presence:
    names: tuple[str, ...]  # distinct, sorted; at most MAX_NAMES
    here: int  # open connections (browser tabs following the note)
    writing: int  # connections that edited within WRITING_SECONDS


NOBODY = Presence(names=(), here=0, writing=0)


def _name(state: str) -> str:
    try:
        user = json.loads(state).get("user") or {}
    except (ValueError, AttributeError):
        return ""
    name = user.get("name") if isinstance(user, dict) else None
    return " ".join(name.split())[:60] if isinstance(name, str) else ""


class PresenceTracker:
    """One room's presence, as it publishes it (see the module docstring)."""

    def __init__(self, room) -> None:
        self.room = room
        self.process = f"{socket.gethostname()}:{os.getpid()}:{next(_rooms)}"
        self.last_edit: dict = {}  # connection -> monotonic time of its last edit
        self._handle = None
        self._published_at = 0.0
        self._storing: Future | None = None  # at most one write per room at a time

    def edited(self, conn) -> None:
        now = time.monotonic()
        previous = self.last_edit.get(conn)
        self.last_edit[conn] = now
        if previous is None or now - previous > WRITING_SECONDS:
            self.changed()  # one more person writing

    def left(self, conn) -> None:
        self.last_edit.pop(conn, None)
        self.changed()

    def changed(self) -> None:
        if self._handle is not None or self.room.closed:
            return
        loop = self.room.loop
        wait = self._published_at + PUBLISH_SECONDS - time.monotonic()
        if wait > 0:
            self._handle = loop.call_later(wait, self._publish)
        else:
            self._handle = loop.call_soon(self._publish)

    def summary(self) -> dict:
        room = self.room
        now = time.monotonic()
        names = set()
        for conn in room.clients:
            for client_id in conn.awareness_ids:
                entry = room.awareness.get(client_id)
                name = _name(entry[1]) if entry is not None else ""
                if name:
                    names.add(name)
        writing = sum(
            1
            for conn, at in self.last_edit.items()
            if now - at <= WRITING_SECONDS and conn in room.clients
        )
        return {
            "names": sorted(names)[:MAX_NAMES],
            "here": len(room.clients),
            "writing": writing,
            "at": time.time(),
        }

    def _publish(self) -> None:
        self._handle = None
        if self._storing is not None and not self._storing.done():
            # The cache is slow: try again a period later, with the latest summary.
            self._published_at = time.monotonic()
            self.changed()
            return
        self._published_at = time.monotonic()
        self._store(None if self.room.closed else self.summary())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._store(None)

    def _store(self, summary: dict | None) -> None:
        try:
            self._storing = _executor.submit(_store, self.room.note_id, self.process, summary)
        except RuntimeError:  # the interpreter is shutting down: nobody is left to tell
            self._storing = None


def _store(note_id: int, process: str, summary: dict | None) -> None:
    """Put one process's summary into the note's entry (None: take it out)."""
    try:
        key = _key(note_id)
        entry = cache.get(key) or {}
        oldest = time.time() - TTL_SECONDS
        entry = {p: s for p, s in entry.items() if s["at"] >= oldest and p != process}
        if summary is not None and summary["here"]:
            entry[process] = summary
        if entry:
            cache.set(key, entry, TTL_SECONDS)
        else:
            cache.delete(key)
    except Exception:  # presence is a courtesy: never let it disturb the room
        log.warning("could not publish the presence of note %s", note_id, exc_info=True)


def notes_presence(note_ids) -> dict[int, Presence]:
    """Who is in each of these notes now, across every process (one cache read)."""
    note_ids = list(note_ids)
    if not note_ids:
        return {}
    try:
        entries = cache.get_many([_key(note_id) for note_id in note_ids])
    except Exception:
        log.warning("could not read the presence of notes", exc_info=True)
        entries = {}
    oldest = time.time() - TTL_SECONDS
    found = {}
    for note_id in note_ids:
        summaries = [
            s for s in (entries.get(_key(note_id)) or {}).values() if s.get("at", 0) >= oldest
        ]
        names = sorted({name for s in summaries for name in s["names"]})[:MAX_NAMES]
        found[note_id] = Presence(
            names=tuple(names),
            here=sum(s["here"] for s in summaries),
            writing=sum(s["writing"] for s in summaries),
        )
    return found
