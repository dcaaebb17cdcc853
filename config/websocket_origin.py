"""Only pages of this site may open its WebSockets.

Browsers send cookies with a WebSocket handshake from any page, so a socket must
check where the page came from, as Django's CSRF check does for a POST. Channels'
`AllowedHostsOriginValidator` compares only the Origin's host name with
ALLOWED_HOSTS: a page on another port or scheme of the same host (another app on
:8080, a plain-http page next to the https site) passed it.

`SameOriginValidator` accepts a handshake when its Origin is this site as it is
being served (scheme, host and port, like Django's CSRF origin check: the Host
header, which must be in ALLOWED_HOSTS, and the scheme of the socket, `wss` being
`https`, or `SECURE_PROXY_SSL_HEADER` behind a proxy), or one of
CSRF_TRUSTED_ORIGINS (with their `*.` subdomain wildcards). Anything else,
including a handshake without an Origin, is refused before it is accepted (the
client sees HTTP 403).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) origin, default port filled in."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _served_scheme(scope) -> str:
    secure = scope.get("scheme") in ("wss", "https")
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy  # e.g. ("HTTP_X_FORWARDED_PROTO", "https"), as Django reads it
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
        forwarded = _header(scope, header)
        if forwarded is not None:
            secure = forwarded.split(",", 1)[0].strip() == value
    return "https" if secure else "http"


def _trusted(origin: tuple[str, str, int]) -> bool:
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        entry_scheme, _, entry_netloc = entry.lower().partition("://")
        wildcard = entry_netloc.startswith("*.")
        trusted = _origin(
            entry_scheme, entry_netloc.removeprefix("*") if wildcard else entry_netloc
        )
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if host == trusted[1] or (wildcard and host.endswith(trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    raw = _header(scope, b"origin")
    if not raw:
        return False
    scheme, _, netloc = raw.strip().lower().partition("://")
    origin = _origin(scheme, netloc) if "/" not in netloc else None
    if origin is None:
        return False
    host = (_header(scope, b"host") or "").lower()
    domain, _ = split_domain_port(host)
    served = domain and validate_host(domain, settings.ALLOWED_HOSTS)
    if served and origin == _origin(_served_scheme(scope), host):
        return True
    return _trusted(origin)


class SameOriginValidator:
    """ASGI middleware for WebSocket routes: see the module docstring."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards WebSocket connections only")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
