"""Reading a channel-layer channel for as long as a process lives.

Shared by the live notes' peer link (notes/peers.py) and the board hub
(sessions/board/hub.py): both keep one channel per process and hand every message to a
handler on the event loop.
"""

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger("notes.live")


async def receive_forever(layer, channel: str, handle: Callable[[dict], None], *, what: str):
    """Hand every message of `channel` to `handle` until the task is cancelled.

    A failed receive (Redis restarting) is logged and tried again a second later; a
    message `handle` fails on is logged and skipped: one bad message never stops the
    ones after it. `what` names the messages in the log ("board broadcasts").
    """
    while True:
        try:
            message = await layer.receive(channel)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("receiving %s failed: %r", what, exc)
            await asyncio.sleep(1)
            continue
        try:
            handle(message)
        except Exception:
            log.exception("handling one of the %s failed", what)
