"""The live collaboration room: one authoritative pycrdt document per note per process.

A `Room` holds the note's document, its connected clients and their awareness
(presence) states. It answers sync step 1 with sync step 2 followed by its own
sync step 1 (only to the asking client), applies updates, and fans out the real
changes that arrive within one event-loop iteration as one message per client.
Its `NoteWriter` (`writer.py`) stores every change within a fraction of a second.

With peer sync on (the Redis channel layer), the rooms of one note in different
processes relay their changes over the channel layer and exchange state vectors
every few seconds, so a dropped message heals (see `peers.py`). While a room is
not linked to its peers (the channel layer is down), it reads what the other
processes stored instead (`catch_up`), so they still converge, through the database.

Everything here runs on the event loop: no locks, and the document is only
touched between awaits. Database work goes to worker threads through `run_db`.
"""

import asyncio
import logging
import time

from channels.layers import InMemoryChannelLayer, get_channel_layer
from pycrdt import Doc, Text, merge_updates

from . import persistence
from .base import PEER, SERVER, STORE, NoteGone, UpdateRejected
from .conf import live_setting
from .connection import Connection
from .peers import PeerLink
from .persistence import CONTENT, run_db
from .presence import PresenceTracker
from .protocol import (
    AWARENESS_REMOVED,
    EMPTY_UPDATE,
    KIND_AWARENESS,
    KIND_QUERY_AWARENESS,
    KIND_STEP1,
    KIND_STEP2,
    KIND_UPDATE,
    ProtocolError,
    decode_awareness,
    decode_message,
    encode_awareness,
    encode_permission_denied,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)
from .writer import NoteWriter

log = logging.getLogger("notes.live")


__all__ = ["PEER", "SERVER", "NoteGone", "Room", "RoomRegistry", "UpdateRejected"]

_NOT_SWALLOWED = (KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit)


def _is_newer(clock: int, state: str, current: list) -> bool:
    """y-protocols' rule: a higher clock wins; at equal clocks only a removal does."""
    if clock != current[0]:
        return clock > current[0]
    return state == AWARENESS_REMOVED and current[1] != AWARENESS_REMOVED


def apply_text_edits(ytext: Text, current: str, changes) -> None:
    """Apply `(index, length, insert)` edits, in Python string indices into `current`
    (the text's value), to a pycrdt Text; call it inside one transaction."""
    # From the end, so that each index is still the text's own; pycrdt counts UTF-8 bytes.
    for index, length, insert in sorted(changes, reverse=True):
        start = len(current[:index].encode())
        if length:
            del ytext[start : start + len(current[index : index + length].encode())]
        if insert:
            ytext.insert(start, insert)


# --- The room -------------------------------------------------------------------------


class Room:
    def __init__(self, registry: "RoomRegistry", note_id: int):
        self.registry = registry
        self.loop = registry.loop
        self.note_id = note_id
        self.doc = Doc()
        self.text = self.doc.get(CONTENT, type=Text)
        self.clients: dict[Connection, None] = {}  # insertion-ordered set
        # client id -> [clock, state JSON, monotonic time last heard of]
        self.awareness: dict[int, list] = {}
        self.version = 0  # bumped on every real change (caches key on it)
        self.ready: asyncio.Future | None = None
        self.loaded = False  # the stored state is applied
        self.closed = False
        self.writer = NoteWriter(
            note_id=note_id, text=self.text, loop=self.loop, before_markdown=self.catch_up
        )

        self._origin = None
        self._out: list[bytes] = []
        self._out_origins: set = set()
        self._aw_out: dict[int, tuple[int, str]] = {}
        self._aw_origins: set = set()
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        self._unload_timer: asyncio.TimerHandle | None = None
        self._subscription = None
        # Who is here and who writes, for pages not connected to the note (presence.py).
        self.presence = PresenceTracker(self)

    def __repr__(self) -> str:
        return f"<Room note={self.note_id} clients={len(self.clients)}>"

    # --- lifecycle ---

    async def load(self) -> None:
        state = await run_db(persistence.load_note_state, note_id=self.note_id)
        if state is None:
            raise NoteGone(self.note_id)
        try:
            self.doc.apply_update(state.update)
        except Exception:
            log.exception("stored state of note %s does not apply", self.note_id)
            raise
        # Observe only now: what was loaded is stored already.
        self._subscription = self.doc.observe(self._on_change)
        self.loaded = True
        self.writer.start(tail_rows=state.tail_rows, markdown=state.markdown)
        if self.registry.peers is not None:
            # Never fails: a room whose link cannot be made now keeps retrying.
            self.registry.peers.join(self)
        log.debug("loaded note %s (%s log rows)", self.note_id, state.tail_rows)

    def join(self, conn: Connection) -> None:
        """Add a client. Call it right after `get_room` returns, before any await,
        so that the room cannot be unloaded in between."""
        self.clients[conn] = None
        if self._unload_timer is not None:
            self._unload_timer.cancel()
            self._unload_timer = None

    def greet(self, conn: Connection) -> None:
        """Tell a newly accepted client who is here."""
        states = self.awareness_entries()
        if states:
            conn.send(encode_awareness(states))

    def leave(self, conn: Connection) -> None:
        if conn not in self.clients:
            return
        del self.clients[conn]
        removed = []
        for client_id in conn.awareness_ids:
            current = self.awareness.get(client_id)
            if current is not None and current[1] != AWARENESS_REMOVED:
                removed.append((client_id, current[0] + 1, AWARENESS_REMOVED))
        conn.awareness_ids.clear()
        if removed:
            self.apply_awareness(removed, origin=conn)
        self.presence.left(conn)
        if not self.clients:
            # Store the final text and a revision now, then unload after a while.
            self.writer.request_markdown(force_revision=True)
            self._schedule_unload()

    def _schedule_unload(self) -> None:
        if self._unload_timer is not None:
            self._unload_timer.cancel()
        self._unload_timer = self.loop.call_later(live_setting("IDLE_UNLOAD"), self._maybe_unload)

    def _maybe_unload(self) -> None:
        self._unload_timer = None
        if self.clients or self.closed:
            return
        if self.writer.busy:
            self._schedule_unload()  # still writing: try again later
            return
        self.registry.forget(self)
        self.close()

    def close(self) -> None:
        """Stop background work; only when everything is stored (or at shutdown)."""
        self.closed = True
        for handle in (self._flush_handle, self._unload_timer):
            if handle is not None:
                handle.cancel()
        self.writer.close()
        self.presence.close()
        if self._subscription is not None:
            self.doc.unobserve(self._subscription)
            self._subscription = None
        if self.registry.peers is not None:
            self.registry.peers.leave(self)

    # --- messages from clients ---

    def receive(self, conn: Connection, data: bytes) -> None:
        """Handle one frame from `conn`; raises ProtocolError or UpdateRejected."""
        message = decode_message(data)
        kind = message.kind
        if kind is KIND_UPDATE or kind is KIND_STEP2:
            self._client_update(conn, message.payload)
        elif kind is KIND_STEP1:
            try:
                diff = self.doc.get_update(message.payload)
            except ValueError as exc:
                raise ProtocolError("sync step 1 holds no valid state vector") from exc
            conn.send(encode_sync_step2(diff))
            conn.send(encode_sync_step1(self.doc.get_state()))
        elif kind is KIND_AWARENESS:
            self.apply_awareness(decode_awareness(message.payload), origin=conn)
        elif kind is KIND_QUERY_AWARENESS:
            conn.send(encode_awareness(self.awareness_entries()))
        # auth messages from a client carry nothing for the server

    def _client_update(self, conn: Connection, update: bytes) -> None:
        if update == EMPTY_UPDATE:
            return
        if not conn.can_write:
            if not conn.told_read_only:
                conn.told_read_only = True
                conn.send(encode_permission_denied("read-only"))
            return
        self.apply_update(update, origin=conn)
        self.presence.edited(conn)
        if not conn.contributed:
            conn.contributed = True
            self.writer.contributor(user_id=conn.user_id, name=conn.name)

    def apply_update(self, update: bytes, *, origin) -> None:
        """Apply an update; the real changes it makes are fanned out and stored."""
        self._origin = origin
        try:
            self.doc.apply_update(update)
        except ValueError as exc:
            raise UpdateRejected(str(exc)) from exc
        except BaseException as exc:
            # pyo3 panics (PanicException derives from BaseException).
            if isinstance(exc, _NOT_SWALLOWED):
                raise
            raise UpdateRejected(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._origin = None

    def _on_change(self, event) -> None:
        update = event.update
        if update == EMPTY_UPDATE:
            return
        origin = self._origin
        self.version += 1
        self._out.append(update)
        self._out_origins.add(origin)
        if origin is STORE:
            # Stored already, by the process that relays it.
            self.writer.text_changed()
        else:
            # Changes from peers are stored here too: a peer that dies before its
            # append cannot lose what this process holds.
            self.writer.store(update)
            if origin is not PEER and self.registry.peers is not None:
                self.registry.peers.publish_update(self, update)
        self._schedule_flush()

    def apply_awareness(self, entries, *, origin) -> None:
        now = time.monotonic()
        accepted = []
        for client_id, clock, state in entries:
            current = self.awareness.get(client_id)
            if current is not None and not _is_newer(clock, state, current):
                continue  # stale or already known
            self.awareness[client_id] = [clock, state, now]
            if isinstance(origin, Connection):
                if state == AWARENESS_REMOVED:
                    origin.awareness_ids.discard(client_id)
                else:
                    origin.awareness_ids.add(client_id)
            accepted.append((client_id, clock, state))
            self._aw_out[client_id] = (clock, state)
        if not accepted:
            return
        if isinstance(origin, Connection):
            self.presence.changed()
        self._aw_origins.add(origin)
        if origin is not PEER and self.registry.peers is not None:
            self.registry.peers.publish_awareness(self, accepted)
        self._schedule_flush()

    def awareness_entries(self) -> list[tuple[int, int, str]]:
        """Every live (non-removed, recently renewed) awareness state."""
        oldest = time.monotonic() - live_setting("AWARENESS_TIMEOUT")
        return [
            (client_id, clock, state)
            for client_id, (clock, state, seen) in self.awareness.items()
            if state != AWARENESS_REMOVED and seen >= oldest
        ]

    # --- fan-out ---

    def _schedule_flush(self) -> None:
        if self._flush_handle is None:
            gap = live_setting("FANOUT_SECONDS_PER_CLIENT") * len(self.clients)
            due = self._last_flush + gap
            if self.loop.time() >= due:
                self._flush_handle = self.loop.call_soon(self._flush)
            else:
                self._flush_handle = self.loop.call_at(due, self._flush)

    def _flush(self) -> None:
        """Send what arrived since the last flush as one message per client.

        The flush runs in the next loop iteration, so what arrives within one
        iteration goes out together at no added latency. Under load, flushes are
        at least FANOUT_SECONDS_PER_CLIENT × clients apart, so the sends of a busy
        room stay bounded however many people type, and cost grows with
        clients × batches, not clients × keystrokes.
        """
        self._flush_handle = None
        self._last_flush = self.loop.time()
        if self._out:
            updates, origins = self._out, self._out_origins
            self._out, self._out_origins = [], set()
            merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
            self._fan_out(encode_update(merged), origins)
            self.writer.wake()
        if self._aw_out:
            entries = [(cid, clock, state) for cid, (clock, state) in self._aw_out.items()]
            origins = self._aw_origins
            self._aw_out, self._aw_origins = {}, set()
            self._fan_out(encode_awareness(entries), origins)

    def _fan_out(self, message: bytes, origins: set) -> None:
        # A client gets its own changes back only when they are merged with
        # others' (harmless in a CRDT; cheaper than one merge per sender).
        skip = next(iter(origins)) if len(origins) == 1 else None
        for conn in list(self.clients):
            if conn is not skip:
                conn.send(message)

    # --- storage ---

    async def flushed(self) -> None:
        """Wait until every change so far is stored (updates, Markdown requested)."""
        await self.writer.flushed()

    @property
    def linked(self) -> bool:
        """Whether changes reach the rooms of this note in other processes."""
        return self.registry.peers is None or self.registry.peers.linked(self)

    async def catch_up(self, *, force: bool = False) -> None:
        """While not linked to its peers (or when `force`d), take in what other
        processes stored.

        Every process appends the changes it receives to the shared log, so the
        stored document is the union of what all of them hold; applying it here
        adds only what this room lacks (and fans that out to its clients).
        """
        if self.closed or (self.linked and not force):
            return
        state = await run_db(persistence.load_note_state, note_id=self.note_id)
        if state is None or self.closed:
            return
        try:
            self.apply_update(state.update, origin=STORE)
        except UpdateRejected as exc:
            log.error("note %s: stored state does not apply: %s", self.note_id, exc)

    # --- changes made by the server ---

    def replace_text(self, markdown: str) -> None:
        """Replace the whole text (imports, admin) as one change all clients receive."""
        # Observers run when the transaction commits: keep the origin set until then.
        self._origin = SERVER
        try:
            with self.doc.transaction():
                self.text.clear()
                if markdown:
                    self.text.insert(0, markdown)
        finally:
            self._origin = None
        self.writer.request_markdown(force_revision=True)

    def edit_text(self, edit):
        """Apply `edit(current text)` — a list of `(index, length, insert)` in Python
        string indices, or None — as one change all clients receive, and return it.

        Computed from the text as this room has it now, so concurrent typing is kept:
        only the characters named are replaced (a server-side edit such as a tick).
        """
        text = str(self.text)
        changes = edit(text)
        if not changes:
            return changes
        self._origin = SERVER
        try:
            with self.doc.transaction():
                apply_text_edits(self.text, text, changes)
        finally:
            self._origin = None
        self.writer.request_markdown(force_revision=False)
        return changes


# --- The per-process registry -----------------------------------------------------------


class RoomRegistry:
    """The rooms of one process (one event loop)."""

    def __init__(self, *, peer_sync: bool | None = None, channel_layer=None):
        self.loop = asyncio.get_running_loop()
        self.rooms: dict[int, Room] = {}
        if peer_sync is None:
            peer_sync = live_setting("PEER_SYNC")
        if peer_sync is None or peer_sync:
            layer = channel_layer or get_channel_layer()
            if peer_sync is None:
                peer_sync = layer is not None and not isinstance(layer, InMemoryChannelLayer)
            self.peers = PeerLink(self, layer) if peer_sync else None
        else:
            self.peers = None

    async def get_room(self, note_id: int) -> Room:
        """The loaded room of a note; raises NoteGone for unknown notes."""
        room = self.rooms.get(note_id)
        if room is None:
            room = Room(self, note_id)
            self.rooms[note_id] = room
            room.ready = self.loop.create_task(room.load())
            room.ready.add_done_callback(lambda task, room=room: self._loaded(room, task))
        await asyncio.shield(room.ready)
        return room

    def _loaded(self, room: Room, task: asyncio.Task) -> None:
        if task.cancelled() or task.exception() is not None:
            self.forget(room)
            room.close()

    def forget(self, room: Room) -> None:
        if self.rooms.get(room.note_id) is room:
            del self.rooms[room.note_id]

    def room_if_open(self, note_id: int) -> Room | None:
        room = self.rooms.get(note_id)
        if room is None or room.ready is None or not room.ready.done():
            return None
        if room.ready.cancelled() or room.ready.exception() is not None:
            return None
        return room

    def unsynced(self) -> list[dict]:
        """Open rooms not linked to their peers in other processes (for /readyz)."""
        return [] if self.peers is None else self.peers.unsynced()

    def close(self) -> None:
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
        if self.peers is not None:
            self.peers.close()


_registries: dict[asyncio.AbstractEventLoop, RoomRegistry] = {}


def current_registry() -> RoomRegistry:
    """The registry of the running event loop (one per process under uvicorn)."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        # Forget registries of closed loops (each test has its own loop).
        for old in [old for old in _registries if old.is_closed()]:
            del _registries[old]
        registry = _registries[loop] = RoomRegistry()
    return registry


def registry_for_loop(loop: asyncio.AbstractEventLoop) -> RoomRegistry | None:
    return _registries.get(loop)


def all_registries() -> list[RoomRegistry]:
    return [registry for loop, registry in _registries.items() if not loop.is_closed()]
