"""How many live connections one person, and one network address, may hold open.

Counted in Django's cache (Redis when REDIS_URL is set, so every worker process
shares the counts; local memory otherwise), once at connect and once at disconnect,
in a worker thread: the per-frame path never touches it.

- Per identity, `MAX_CONNECTIONS_PER_IDENTITY`: an account (`user:<id>`), or a guest
  browser (`guest:<key>`, the key of the signed guest cookie, which the policy reads).
  Enough for a few tabs and devices, and a reconnect that overlaps the old socket.
- Per IP address, `MAX_GUEST_CONNECTIONS_PER_IP`, for connections without an account:
  a guest with no cookie has no identity, and new guest keys cost nothing. A whole
  conference may share one NAT address, so the ceiling is high.

A process that dies without decrementing (kill -9) must not lock people out for
good: counters expire `COUNTER_TTL` seconds after their last refresh, and each
process refreshes the counters of its open connections every `COUNTER_REFRESH`.
"""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.core.cache import cache

from .conf import live_setting

log = logging.getLogger("notes.live")

COUNTER_TTL = 180
COUNTER_REFRESH = 60
_PREFIX = "notes.conn."


@dataclass(frozen=True)
class Admission:
    """The counters a connection holds (release them when it ends), or why it may not
    open (`refusal`)."""

    keys: tuple[str, ...] = ()
    refusal: str = ""


def counter_keys(*, user_id: int | None, guest_key: str, ip: str) -> list[tuple[str, int, str]]:
    """(cache key, limit, refusal) of each counter a connection counts against."""
    per_identity = live_setting("MAX_CONNECTIONS_PER_IDENTITY")
    keys = []
    if user_id is not None:
        keys.append((f"{_PREFIX}user:{user_id}", per_identity, "too many open notes for you"))
    else:
        if guest_key:
            keys.append(
                (f"{_PREFIX}guest:{guest_key}", per_identity, "too many open notes for you")
            )
        if ip:
            keys.append(
                (
                    f"{_PREFIX}ip:{ip}",
                    live_setting("MAX_GUEST_CONNECTIONS_PER_IP"),
                    "too many guests from your network",
                )
            )
    return keys


def _increment(key: str) -> int:
    for _ in range(2):
        cache.add(key, 0, COUNTER_TTL)
        try:
            return cache.incr(key)
        except ValueError:  # expired between the two calls: once more
            continue
    return 1


def _decrement(keys) -> None:
    for key in keys:
        try:
            if cache.decr(key) < 0:
                cache.set(key, 0, COUNTER_TTL)
        except ValueError:
            pass  # expired (the process that counted it died): nothing to undo


def _admit(counters) -> Admission:
    taken = []
    for key, limit, refusal in counters:
        count = _increment(key)
        taken.append(key)
        if count > limit:
            _decrement(taken)
            return Admission(refusal=refusal)
    return Admission(keys=tuple(taken))


def _refresh(keys) -> None:
    for key in keys:
        cache.touch(key, COUNTER_TTL)


class ConnectionCounts:
    """The counters held by the connections of one process (one event loop)."""

    def __init__(self):
        self.held: Counter[str] = Counter()
        self._refresher: asyncio.Task | None = None

    async def admit(self, *, user_id: int | None, guest_key: str, ip: str) -> Admission:
        counters = counter_keys(user_id=user_id, guest_key=guest_key, ip=ip)
        try:
            admission = await sync_to_async(_admit, thread_sensitive=False)(counters)
        except Exception:
            # The cache is down: serve rather than lock everyone out.
            log.warning("connection counters unavailable; not limiting", exc_info=True)
            return Admission()
        self.held.update(admission.keys)
        if admission.keys and self._refresher is None:
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_forever())
        return admission

    async def release(self, admission: Admission) -> None:
        if not admission.keys:
            return
        self.held.subtract(admission.keys)
        self.held += Counter()  # drops the keys no connection holds any more
        try:
            await sync_to_async(_decrement, thread_sensitive=False)(admission.keys)
        except Exception:
            log.warning("could not release connection counters", exc_info=True)

    def close(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            self._refresher = None

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(COUNTER_REFRESH)
            keys = list(self.held)
            if keys:
                try:
                    await sync_to_async(_refresh, thread_sensitive=False)(keys)
                except Exception:
                    log.warning("could not refresh connection counters", exc_info=True)
