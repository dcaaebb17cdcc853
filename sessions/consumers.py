"""The live board: one WebSocket per open board, marketplace or display page.

Viewers only listen; every write goes through an HTTP POST (and its CSRF check)
to a service, which broadcasts the committed change to the group of the event.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import live
from .identity import guest_key_from_headers
from .models import Event


@database_sync_to_async
def _viewer(slug: str, user) -> tuple[int, bool] | None:
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        return None
    return event.pk, bool(user is not None and event.is_organizer(user))


class BoardConsumer(AsyncWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        viewer = await _viewer(self.scope["url_route"]["kwargs"]["slug"], self.scope.get("user"))
        if viewer is None:
            await self.close()  # before accept: the handshake is refused (HTTP 403)
            return
        event_id, self.is_organizer = viewer
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.guest_key = guest_key_from_headers(self.scope.get("headers", []))
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        view = (query.get("view") or ["board"])[0]
        self.view = view if view in live.VIEWS else "board"
        self.group = live.board_group(event_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        """Viewers do not send anything meaningful; ignore it (writes go through HTTP)."""

    async def board_update(self, message: dict) -> None:
        for html in live.fragments_for(
            message,
            view=self.view,
            user_id=self.user_id,
            guest_key=self.guest_key,
            is_organizer=self.is_organizer,
        ):
            await self.send(text_data=html)
