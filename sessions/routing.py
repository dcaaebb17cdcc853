"""WebSocket routes of events (the live open-space board)."""

websocket_urlpatterns: list = []
