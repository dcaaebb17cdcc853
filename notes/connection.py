"""One client connection as a room sees it: a bounded outbound queue and flood limits.

Sending. A room fans one frame out to every client and must never wait for one
of them. Each connection therefore owns an outbound queue, bounded in bytes, and
at most one sender task that drains it in order:

- No backlog (the usual case): the frame is handed to the ASGI `send` at once.
  uvicorn's send only suspends while the socket's write buffer is over its
  high-water mark, so it normally completes in the same step and no task is
  created per frame (the same idea as Python 3.12's eager tasks, and why the hot
  path stays cheap).
- The send suspends (the client reads slower than the room writes): the
  suspended send is handed, whole, to the connection's sender task, which awaits
  it properly and then sends whatever queued meanwhile. Later frames are queued
  behind it, so order is kept.
- The queue passes its byte budget (`MAX_QUEUED_BYTES`): the client is closed
  with 1013, and the reason is logged. It reconnects and resyncs: a CRDT client
  loses nothing by being dropped, while a server that kept buffering would run
  out of memory, and one that dropped frames would leave the client stale.

A close whose frame cannot be written (the client stopped reading altogether)
waits `CLOSE_TIMEOUT` seconds, then aborts the connection's receive loop through
`on_abort`, so the socket never stays open and stale.

Writing frames directly. A fan-out sends one message to every client of a room,
and a server's frames are not masked, so the frame's bytes are the same for all of
them. When the server is uvicorn with its websockets-sansio protocol (what `make
run` and the cluster serve), a connection writes the frame the room built once
(`server_frame`) straight to its socket's transport, as uvicorn's own send would
after building it again for each client through an ASGI message, a coroutine and
the websockets state machine (py-spy: about a tenth of a worker's busy time at 20
editors). Only while that send would not suspend: the transport is not paused, no
frame is waiting, the connection is open and has no extension (no compression).
Otherwise, and on any other server, frames go through the ASGI `send` as above.
"""

import asyncio
import logging
import time
import types
from collections import deque

from websockets.frames import Frame, Opcode
from websockets.protocol import State

from .conf import live_setting
from .livestats import TOTALS

try:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - another server: frames go through ASGI send
    WebSocketsSansIOProtocol = None

log = logging.getLogger("notes.live")

CLOSE_TOO_SLOW = 1013


@types.coroutine
def _finish(coro, pending):
    """Await a coroutine that was already stepped once and is blocked on `pending`.

    The task running this waits on `pending` exactly as if the coroutine had
    yielded it to the task itself, then drives the coroutine on (PEP 380's
    `yield from`). Resuming the coroutine before `pending` is done, or awaiting
    `pending` a second time, is what asyncio forbids.
    """
    try:
        yield pending
    except BaseException:
        coro.close()  # cancelled while blocked: nothing was written
        raise
    return (yield from coro)


def server_frame(data: bytes) -> bytes:
    """`data` as one binary WebSocket frame from a server (final, not masked)."""
    return Frame(Opcode.BINARY, data).serialize(mask=False)


def _direct_protocol(send):
    """uvicorn's websockets-sansio protocol whose bound `send` this is, if it is one."""
    protocol = getattr(send, "__self__", None)
    if WebSocketsSansIOProtocol is not None and isinstance(protocol, WebSocketsSansIOProtocol):
        return protocol
    return None


class Connection:
    """One client of a room, as the room sees it."""

    __slots__ = (
        "_close_task",
        "_direct",
        "_frame_key",
        "_queue",
        "_send",
        "_sender",
        "aborted",
        "accepted",
        "awareness_ids",
        "can_write",
        "closed",
        "contributed",
        "guest_key",
        "label",
        "name",
        "on_abort",
        "on_closed",
        "presence_name",
        "queued_bytes",
        "read_only_reason",
        "replies",
        "told_read_only",
        "user",
        "user_id",
    )

    def __init__(
        self,
        send,
        *,
        can_write: bool,
        read_only_reason: str = "",
        user=None,
        user_id: int | None = None,
        name: str = "",
        presence_name: str = "",
        guest_key: str = "",
        label="",
        accepted: bool = True,
        on_abort=None,
        text: bool = False,
    ):
        self._send = send  # ASGI send
        # Binary frames (the notes protocol), or text frames (`text`: HTML fragments).
        self._frame_key = "text" if text else "bytes"
        # The server's protocol, when binary frames may be written to it directly.
        self._direct = None if text else _direct_protocol(send)
        self.can_write = can_write
        # Why it may not write, told to the client when it tries (or when it changes).
        self.read_only_reason = read_only_reason
        # Who it is: the user (asked of the policy again when the note's rules change),
        # the name its edits are credited to, the name its presence must show (the
        # room enforces it), and a guest's browser key ("" for accounts and unknowns).
        self.user = user
        self.user_id = user_id
        self.name = name
        self.presence_name = presence_name or name
        self.guest_key = guest_key
        self.label = label  # for log lines
        self.awareness_ids: set[int] = set()
        self.replies = ReplyBudget()
        self.told_read_only = False
        self.contributed = False
        self.closed = False
        # Until the WebSocket is accepted, fan-out is dropped: the client's first
        # sync step 1 brings it everything anyway.
        self.accepted = accepted
        # Called (no arguments) when a close could not be delivered in time: it
        # must end the connection's receive loop.
        self.on_abort = on_abort
        self.aborted = False
        # Called (no arguments) once the connection is closed by the server: the
        # room lets go of it at once (its presence too), not when its loop ends.
        self.on_closed = None
        self._queue: deque[bytes] = deque()
        self.queued_bytes = 0
        self._sender: asyncio.Task | None = None
        self._close_task: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.label}>"

    @property
    def backlog(self) -> int:
        """Frames waiting behind a send that is blocked on a slow socket."""
        return len(self._queue)

    def send(self, data: bytes | str, frame: bytes | None = None) -> None:
        """Send a frame, or queue it behind a blocked one; never waits. `frame`: `data`
        as `server_frame` builds it, when the caller has it already (a fan-out)."""
        if self.closed or not self.accepted:
            return
        protocol = self._direct
        if (
            protocol is not None
            and self._sender is None
            and protocol.writable.is_set()
            and not protocol.close_sent
            and protocol.conn.state is State.OPEN
            and not protocol.conn.extensions
            and not protocol.transport.is_closing()
        ):
            protocol.transport.write(frame if frame is not None else server_frame(data))
            return
        if self._sender is not None:
            self._queue.append(data)
            self.queued_bytes += len(data)
            budget = live_setting("MAX_QUEUED_BYTES")
            if self.queued_bytes > budget:
                self.close(
                    CLOSE_TOO_SLOW,
                    f"too slow to keep up ({self.queued_bytes} bytes queued); reconnect to resync",
                )
            return
        coro = self._send({"type": "websocket.send", self._frame_key: data})
        try:
            pending = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:
            self._gone(exc)
            return
        log.debug("%s is not keeping up: queueing its frames", self.label)
        self._sender = asyncio.get_running_loop().create_task(self._drain(_finish(coro, pending)))

    async def _drain(self, blocked) -> None:
        try:
            await blocked
            while self._queue and not self.closed:
                data = self._queue.popleft()
                self.queued_bytes -= len(data)
                await self._send({"type": "websocket.send", self._frame_key: data})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._gone(exc)
        finally:
            self._sender = None

    def _gone(self, exc: Exception) -> None:
        # The socket is gone; the receive loop sees the disconnect and cleans up.
        log.debug("send to %s failed: %r", self.label, exc)
        self.closed = True
        self._queue.clear()
        self.queued_bytes = 0

    def close(self, code: int, reason: str) -> None:
        """Close with `code`; frames still queued are dropped (the client resyncs)."""
        if self.closed:
            return
        log.info("closing %s with %s: %s", self.label, code, reason)
        TOTALS.closes[(code, "server")] += 1
        self.closed = True
        self._queue.clear()
        self.queued_bytes = 0
        if self.on_closed is not None:
            self.on_closed()
        if self._sender is not None:
            # Blocked on the slow socket: give up on the data, keep the close frame.
            self._sender.cancel()
            self._sender = None
        # A close reason is at most 123 bytes of UTF-8.
        reason = reason.encode()[:120].decode(errors="ignore")
        coro = self._send({"type": "websocket.close", "code": code, "reason": reason})
        try:
            pending = coro.send(None)
        except StopIteration:
            return
        except Exception as exc:
            log.debug("close of %s failed: %r", self.label, exc)
            return
        self._close_task = asyncio.get_running_loop().create_task(
            self._close_or_abort(_finish(coro, pending))
        )

    async def closing(self) -> None:
        """Wait until a close frame held back by a slow socket is written (or given
        up): returning from the ASGI app before would drop it."""
        if self._close_task is not None:
            await asyncio.shield(self._close_task)

    async def _close_or_abort(self, blocked) -> None:
        try:
            await asyncio.wait_for(blocked, live_setting("CLOSE_TIMEOUT"))
        except TimeoutError:
            log.info("%s does not read its close frame; aborting it", self.label)
            self.aborted = True
            if self.on_abort is not None:
                self.on_abort()
        except Exception as exc:
            log.debug("close of %s failed: %r", self.label, exc)


class FloodGuard:
    """Token buckets for messages and bytes per connection."""

    __slots__ = ("byte_burst", "byte_rate", "bytes", "last", "msg_burst", "msg_rate", "msgs")

    def __init__(self):
        self.msg_rate = live_setting("FLOOD_MESSAGES_PER_SECOND")
        self.msg_burst = self.msgs = live_setting("FLOOD_MESSAGES_BURST")
        self.byte_rate = live_setting("FLOOD_BYTES_PER_SECOND")
        self.byte_burst = self.bytes = live_setting("FLOOD_BYTES_BURST")
        self.last = time.monotonic()

    def allow(self, size: int) -> bool:
        now = time.monotonic()
        elapsed = now - self.last
        self.last = now
        self.msgs = min(self.msg_burst, self.msgs + elapsed * self.msg_rate) - 1
        self.bytes = min(self.byte_burst, self.bytes + elapsed * self.byte_rate) - size
        return self.msgs >= 0 and self.bytes >= 0


class ReplyBudget:
    """A token bucket for the bytes sent in reply to one connection's own requests.

    The flood guard counts what a client sends; a four-byte sync step 1 asks for the
    whole document, so 300 of them pulled 283 MB. A reply is allowed while the bucket
    is not empty, and its size is taken out afterwards (the bucket may go into debt):
    the first sync of even the largest note always passes, repeated ones must wait
    for the debt to be paid back at `REPLY_BYTES_PER_SECOND`.
    """

    __slots__ = ("burst", "last", "rate", "tokens")

    def __init__(self):
        self.rate = live_setting("REPLY_BYTES_PER_SECOND")
        self.burst = self.tokens = live_setting("REPLY_BYTES_BURST")
        self.last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return self.tokens > 0

    def spend(self, size: int) -> None:
        self.tokens -= size
