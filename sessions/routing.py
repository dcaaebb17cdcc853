"""WebSocket routes of events (the live open-space board)."""

from django.urls import path

from .board import consumers

websocket_urlpatterns: list = [
    path("ws/events/<slug:slug>/board/", consumers.BoardConsumer.as_asgi()),
]
