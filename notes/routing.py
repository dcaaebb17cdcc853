"""WebSocket routes of the notes engine."""

from django.urls import path

from .consumers import note_socket

websocket_urlpatterns = [
    path("ws/notes/<int:note_id>/", note_socket),
]
