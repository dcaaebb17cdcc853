"""HTTP views of the notes engine."""

import asyncio
import hmac
import ipaddress

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from .health import database_health
from .room import registry_for_loop

SERVICE_WORKER = "build/sw.js"


def _service_worker_source() -> bytes:
    # The un-hashed built file: from static/ in development (finders), from
    # STATIC_ROOT after collectstatic.
    path = finders.find(SERVICE_WORKER)
    if path:
        with open(path, "rb") as file:
            return file.read()
    if staticfiles_storage.exists(SERVICE_WORKER):
        with staticfiles_storage.open(SERVICE_WORKER) as file:
            return file.read()
    raise Http404("service worker not built (run `make assets`)")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The offline service worker, served from the root so its scope is the whole site.

    Never cached by the browser: a deploy with a new bundle must reach every
    client on its next page view.
    """
    response = HttpResponse(_service_worker_source(), content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    add_never_cache_headers(response)
    return response


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests (nothing else is checked)."""
    response = JsonResponse({"alive": True})
    add_never_cache_headers(response)
    return response


def _database_answers() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


_redis_clients: dict = {}


def _channel_layer_answers() -> None:
    """Ping the Redis of the channel layer (nothing to ask of the in-memory one)."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" not in config.get("BACKEND", "").lower():
        return
    host = config.get("CONFIG", {}).get("hosts", [None])[0]
    url = host if isinstance(host, str) else (host or {}).get("address")
    if not url:
        return
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2
        )
    client.ping()


@require_GET
async def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this worker process can serve live notes as everyone else sees them.

    503 while the database does not answer, or while a note open here is not
    linked to its rooms in other processes (the channel layer is down): its
    clients then see the others' edits only through the database, seconds late.
    Runs on the worker's event loop, so it reports on this process's rooms. Also 503
    while the channel layer's Redis does not answer a ping, and while the process is
    draining (shutting down).
    """
    problems = []
    registry = registry_for_loop(asyncio.get_running_loop())
    if registry is not None and registry.draining:
        problems.append("draining: shutting down")
    if database_health.down:
        # Known to be down: answer at once rather than wait for the pool.
        problems.append("database: not answering")
    else:
        try:
            await sync_to_async(_database_answers, thread_sensitive=False)()
        except Exception as exc:
            database_health.report(exc)
            problems.append(f"database: {type(exc).__name__}")
    try:
        await sync_to_async(_channel_layer_answers, thread_sensitive=False)()
    except Exception as exc:
        problems.append(f"channel layer: {type(exc).__name__}")
    unsynced = registry.unsynced() if registry is not None else []
    if unsynced:
        problems.append(f"{len(unsynced)} open note(s) not linked to the other processes")
    rooms = list(registry.rooms.values()) if registry is not None else []
    response = JsonResponse(
        {
            "ready": not problems,
            "problems": problems,
            "open_notes": len(rooms),
            "connections": sum(len(room.clients) for room in rooms),
            "unsynced_notes": unsynced,
        },
        status=503 if problems else 200,
    )
    add_never_cache_headers(response)
    return response


def _scraper_allowed(request: HttpRequest) -> bool:
    """A scraper on this machine (a loopback address), or one that presents
    METRICS_TOKEN as a bearer token."""
    token = getattr(settings, "METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of the live engine (notes/metrics.py), for local or
    authorized scrapers only: 404 for anyone else, as if there were none."""
    if not _scraper_allowed(request):
        raise Http404("no such page")
    from .metrics import exposition

    body, content_type = exposition()
    response = HttpResponse(body, content_type=content_type)
    add_never_cache_headers(response)
    return response
