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
import contextlib
import json
import logging
import time
from dataclasses import dataclass

from channels.layers import InMemoryChannelLayer, get_channel_layer
from pycrdt import Doc, Text, merge_updates

from . import persistence
from .base import (
    CLOSE_FLOOD,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RECONNECT,
    CLOSE_TOO_LARGE,
    PEER,
    SERVER,
    STORE,
    NoteGone,
    Refused,
    UpdateRejected,
)
from .conf import live_setting
from .connection import Connection, server_frame
from .limits import ConnectionCounts
from .livestats import TOTALS, StatsTicker
from .metrics import observe_fanout
from .peers import PeerLink
from .persistence import CONTENT, run_db
from .policy import NoteAccess, get_policy
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
    decode_awareness_values,
    decode_message,
    encode_awareness,
    encode_permission_denied,
    encode_permission_granted,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)
from .writer import Appends, NoteWriter
from .yjs import update_clients

log = logging.getLogger("notes.live")


__all__ = ["PEER", "SERVER", "NoteGone", "Refused", "Room", "RoomRegistry", "UpdateRejected"]

CLOSE_GOING_AWAY = 1001

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


def _with_name(state: str, value, name: str) -> str:
    """The awareness state `state` (decoded: `value`) showing `name` as its user's name.

    Editors draw a cursor label and a presence entry from `user.name`; the server
    sets it to the name the connection is credited under, so no one can appear as
    somebody else (and guests appear as guests). A state without a `user` object
    shows no name, and is left alone; our editor sends the right name, so this
    re-encodes only for other clients.
    """
    user = value.get("user") if isinstance(value, dict) else None
    if not isinstance(user, dict) or user.get("name") == name:
        return state
    return json.dumps({**value, "user": {**user, "name": name}}, ensure_ascii=False)


def _amount(size: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"


def _ask_policy(*, note_id: int, users: dict) -> dict:
    """The policy's answer for each of `users` ({key: user}), in a worker thread."""
    policy = get_policy()
    return {key: policy.access(user=user, note_id=note_id) for key, user in users.items()}


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
        self.edits = 0  # updates applied from this process's clients (livestats)
        # Yjs client ids whose author this room has recorded (or found recorded).
        self.known_clients: set[int] = set()
        self.authorship = live_setting("AUTHORSHIP")
        self.ready: asyncio.Future | None = None
        self.loaded = False  # the stored state is applied
        self.closed = False
        # Dropped whole after a change it could neither store nor refuse (see
        # _client_update); a new room of the note loads once this one is stored.
        self.discarded = False
        self.max_note_bytes = live_setting("MAX_NOTE_BYTES")
        self.max_document_bytes = live_setting("MAX_DOCUMENT_BYTES")
        # An upper bound of the document's encoded size: the stored state, plus every
        # change since (recomputed exactly when it passes the cap; see _client_update).
        self.document_bytes = 0
        self.max_awareness = live_setting("MAX_AWARENESS_PER_CONNECTION")
        self.max_awareness_bytes = live_setting("MAX_AWARENESS_STATE_BYTES")
        # A client's insertion, held by _on_change until _client_update has measured
        # the text it leaves (the text cannot be read inside pycrdt's observer).
        self._hold = False
        self._held: bytes | None = None
        self._recheck: asyncio.Task | None = None
        self._recheck_again = False
        self.writer = NoteWriter(
            note_id=note_id,
            text=self.text,
            loop=self.loop,
            appends=registry.appends,
            before_markdown=self.catch_up,
            markdown_interval=lambda: markdown_interval(len(registry.rooms)),
        )

        self._origin = None
        self._out: list[bytes] = []
        self._out_origins: set = set()
        self._aw_out: dict[int, tuple[int, str]] = {}
        self._aw_origins: set = set()
        self._flush_handle: asyncio.Handle | None = None
        self._last_flush = 0.0
        # fanout_gap for the clients now here: worked out when they join or leave, not
        # at every flush (two settings reads per keystroke, ~1 % of a worker's CPU).
        self._fanout_gap = 0.0
        self._out_since = 0.0  # loop time of the oldest change waiting for the flush
        self._unload_timer: asyncio.TimerHandle | None = None
        self._subscription = None
        # Who is here and who writes, for pages not connected to the note (presence.py).
        self.presence = PresenceTracker(self)

    def __repr__(self) -> str:
        return f"<Room note={self.note_id} clients={len(self.clients)}>"

    # --- lifecycle ---

    async def load(self, *, after: asyncio.Future | None = None) -> None:
        if after is not None:
            # A discarded room of this note is still storing what it accepted.
            with contextlib.suppress(Exception):
                await asyncio.shield(after)
        state = await run_db(persistence.load_note_state, note_id=self.note_id)
        if state is None:
            raise NoteGone(self.note_id)
        try:
            self.doc.apply_update(state.update)
        except Exception:
            log.exception("stored state of note %s does not apply", self.note_id)
            raise
        self.document_bytes = len(state.update)
        # Observe only now: what was loaded is stored already.
        self._subscription = self.doc.observe(self._on_change)
        self.loaded = True
        self.writer.start(tail_rows=state.tail_rows, markdown=state.markdown)
        if str(self.text) != state.markdown:
            # Edits the stored Markdown missed (its writer stopped before refreshing it).
            self.writer.request_markdown(force_revision=False)
        if self.registry.peers is not None:
            # Never fails: a room whose link cannot be made now keeps retrying.
            self.registry.peers.join(self)
        log.debug("loaded note %s (%s log rows)", self.note_id, state.tail_rows)

    def join(self, conn: Connection) -> None:
        """Add a client. Call it right after `get_room` returns, before any await,
        so that the room cannot be unloaded in between."""
        self.clients[conn] = None
        self._fanout_gap = fanout_gap(len(self.clients))
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
        self._fanout_gap = fanout_gap(len(self.clients))
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
        if self.closed:
            return
        self.closed = True
        for handle in (self._flush_handle, self._unload_timer):
            if handle is not None:
                handle.cancel()
        self.writer.close()
        self.presence.close()
        if self._recheck is not None:
            self._recheck.cancel()
        if self._subscription is not None:
            self.doc.unobserve(self._subscription)
            self._subscription = None
        if self.registry.peers is not None:
            self.registry.peers.leave(self)

    # --- messages from clients ---

    def receive(self, conn: Connection, data: bytes) -> None:
        """Handle one frame from `conn`; raises ProtocolError, UpdateRejected or Refused."""
        TOTALS.frames_in += 1
        TOTALS.bytes_in += len(data)
        message = decode_message(data)
        kind = message.kind
        if kind is KIND_UPDATE or kind is KIND_STEP2:
            self._client_update(conn, message.payload)
        elif kind is KIND_STEP1:
            # The only request whose answer grows with the document: budgeted.
            if not conn.replies.allow():
                raise Refused(CLOSE_FLOOD, "too many sync requests")
            try:
                diff = self.doc.get_update(message.payload)
            except ValueError as exc:
                raise ProtocolError("sync step 1 holds no valid state vector") from exc
            step2 = encode_sync_step2(diff)
            step1 = encode_sync_step1(self.doc.get_state())
            conn.replies.spend(len(step2) + len(step1))
            conn.send(step2)
            conn.send(step1)
        elif kind is KIND_AWARENESS:
            self._client_awareness(conn, decode_awareness_values(message.payload))
        elif kind is KIND_QUERY_AWARENESS:
            if not conn.replies.allow():
                raise Refused(CLOSE_FLOOD, "too many presence requests")
            reply = encode_awareness(self.awareness_entries())
            conn.replies.spend(len(reply))
            conn.send(reply)
        # auth messages from a client carry nothing for the server

    def _client_update(self, conn: Connection, update: bytes) -> None:
        if update == EMPTY_UPDATE:
            return
        if not conn.can_write:
            if not conn.told_read_only:
                conn.told_read_only = True
                conn.send(encode_permission_denied(conn.read_only_reason or "read-only"))
            return
        # The size cap. pycrdt applies an update whole and cannot take it back, so
        # the check comes first, from two facts: an update carries the text it
        # inserts literally (UTF-8, as `len(text)` counts it), so its own insertions
        # grow the text by less than its length; and an update whose first byte is 0
        # has no structs at all (it only deletes). It refuses a little early (an
        # update's bookkeeping counts as text).
        if not update[0]:
            self.apply_update(update, origin=conn)
        else:
            cap = self.max_note_bytes
            self._hold = True
            try:
                # One transaction for both measures and the update: a transaction of
                # its own per measure would cost as much as applying the update.
                with self.doc.transaction():
                    if len(self.text) + len(update) > cap:
                        raise Refused(
                            CLOSE_TOO_LARGE,
                            f"this note is full ({_amount(cap)} of text): "
                            "your last change was not saved",
                        )
                    self._check_document_size(len(update))
                    self.apply_update(update, origin=conn)
                    grown_past_cap = len(self.text) > cap
            finally:
                self._hold = False
            held, self._held = self._held, None
            if held is not None and grown_past_cap:
                # Only a crafted client gets here: pycrdt keeps structs whose
                # dependencies are missing and integrates them when these arrive, so
                # an update can release more text than it carries. Its change was
                # neither sent nor stored, but the document holds it: drop the room
                # (see _discard) rather than let it leak through a later sync.
                self._discard(culprit=conn)
                raise Refused(CLOSE_TOO_LARGE, "this note is full: your last change was not saved")
            if held is not None:
                self._changed(held, conn)
            if self.authorship:
                self._note_authors(conn, update)
        self.edits += 1
        TOTALS.updates_in += 1
        self.presence.edited(conn)
        if not conn.contributed:
            conn.contributed = True
            self.writer.contributor(user_id=conn.user_id, name=conn.name, guest_key=conn.guest_key)

    def _note_authors(self, conn: Connection, update: bytes) -> None:
        """The first connection to bring a client id's items is its author. An edit
        holds one client, read from its first bytes (see update_clients); only ids new
        to this room are written."""
        for client_id in update_clients(update):
            if client_id not in self.known_clients:
                self.known_clients.add(client_id)
                self.writer.client_author(
                    client_id=client_id,
                    user_id=conn.user_id,
                    guest_key=conn.guest_key,
                    name=conn.name,
                )

    def _check_document_size(self, growth: int) -> None:
        """The text cap does not see content a crafted client puts outside the text (a
        root type of its own): cap the whole document too. `document_bytes` only grows
        (deletions shrink the real size), so when it passes the cap it is measured
        again, exactly: an encoding of the whole document, once per cap's worth of
        changes at most, unless the document really is that full."""
        if self.document_bytes + growth <= self.max_document_bytes:
            return
        self.document_bytes = len(self.doc.get_update())
        if self.document_bytes + growth > self.max_document_bytes:
            raise Refused(
                CLOSE_TOO_LARGE,
                f"this note's document is full ({_amount(self.max_document_bytes)}): "
                "your last change was not saved",
            )

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
        if update == EMPTY_UPDATE or self.discarded:
            return
        if self._hold:
            self._held = update  # see _client_update
            return
        self._changed(update, self._origin)

    def _changed(self, update: bytes, origin) -> None:
        """A real change to the document: fan it out and store it."""
        self.version += 1
        self.document_bytes += len(update)
        if not self._out:
            self._out_since = self.loop.time()
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

    def _client_awareness(self, conn: Connection, entries) -> None:
        """Presence from a client: at most MAX_AWARENESS_PER_CONNECTION states of at
        most MAX_AWARENESS_STATE_BYTES each, showing the connection's own name."""
        limit, max_bytes = self.max_awareness, self.max_awareness_bytes
        owned = conn.awareness_ids
        new_ids = set()
        accepted = []
        name = conn.presence_name
        for client_id, clock, state, value in entries:
            if state != AWARENESS_REMOVED:
                if len(state) > max_bytes:
                    raise Refused(CLOSE_TOO_LARGE, "presence state too large")
                if client_id not in owned:
                    new_ids.add(client_id)
                if name:  # a connection of unknown identity shows what it says
                    state = _with_name(state, value, name)
            accepted.append((client_id, clock, state))
        if len(owned) + len(new_ids) > limit:
            raise Refused(CLOSE_FLOOD, f"too many presence states (at most {limit})")
        self.apply_awareness(accepted, origin=conn)

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
            due = self._last_flush + self._fanout_gap
            if self.loop.time() >= due:
                self._flush_handle = self.loop.call_soon(self._flush)
            else:
                self._flush_handle = self.loop.call_at(due, self._flush)

    def _flush(self) -> None:
        """Send what arrived since the last flush as one message per client.

        The flush runs in the next loop iteration, so what arrives within one
        iteration goes out together at no added latency. Under load, the flushes of
        a big room are at least FANOUT_SECONDS_PER_CLIENT × (clients −
        FANOUT_FREE_CLIENTS) apart, so its sends stay bounded however many people
        type, and cost grows with clients × batches, not clients × keystrokes.
        """
        self._flush_handle = None
        self._last_flush = self.loop.time()
        if self._out:
            updates, origins = self._out, self._out_origins
            self._out, self._out_origins = [], set()
            merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
            observe_fanout(self._last_flush - self._out_since)
            TOTALS.updates_out += self._fan_out(encode_update(merged), origins)
            self.writer.wake()
        if self._aw_out:
            entries = [(cid, clock, state) for cid, (clock, state) in self._aw_out.items()]
            origins = self._aw_origins
            self._aw_out, self._aw_origins = {}, set()
            self._fan_out(encode_awareness(entries), origins)

    def _fan_out(self, message: bytes, origins: set) -> int:
        """Send `message` to every client but a lone origin; returns how many got it."""
        # A client gets its own changes back only when they are merged with
        # others' (harmless in a CRDT; cheaper than one merge per sender).
        skip = next(iter(origins)) if len(origins) == 1 else None
        clients = list(self.clients)
        frame = server_frame(message)  # the same bytes for every client (connection.py)
        for conn in clients:
            if conn is not skip:
                conn.send(message, frame)
        sent = len(clients) - (skip in self.clients)
        TOTALS.bytes_out += sent * len(message)
        return sent

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

    # --- who may write: asked again when the note's rules change ---

    def recheck_access(self) -> None:
        """Ask the policy again for every open connection, and apply its answers
        (`set_access`). Call after a change of the rules (the note locked, its event
        archived): coalesced, so a burst of changes costs one or two rounds."""
        if self._recheck is not None:
            self._recheck_again = True
            return
        if not self.clients or self.closed:
            return
        self._recheck = self.loop.create_task(self._recheck_access())

    async def _recheck_access(self) -> None:
        try:
            again = True
            while again and not self.closed:
                self._recheck_again = False
                conns = [conn for conn in self.clients if not conn.closed]
                # The answer depends on the user only: ask once per user (guests share one).
                users = {conn.user_id: conn.user for conn in conns}
                answers = await run_db(_ask_policy, note_id=self.note_id, users=users)
                for conn in conns:
                    if conn in self.clients:
                        self.set_access(conn, answers[conn.user_id])
                again = self._recheck_again
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("note %s: asking the policy again failed", self.note_id)
        finally:
            self._recheck = None

    def set_access(self, conn: Connection, access: NoteAccess | None) -> None:
        """Apply the policy's answer to an open connection: it is closed if it may no
        longer read; it is told at once when it loses or regains write permission."""
        if access is None:
            conn.close(CLOSE_NOT_FOUND, "no such note")
        elif not access.can_read:
            conn.close(CLOSE_FORBIDDEN, access.read_only_reason or "not allowed")
        elif conn.can_write and not access.can_write:
            conn.can_write = False
            conn.read_only_reason = access.read_only_reason or "read-only"
            conn.told_read_only = True
            conn.send(encode_permission_denied(conn.read_only_reason))
        elif not conn.can_write and access.can_write:
            conn.can_write = True
            conn.read_only_reason = ""
            conn.told_read_only = False
            conn.send(encode_permission_granted())
            # Ask the client for what it has and we refused meanwhile (typed before
            # it heard it was read-only): it answers with sync step 2.
            conn.send(encode_sync_step1(self.doc.get_state()))

    # --- dropping a room whole ---

    def _discard(self, *, culprit: Connection) -> None:
        """Drop this room: its document holds a change that must be neither sent nor
        stored. Every client is closed with 1013 (they reconnect and resync, losing
        nothing: a CRDT client keeps its edits); what the room accepted before is
        stored, then a fresh room loads the note from the database."""
        log.warning("note %s: dropping its room (a client grew it past its cap)", self.note_id)
        self.discarded = True
        self.writer.keep_markdown()  # the text is not the note's any more
        for conn in list(self.clients):
            if conn is not culprit:  # which gets its own reason
                conn.close(CLOSE_RECONNECT, "the note was reloaded: reconnect to resync")
        self.registry.retire(self)

    # --- changes made by the server ---

    def snapshot(self) -> "TextState":
        return TextState(text=str(self.text), state_vector=self.doc.get_state())

    def replace_text(self, markdown: str) -> "Replacement | None":
        """Make the text read `markdown` (imports, admin, restores): one change, made of
        word-level edits, that every client receives. None when it already reads so.

        The change is made by a client id of its own (a scratch copy of the document),
        so that authorship can name who it was made for.
        """
        scratch = Doc()
        scratch.get(CONTENT, type=Text)
        scratch.apply_update(self.doc.get_update())
        update = persistence.edit_text(scratch, markdown)
        if update is None:
            return None
        self.apply_update(update, origin=SERVER)
        self.writer.request_markdown(force_revision=False)
        return Replacement(client_id=scratch.client_id, after=self.snapshot())

    async def replace_text_held(self, markdown: str, *, handed, release) -> None:
        """`replace_text` for a caller in another thread that records it (revisions,
        authorship) in the database itself: (text before, Replacement or None) is
        handed over in `handed` (a concurrent.futures.Future) while the writer is held,
        until the caller sets `release` (or a minute passes). No write of the room then
        comes between the change and the caller's records, and the text before is
        read in the same step as the change is made: a revision of it loses nothing.
        """
        async with self.writer.lock:
            before = self.snapshot()
            try:
                replaced = self.replace_text(markdown)
            except BaseException as exc:
                handed.set_exception(exc)
                raise
            handed.set_result((before, replaced))
            if replaced is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.wrap_future(release), 60)

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


@dataclass(frozen=True)
class TextState:
    text: str
    state_vector: bytes


@dataclass(frozen=True)
class Replacement:
    client_id: int  # the Yjs client id that made the change
    after: TextState


def fanout_gap(clients: int) -> float:
    """The least time between two fan-outs of a room of `clients` (see Room._flush)."""
    over = clients - live_setting("FANOUT_FREE_CLIENTS")
    return live_setting("FANOUT_SECONDS_PER_CLIENT") * over if over > 0 else 0.0


def markdown_interval(rooms: int) -> float:
    """Seconds from an edit to the Markdown refresh of its room, with `rooms` open in
    the process (see MARKDOWN_REFRESHES_PER_SECOND)."""
    return max(
        live_setting("MARKDOWN_INTERVAL"), rooms / live_setting("MARKDOWN_REFRESHES_PER_SECOND")
    )


# --- The per-process registry -----------------------------------------------------------


class RoomRegistry:
    """The rooms of one process (one event loop)."""

    def __init__(self, *, peer_sync: bool | None = None, channel_layer=None):
        self.loop = asyncio.get_running_loop()
        self.rooms: dict[int, Room] = {}
        # Discarded rooms still storing what they accepted, by note.
        self._retiring: dict[int, asyncio.Task] = {}
        # Bumped by every access change: a connection that asked the policy before a
        # change and joined its room after it asks again (see consumers.note_socket).
        self.access_epoch = 0
        self.connection_counts = ConnectionCounts()
        # Set by `drain` (SIGTERM): /readyz says not ready, new connections are refused.
        self.draining = False
        self.ticker = StatsTicker(self)
        # The rooms' micro-batches that only append go to the database together.
        self.appends = Appends(self.loop)
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
            self.ticker.start()
            room.ready = self.loop.create_task(room.load(after=self._retiring.get(note_id)))
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

    def retire(self, room: Room) -> None:
        """Forget a discarded room now, and close it once it has stored everything."""
        self.forget(room)

        async def retire() -> None:
            try:
                await asyncio.wait_for(room.flushed(), 30)
            except TimeoutError:
                log.error("note %s: a discarded room could not store in 30 s", room.note_id)
            finally:
                room.close()
                if self._retiring.get(room.note_id) is task:
                    del self._retiring[room.note_id]

        task = self._retiring[room.note_id] = self.loop.create_task(retire())

    def access_changed(self, note_id: int) -> None:
        """The rules of a note changed: its open connections ask the policy again."""
        self.access_epoch += 1
        room = self.room_if_open(note_id)
        if room is not None:
            room.recheck_access()

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

    async def drain(self, *, within: float) -> list[int]:
        """Shut down gracefully: refuse new connections, close every client with 1001
        (it reconnects to another process), and wait until everything received is
        stored. Returns the notes whose storage did not finish within `within`
        (their updates are also held by the clients and by peer processes)."""
        self.draining = True
        rooms = list(self.rooms.values())
        for room in rooms:
            for conn in list(room.clients):
                conn.close(CLOSE_GOING_AWAY, "server shutting down; reconnect")
        pending = {room.note_id: asyncio.ensure_future(room.flushed()) for room in rooms}
        # Discarded rooms still storing what they accepted are waited for too.
        retiring = list(self._retiring.values())
        if pending or retiring:
            await asyncio.wait([*pending.values(), *retiring], timeout=within)
        late = [note_id for note_id, task in pending.items() if not task.done()]
        for task in pending.values():
            task.cancel()
        if self.peers is not None:
            await self.peers.flush(within=min(within, live_setting("PEER_TIMEOUT")))
        return late

    def close(self) -> None:
        self.ticker.stop()
        for room in list(self.rooms.values()):
            room.close()
        self.rooms.clear()
        self.connection_counts.close()
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
