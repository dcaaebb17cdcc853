"""The WebSocket endpoint of the live notes: `ws/notes/<note_id>/`.

A raw ASGI application rather than a Channels consumer: it asks the policy and
loads the room once at connect time, then runs a plain receive loop that hands
each frame to the room and sends with the ASGI `send` directly. Channels'
consumer dispatch costs a thread hop (`aclose_old_connections`) and a task per
incoming frame, which roughly doubled the server's CPU on the hot path
(measured with bench/live_notes.py). Under `notes.server_protocol:LiveWebSocketProtocol`
(how the Makefile and deploy/cluster.py serve it), binary frames skip even the receive
loop: the protocol hands each one to the same checks as soon as it is parsed.

Close codes (always after accepting, so that browsers see them):

    4400  malformed frame (bad framing, truncated var-uint, text frame, bad state vector)
    4403  the user may not read this note (also when that changes while connected)
    4404  no such note
    4413  message larger than 1 MiB (uvicorn closes with 1009 past its --ws-max-size);
          the note is full (MAX_NOTE_BYTES); a presence state over its size limit
    4422  an update pycrdt rejects
    4429  too many messages or bytes per second; too many sync requests (the bytes
          the server sends in reply are budgeted); too many presence states on one
          connection; too many connections for this person or network address
    1013  the client could not keep up with the room, or the room was reloaded
          (reconnect to resync)
    1011  handling one of its frames failed unexpectedly (logged; a bug, not the
          client's fault: it reconnects and resyncs, the room goes on)

Losing or regaining write permission while connected (a note locked or unlocked,
its event archived) is not a close: the y-protocols auth message "permission
denied" says why, and our "permission granted" (protocol.py) says it is over.
"""

import asyncio
import itertools
import logging
import re
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from .asgi import SERVER_SEND
from .base import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_LARGE,
    NoteGone,
    Refused,
    UpdateRejected,
)
from .conf import live_setting
from .connection import Connection, FloodGuard
from .livestats import TOTALS
from .models import guest_label
from .policy import get_policy, guest_key
from .protocol import ProtocolError
from .room import current_registry
from .server_protocol import live_protocol

log = logging.getLogger("notes.live")

CLOSE_MALFORMED = 4400
CLOSE_REJECTED = 4422
CLOSE_INTERNAL_ERROR = 1011
__all__ = [
    "CLOSE_FLOOD",
    "CLOSE_FORBIDDEN",
    "CLOSE_MALFORMED",
    "CLOSE_NOT_FOUND",
    "CLOSE_REJECTED",
    "CLOSE_TOO_LARGE",
    "note_socket",
]

_connection_ids = itertools.count(1)
# The editor shows at most this much of a name (static/src/identity.js `cleanName`):
# the same rule here means its presence name needs no rewriting (Room._client_awareness).
MAX_NAME_LENGTH = 60
_SPACES = re.compile(r"\s+")


@database_sync_to_async
def _access(user, note_id: int, headers):
    policy = get_policy()
    access = policy.access(user=user, note_id=note_id)
    signed_in = user is not None and user.is_authenticated
    return access, "" if signed_in else guest_key(policy, headers=headers)


def clean_name(value: str) -> str:
    return _SPACES.sub(" ", value).strip()[:MAX_NAME_LENGTH]


def _identity(scope, user) -> tuple[int | None, str, str]:
    """(user id, name credited, name shown on the presence): accounts by their
    display name, guests by the name they give (`?name=`), marked as guests."""
    if user is not None and user.is_authenticated:
        name = clean_name(user.get_full_name() or user.get_username())
        return user.pk, name, name
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    name = clean_name((query.get("name") or [""])[0]) or "Guest"
    return None, name, guest_label(name)


async def _refuse(send, code: int, reason: str, label: str) -> None:
    log.info("closing %s with %s: %s", label, code, reason)
    TOTALS.closes[(code, "server")] += 1
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def note_socket(scope, receive, send) -> None:
    note_id = scope["url_route"]["kwargs"]["note_id"]
    label = f"note {note_id} connection {next(_connection_ids)}"
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    user = scope.get("user")
    registry = current_registry()
    # An access change between the policy's answer and joining the room is asked again.
    epoch = registry.access_epoch
    access, guest = await _access(user, note_id, scope.get("headers", []))
    if access is None:
        await _refuse(send, CLOSE_NOT_FOUND, "no such note", label)
        return
    if not access.can_read:
        await _refuse(send, CLOSE_FORBIDDEN, access.read_only_reason or "not allowed", label)
        return
    user_id, name, presence_name = _identity(scope, user)
    client = scope.get("client")
    admission = await registry.connection_counts.admit(
        user_id=user_id, guest_key=guest, ip=client[0] if client else ""
    )
    try:
        if admission.refusal:
            await _refuse(send, CLOSE_FLOOD, admission.refusal, label)
            return
        try:
            room = await registry.get_room(note_id)
        except NoteGone:
            await _refuse(send, CLOSE_NOT_FOUND, "no such note", label)
            return
        # Frames go out with the server's own send (notes/asgi.py KeepServerSend).
        server_send = scope.get(SERVER_SEND, send)
        # A close the client never reads ends the receive loop from outside.
        conn = Connection(
            server_send,
            can_write=access.can_write,
            read_only_reason=access.read_only_reason,
            user=user,
            user_id=user_id,
            name=name,
            presence_name=presence_name,
            guest_key=guest,
            label=label,
            accepted=False,
            on_abort=asyncio.current_task().cancel,
        )
        await _serve(room, conn, receive, send, epoch, protocol=live_protocol(server_send))
    finally:
        await registry.connection_counts.release(admission)


async def _serve(room, conn: Connection, receive, send, epoch: int, *, protocol=None) -> None:
    """Accept `conn` into `room` and hand it each frame until it ends. `protocol`: the
    server's LiveWebSocketProtocol, when binary frames may come from it directly
    (notes/server_protocol.py); the loop below then only sees what was queued before,
    text frames and the close."""
    label, task = conn.label, asyncio.current_task()
    conn.on_closed = lambda: room.leave(conn)
    room.join(conn)  # before any await: an idle room could otherwise unload meanwhile
    try:
        await send({"type": "websocket.accept"})
    except BaseException:
        room.leave(conn)
        raise
    conn.accepted = True
    if room.registry.access_epoch != epoch:
        room.recheck_access()
    room.greet(conn)
    log.debug("%s opened by %r (%s)", label, conn.name, "writer" if conn.can_write else "reader")
    take = _frame_handler(room, conn)
    if protocol is not None:
        # As the loop below: what arrives once the connection is closed is not taken
        # (what was taken from the queue before, is).
        protocol.on_bytes = lambda data: None if conn.closed else take(data)
    try:
        while not conn.closed:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                TOTALS.closes[(message.get("code", 1005), "client")] += 1
                break
            if kind != "websocket.receive":
                continue
            data = message.get("bytes")
            if data is None:
                conn.close(CLOSE_MALFORMED, "text frames are not part of the protocol")
            else:
                take(data)
        room.leave(conn)
        await conn.closing()
    except asyncio.CancelledError:
        if not conn.aborted:
            raise
        task.uncancel()  # our own abort: end normally, the server drops the socket
    finally:
        if protocol is not None:
            protocol.on_bytes = None
        room.leave(conn)
        log.debug("%s ended", label)


def _frame_handler(room, conn: Connection):
    """What to do with each binary frame `conn` sends: checked, then given to `room`.
    Never raises: a bad frame closes the connection with the reason."""
    guard = FloodGuard()
    max_bytes = live_setting("MAX_MESSAGE_BYTES")

    def take(data: bytes) -> None:
        if len(data) > max_bytes:
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
            except Refused as exc:
                conn.close(exc.code, exc.reason)
            except Exception:
                # A bug, not the client's fault: this one connection ends, the room and
                # the server go on (the client reconnects and resyncs).
                log.exception("%s: frame failed", conn.label)
                conn.close(CLOSE_INTERNAL_ERROR, "internal error")

    return take
