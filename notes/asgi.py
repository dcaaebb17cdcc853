"""ASGI middleware for the live sockets: a clear refusal instead of an HTTP 500.

`RefuseWhenUnavailable` wraps the WebSocket routes (config/asgi.py). A socket
opened while this process shuts down, or while the database does not answer
(the session, the policy and the note's document all need it), is accepted and
closed at once with a code the editor understands, instead of failing inside
the handshake (which a browser sees as an anonymous HTTP 500):

    1001  the server is shutting down: reconnect (to another process)
    1013  the database is unavailable: reconnect in a moment

Both are codes y-websocket reconnects after, with its backoff. While the
database is known to be down, the refusal comes at once, without a database call
(see health.py); the first connection after it answers is served.
"""

import asyncio
import contextlib
import logging

from .health import database_health
from .livestats import TOTALS
from .room import CLOSE_GOING_AWAY, registry_for_loop

log = logging.getLogger("notes.live")

CLOSE_TRY_AGAIN = 1013
UNAVAILABLE = "database unavailable; reconnecting"
SHUTTING_DOWN = "server shutting down; reconnect"


async def refuse(send, code: int, reason: str) -> None:
    TOTALS.closes[(code, "server")] += 1
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


# Where `KeepServerSend` leaves the server's own `send` in the scope.
SERVER_SEND = "notes.server_send"


class KeepServerSend:
    """Outermost on the WebSocket routes: keeps the server's `send` in the scope.

    The live notes send every fan-out frame to every client. Channels' session
    middleware wraps `send` to save the session on HTTP responses; on a socket it does
    nothing, but it still reads the lazy session on every frame (5–7 % of a worker's
    busy time at 20 editors, py-spy). The notes socket sends its frames with the
    server's own `send` instead (consumers.py); the session and the user are still
    read through the middleware stack, at connect time.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        return await self.application({**scope, SERVER_SEND: send}, receive, send)


class RefuseWhenUnavailable:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        registry = registry_for_loop(asyncio.get_running_loop())
        if registry is not None and registry.draining:
            await _refuse_after_connect(receive, send, CLOSE_GOING_AWAY, SHUTTING_DOWN)
            return None
        if database_health.down:
            await _refuse_after_connect(receive, send, CLOSE_TRY_AGAIN, UNAVAILABLE)
            return None
        try:
            return await self.application(scope, receive, send)
        except Exception as exc:
            if not database_health.report(exc):
                raise
            log.info("refusing a socket to %s: %r", scope.get("path"), exc)
            try:
                # The connect message, unless the application read it already.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(receive(), 0.1)
                await refuse(send, CLOSE_TRY_AGAIN, UNAVAILABLE)
            except Exception:
                raise exc from None  # it had answered already: nothing to refuse
            return None


async def _refuse_after_connect(receive, send, code: int, reason: str) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await refuse(send, code, reason)
