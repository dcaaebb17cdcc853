"""WebSocket routes of the notes engine (filled by the live collaboration server)."""

websocket_urlpatterns: list = []
