from django.urls import path

from notes.routing import websocket_urlpatterns as notes_routes
from sessions.guests import remember_guest_names
from sessions.routing import websocket_urlpatterns as sessions_routes

# The notes engine knows guests by name only; sessions remembers which guest browser
# wrote under which name, to credit their notes to their account when they sign in.
websocket_urlpatterns = [
    *(path(str(route.pattern), remember_guest_names(route.callback)) for route in notes_routes),
    *sessions_routes,
]
