from notes.routing import websocket_urlpatterns as notes_routes
from sessions.routing import websocket_urlpatterns as sessions_routes

websocket_urlpatterns = [*notes_routes, *sessions_routes]
