"""The live board: one WebSocket per open board, marketplace or display page.

Viewers only listen; every write goes through an HTTP POST (and its CSRF check)
to a service, which broadcasts the committed change to the group of the event.
This process's hub (`hub.py`) receives it once and sends each viewer its frames.
"""

from datetime import UTC, datetime
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from notes.connection import Connection

from ..access import EventAccess, event_access
from ..models import Event
from . import fragments, live
from .hub import Viewer, current_hub
from .identity import Actor, guest_key_from_headers
from .queries import board_changed_since


@database_sync_to_async
def _viewer_access(slug: str, actor: Actor) -> EventAccess | None:
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        return None
    access = event_access(event=event, actor=actor)
    # Ask now, in this thread: the answer is cached, and the event loop may not query.
    access.is_organizer  # noqa: B018
    return access


def _since(query: dict) -> datetime | None:
    """The `since` query parameter (milliseconds since the epoch), if well-formed."""
    try:
        return datetime.fromtimestamp(int(query["since"][0]) / 1000, tz=UTC)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


class BoardConsumer(AsyncWebsocketConsumer):
    viewer: Viewer | None = None

    async def connect(self) -> None:
        actor = Actor(
            user=self.scope.get("user"),
            guest_key=guest_key_from_headers(self.scope.get("headers", [])),
        )
        self.access = await _viewer_access(self.scope["url_route"]["kwargs"]["slug"], actor)
        if self.access is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        event_id = self.access.event.pk
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        view = (query.get("view") or ["board"])[0]
        # Frames go out through the hub, without waiting for this socket (see hub.py);
        # until the handshake is accepted they are dropped (the check below covers them).
        conn = Connection(self.base_send, can_write=False, label="board", text=True, accepted=False)
        self.viewer = Viewer(
            access=self.access, view=view if view in live.VIEWS else "board", conn=conn
        )
        await current_hub().join(event_id, self.viewer)
        await self.accept()
        conn.accepted = True
        # Changes committed between the page's render and this moment were broadcast
        # before we joined: have the page fetch its live region again.
        since = _since(query)
        if since is not None and await database_sync_to_async(board_changed_since)(
            event_id=event_id, since=since
        ):
            conn.send(render_to_string(fragments.LIVE_REFRESH))

    async def disconnect(self, code) -> None:
        if self.viewer is not None:
            self.viewer.conn.closed = True
            current_hub().leave(self.access.event.pk, self.viewer)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Viewers do not send anything meaningful; ignore it (writes go through HTTP)."""
