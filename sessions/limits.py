"""Rate limits, counted in Django's cache: per identity, and per IP address for new guests.

An identity is a signed-in user, or a guest's browser key. A guest without a key gets a
new one on their first visit, so a script that drops its cookies is a new guest every
time: the coarser per-IP ceiling (`guest_new_ip`) bounds how many new guests one address
may start. It is coarse because a whole conference may share one address.

Each limit is a fixed window: one counter per (limit, who, window), expiring with its
window. The cache is Redis when REDIS_URL is set, so every worker process counts into the
same counters; locally it is per process. The rates are settings.LIMITS ("10/10m").
What a refusal says and its status (429) are decided in `access.py` (`throttle`).
"""

import hashlib
import time
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.limits import period_text

from .board.identity import Actor

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "10/10m" → 10 per 600 s; the period's number may be left out ("60/m")."""
        count, _, period = text.partition("/")
        number, unit = period[:-1], period[-1:]
        if unit not in _UNITS or not count.isdigit() or not (number == "" or number.isdigit()):
            raise ValueError(f"not a rate: {text!r} (expected e.g. '10/m' or '30/10m')")
        return cls(count=int(count), seconds=int(number or 1) * _UNITS[unit])

    @property
    def period(self) -> str:
        return period_text(self.seconds)


def rate(limit: str) -> Rate:
    return Rate.parse(settings.LIMITS[limit])


def identity(actor: Actor) -> str:
    """Who is counted: the user, else the guest key (hashed: counters name no credential)."""
    if actor.user_id is not None:
        return f"user:{actor.user_id}"
    return "guest:" + hashlib.sha256(actor.guest_key.encode()).hexdigest()[:24]


def client_ip(request: HttpRequest) -> str:
    """The client's address; behind a proxy, as settings.ALLAUTH_TRUSTED_PROXY_COUNT says
    (the same rule as allauth's own sign-in limits)."""
    try:
        return "ip:" + get_adapter().get_client_ip(request)
    except PermissionDenied:  # no usable address: all such requests share one counter
        return "ip:unknown"


def consume(*, limit: str, who: str) -> Rate | None:
    """Count one more use of `limit` by `who`. Returns the rate when that use is over it
    (the caller refuses), None when it is within."""
    allowed = rate(limit)
    window = int(time.time() // allowed.seconds)
    key = f"limit:{limit}:{who}:{window}"
    # add() is a no-op when the counter exists; incr() is atomic on Redis and locmem.
    cache.add(key, 0, timeout=allowed.seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add() and incr(): a new window began
        cache.set(key, 1, timeout=allowed.seconds + 5)
        used = 1
    return allowed if used > allowed.count else None
