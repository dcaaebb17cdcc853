"""The WebSocket endpoint of the live notes: `ws/notes/<note_id>/`.

A raw ASGI application rather than a Channels consumer: it asks the policy and
loads the room once at connect time, then runs a plain receive loop that hands
each frame to the room and sends with the ASGI `send` directly. Channels'
consumer dispatch costs a thread hop (`aclose_old_connections`) and a task per
incoming frame, which roughly doubled the server's CPU on the hot path
(measured with bench/live_notes.py).

Close codes (always after accepting, so that browsers see them):

    4400  malformed frame (bad framing, truncated var-uint, text frame, bad state vector)
    4403  the user may not read this note
    4404  no such note
    4413  message larger than 1 MiB (uvicorn closes with 1009 past its --ws-max-size)
    4422  an update pycrdt rejects
    4429  too many messages or bytes per second
    1013  the client could not keep up with the room (reconnect to resync)
"""

import asyncio
import itertools
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from .base import NoteGone, UpdateRejected
from .conf import live_setting
from .connection import Connection, FloodGuard
from .policy import get_policy, guest_key
from .protocol import ProtocolError
from .room import current_registry

log = logging.getLogger("notes.live")

CLOSE_MALFORMED = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_LARGE = 4413
CLOSE_REJECTED = 4422
CLOSE_FLOOD = 4429

_connection_ids = itertools.count(1)


@database_sync_to_async
def _access(user, note_id: int):
    return get_policy().access(user=user, note_id=note_id)


def _display_name(scope, user) -> tuple[int | None, str]:
    if user is not None and user.is_authenticated:
        return user.pk, (user.get_full_name() or user.get_username())[:100]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    name = (query.get("name") or [""])[0].strip()[:100]
    return None, name or "Guest"


async def _refuse(send, code: int, reason: str, label: str) -> None:
    log.info("closing %s with %s: %s", label, code, reason)
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def note_socket(scope, receive, send) -> None:
    note_id = scope["url_route"]["kwargs"]["note_id"]
    label = f"note {note_id} connection {next(_connection_ids)}"
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    user = scope.get("user")
    access = await _access(user, note_id)
    if access is None:
        await _refuse(send, CLOSE_NOT_FOUND, "no such note", label)
        return
    if not access.can_read:
        await _refuse(send, CLOSE_FORBIDDEN, access.read_only_reason or "not allowed", label)
        return
    try:
        room = await current_registry().get_room(note_id)
    except NoteGone:
        await _refuse(send, CLOSE_NOT_FOUND, "no such note", label)
        return

    user_id, name = _display_name(scope, user)
    guest = "" if user_id is not None else guest_key(get_policy(), headers=scope.get("headers", []))
    # A close the client never reads ends this loop from outside (see Connection).
    task = asyncio.current_task()
    conn = Connection(
        send,
        can_write=access.can_write,
        user_id=user_id,
        name=name,
        guest_key=guest,
        label=label,
        accepted=False,
        on_abort=task.cancel,
    )
    conn.on_closed = lambda: room.leave(conn)
    room.join(conn)  # before any await: an idle room could otherwise unload meanwhile
    try:
        await send({"type": "websocket.accept"})
    except BaseException:
        room.leave(conn)
        raise
    conn.accepted = True
    room.greet(conn)
    log.debug("%s opened by %r (%s)", label, name, "writer" if conn.can_write else "reader")
    guard = FloodGuard()
    max_bytes = live_setting("MAX_MESSAGE_BYTES")
    try:
        while not conn.closed:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                break
            if kind != "websocket.receive":
                continue
            data = message.get("bytes")
            if data is None:
                conn.close(CLOSE_MALFORMED, "text frames are not part of the protocol")
            elif len(data) > max_bytes:
                conn.close(CLOSE_TOO_LARGE, f"message of {len(data)} bytes is over the limit")
            elif not guard.allow(len(data)):
                conn.close(CLOSE_FLOOD, "too many messages")
            else:
                try:
                    room.receive(conn, data)
                except ProtocolError as exc:
                    conn.close(CLOSE_MALFORMED, f"malformed message: {exc}")
                except UpdateRejected as exc:
                    conn.close(CLOSE_REJECTED, f"update rejected: {exc}"[:120])
        room.leave(conn)
        await conn.closing()
    except asyncio.CancelledError:
        if not conn.aborted:
            raise
        task.uncancel()  # our own abort: end normally, the server drops the socket
    finally:
        room.leave(conn)
        log.debug("%s ended", label)
