"""The live boards of one process: one channel-layer subscription per event, not one
per viewer.

A broadcast (`live.board_changed`) is rendered once, with a plain and a controls
variant of each part. It used to reach every open board, marketplace and display as
a message of its own: per viewer, the in-memory layer deep-copied it and scanned all
channels, and Channels' consumer dispatch made a thread hop (`aclose_old_connections`)
before the viewer picked its fragments. With 300 viewers, one interest toggle cost
~110 ms of CPU (bench/board_bench.py votes).

Now each process subscribes once per event with open boards (the group
`board.<event id>`, as before). A broadcast arrives once; the hub works out the
frames once per view for the viewers who get no controls (nearly everyone), picks
per viewer only for the organizers and hosts the message has controls for, and
hands the same strings to every socket through `notes.connection.Connection` (never
waits for a slow one; closes one that falls too far behind with 1013, after which
htmx reconnects and the page refreshes its live region).
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from channels.layers import get_channel_layer

from notes.connection import Connection
from notes.layer import receive_forever

from ..access import Audience, EventAccess
from . import live

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Viewer:
    """One open board, marketplace or display page."""

    access: EventAccess
    view: str  # one of live.VIEWS
    conn: Connection


class BoardHub:
    def __init__(self, layer):
        self.layer = layer
        self.channel: str | None = None
        self.events: dict[int, dict[Viewer, None]] = {}  # insertion-ordered sets
        self._subscriptions: dict[int, asyncio.Task] = {}
        self._discards: dict[int, asyncio.Task] = {}
        self._channel_lock = asyncio.Lock()
        self._receiver: asyncio.Task | None = None

    async def join(self, event_id: int, viewer: Viewer) -> None:
        """Add a viewer; returns once broadcasts of the event reach this process."""
        viewers = self.events.get(event_id)
        if viewers is None:
            viewers = self.events[event_id] = {}
            self._subscriptions[event_id] = asyncio.get_running_loop().create_task(
                self._subscribe(event_id)
            )
        viewers[viewer] = None
        await asyncio.shield(self._subscriptions[event_id])

    def leave(self, event_id: int, viewer: Viewer) -> None:
        viewers = self.events.get(event_id)
        if viewers is None or viewer not in viewers:
            return
        del viewers[viewer]
        if not viewers:
            del self.events[event_id]
            subscription = self._subscriptions.pop(event_id, None)
            self._discards[event_id] = asyncio.get_running_loop().create_task(
                self._unsubscribe(event_id, subscription)
            )

    async def _subscribe(self, event_id: int) -> None:
        discard = self._discards.pop(event_id, None)
        if discard is not None:  # the last viewer of a moment ago: its unsubscribe first
            with contextlib.suppress(Exception):
                await discard
        async with self._channel_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("board.")
                self._receiver = asyncio.get_running_loop().create_task(
                    receive_forever(self.layer, self.channel, self.deliver, what="board broadcasts")
                )
        await self.layer.group_add(live.board_group(event_id), self.channel)

    async def _unsubscribe(self, event_id: int, subscription: asyncio.Task | None) -> None:
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription
        if event_id not in self.events:
            await self.layer.group_discard(live.board_group(event_id), self.channel)

    def deliver(self, message: dict) -> None:
        """Send a broadcast's fragments to this process's viewers of its event."""
        viewers = self.events.get(message.get("event"))
        if not viewers:
            return
        parts = message["parts"]
        controlled = [
            (part["view"], Audience(**part["audience"]))
            for part in parts
            if "controls_html" in part
        ]
        plain: dict[str, list[str]] = {}
        for viewer in list(viewers):
            view, access = viewer.view, viewer.access
            if any(v == view and access.receives(audience) for v, audience in controlled):
                frames = live.fragments_for(message, view=view, access=access)
            else:
                frames = plain.get(view)
                if frames is None:
                    frames = plain[view] = [part["html"] for part in parts if part["view"] == view]
            for html in frames:
                viewer.conn.send(html)

    def close(self) -> None:
        if self._receiver is not None:
            self._receiver.cancel()
        for task in (*self._subscriptions.values(), *self._discards.values()):
            task.cancel()


_hubs: dict[asyncio.AbstractEventLoop, BoardHub] = {}


def current_hub() -> BoardHub:
    """The hub of the running event loop (one per process under uvicorn)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for old in [old for old in _hubs if old.is_closed()]:  # each test has its own loop
            del _hubs[old]
        hub = _hubs[loop] = BoardHub(get_channel_layer())
    return hub
