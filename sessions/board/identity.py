"""Who is acting on the open-space board: a signed-in user, or a guest's browser.

Guests are recognised by a random key kept in a signed cookie. The same key is
stored as `Interest.guest_key` (one vote per browser) and `OpenSpace.host_key`
(a guest host may edit or withdraw what they proposed from the same browser).
It is stable for a year, survives sign-in and sign-out, and is never shown on a
page. It is not proof of a person: clearing cookies makes a new guest.
"""

import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

GUEST_COOKIE = "confnotes_guest"
GUEST_SALT = "confnotes.guest-key"
GUEST_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Actor:
    """The person behind a request or a connection. `user` may be anonymous or None."""

    user: object = None
    guest_key: str = ""

    @property
    def user_id(self) -> int | None:
        user = self.user
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk
        return None

    @property
    def is_identified(self) -> bool:
        return self.user_id is not None or bool(self.guest_key)

    def hosts(self, open_space) -> bool:
        """Whether this person proposed (hosts) the topic."""
        if open_space.host_user_id is not None:
            return open_space.host_user_id == self.user_id
        return bool(open_space.host_key) and open_space.host_key == self.guest_key


def _signer() -> signing.Signer:
    # The same signer as HttpRequest.get_signed_cookie, so both sides agree.
    return signing.get_cookie_signer(salt=GUEST_COOKIE + GUEST_SALT)


def guest_key_from_cookie(value: str | None) -> str:
    """The guest key held in a raw cookie value, or "" if absent or tampered with."""
    if not value:
        return ""
    try:
        return _signer().unsign(value, max_age=GUEST_MAX_AGE)
    except signing.BadSignature:
        return ""


def guest_key_from_headers(headers) -> str:
    """The guest key from an ASGI scope's raw headers (for WebSocket consumers)."""
    for name, raw in headers:
        if name == b"cookie":
            cookie = SimpleCookie()
            cookie.load(raw.decode("latin-1"))
            if GUEST_COOKIE in cookie:
                return guest_key_from_cookie(cookie[GUEST_COOKIE].value)
    return ""


def request_actor(request: HttpRequest, *, ensure_key: bool = False) -> Actor:
    """The actor of a request; with `ensure_key`, a guest without a key gets a new one.

    A new key is remembered on the request and written by `remember_guest`.
    """
    key = getattr(request, "_confnotes_guest_key", None)
    if key is None:
        key = guest_key_from_cookie(request.COOKIES.get(GUEST_COOKIE))
        request._confnotes_guest_key = key
    if not key and ensure_key:
        key = secrets.token_urlsafe(24)
        request._confnotes_guest_key = key
        request._confnotes_new_guest_key = True
    return Actor(user=request.user, guest_key=key)


def remember_guest(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Set the guest cookie on the response if this request created the key."""
    if getattr(request, "_confnotes_new_guest_key", False):
        response.set_cookie(
            GUEST_COOKIE,
            _signer().sign(request._confnotes_guest_key),
            max_age=GUEST_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response
