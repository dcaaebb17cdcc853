"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before anything imports models (the routing does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from config.websocket_origin import SameOriginValidator  # noqa: E402
from notes.asgi import KeepServerSend, RefuseWhenUnavailable  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Only this site's own pages (scheme, host and port) may open its sockets; while
        # the process shuts down or the database is away, they are refused with a code
        # the editor reconnects after (instead of an HTTP 500 in the handshake).
        # (KeepServerSend: the notes socket sends its frames past the session middleware.)
        "websocket": KeepServerSend(
            SameOriginValidator(
                RefuseWhenUnavailable(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)
