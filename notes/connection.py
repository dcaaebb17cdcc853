"""One client connection as a room sees it: non-blocking sends and flood limits."""

import asyncio
import logging
import time

from .conf import live_setting

log = logging.getLogger("notes.live")


# --- Sending without letting one slow socket stall a fan-out ------------------------


def run_eagerly(coro, on_suspended=None, on_finished=None) -> bool:
    """Run `coro` until it first suspends; finish it in a task only if it does.

    uvicorn's send never suspends unless the socket's write buffer is full, so a
    fan-out loop sends to every client without a task per message, and a slow
    client's send continues in the background instead of stalling the others.
    Returns True when the coroutine completed at once.
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return True
    if on_suspended is not None:
        on_suspended()
    task = asyncio.get_running_loop().create_task(_resume(coro, awaited))
    if on_finished is not None:
        task.add_done_callback(on_finished)
    return False


async def _resume(coro, awaited):
    while True:
        try:
            if awaited is None:
                await asyncio.sleep(0)
            else:
                await awaited
        except asyncio.CancelledError:
            coro.close()
            raise
        except BaseException:  # noqa: S110 - the coroutine sees the outcome when resumed
            pass
        try:
            awaited = coro.send(None)
        except StopIteration:
            return


class Connection:
    """One client of a room, as the room sees it."""

    __slots__ = (
        "_send",
        "accepted",
        "awareness_ids",
        "blocked",
        "can_write",
        "closed",
        "contributed",
        "label",
        "name",
        "told_read_only",
        "user_id",
    )

    def __init__(
        self,
        send,
        *,
        can_write: bool,
        user_id: int | None = None,
        name: str = "",
        label="",
        accepted: bool = True,
    ):
        self._send = send  # ASGI send
        self.can_write = can_write
        self.user_id = user_id
        self.name = name
        self.label = label  # for log lines
        self.awareness_ids: set[int] = set()
        self.told_read_only = False
        self.contributed = False
        self.closed = False
        self.blocked = 0
        # Until the WebSocket is accepted, fan-out is dropped: the client's first
        # sync step 1 brings it everything anyway.
        self.accepted = accepted

    def __repr__(self) -> str:
        return f"<Connection {self.label}>"

    def send(self, data: bytes) -> None:
        """Queue a binary frame; never waits."""
        if self.closed or not self.accepted:
            return
        if self.blocked >= live_setting("MAX_BLOCKED_SENDS"):
            self.close(1013, "too slow to keep up; reconnect to resync")
            return
        try:
            run_eagerly(
                self._send({"type": "websocket.send", "bytes": data}),
                self._on_blocked,
                self._on_unblocked,
            )
        except Exception as exc:
            # The socket is gone; the receive loop sees the disconnect and cleans up.
            log.debug("send to %s failed: %r", self.label, exc)
            self.closed = True

    def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        log.info("closing %s with %s: %s", self.label, code, reason)
        self.closed = True
        # A close reason is at most 123 bytes of UTF-8.
        reason = reason.encode()[:120].decode(errors="ignore")
        try:
            run_eagerly(self._send({"type": "websocket.close", "code": code, "reason": reason}))
        except Exception as exc:
            log.debug("close of %s failed: %r", self.label, exc)

    def _on_blocked(self):
        self.blocked += 1

    def _on_unblocked(self, task):
        self.blocked -= 1
        if not task.cancelled() and task.exception() is not None:
            self.closed = True


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
