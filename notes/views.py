"""HTTP views of the notes engine."""

import asyncio

from asgiref.sync import sync_to_async
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

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


def _database_answers() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


@require_GET
async def readyz(request: HttpRequest) -> JsonResponse:
    """Whether this worker process can serve live notes as everyone else sees them.

    503 while the database does not answer, or while a note open here is not
    linked to its rooms in other processes (the channel layer is down): its
    clients then see the others' edits only through the database, seconds late.
    Runs on the worker's event loop, so it reports on this process's rooms.
    """
    problems = []
    try:
        await sync_to_async(_database_answers, thread_sensitive=False)()
    except Exception as exc:
        problems.append(f"database: {type(exc).__name__}")
    registry = registry_for_loop(asyncio.get_running_loop())
    unsynced = registry.unsynced() if registry is not None else []
    if unsynced:
        problems.append(f"{len(unsynced)} open note(s) not linked to the other processes")
    response = JsonResponse(
        {
            "ready": not problems,
            "problems": problems,
            "open_notes": len(registry.rooms) if registry is not None else 0,
            "unsynced_notes": unsynced,
        },
        status=503 if problems else 200,
    )
    add_never_cache_headers(response)
    return response
