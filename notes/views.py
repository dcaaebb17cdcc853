"""HTTP views of the notes engine."""

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

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
