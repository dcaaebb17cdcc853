"""Keeping the rooms of one note in several processes in sync over the channel layer.

Each process has ONE channel of its own and one background task receiving from
it; each open room adds that channel to the group `notes.<note id>` (one
subscription per room per process, not per connection). Messages:

    {"k": "u",  "n": note, "o": sender, "d": update}         changes made here
    {"k": "a",  "n": note, "o": sender, "d": awareness}      presence changes made here
    {"k": "sv", "n": note, "o": sender, "sv": state vector,
     "ds": delete-set digest, "r": reply wanted}             "this is what I have"

Redis pub/sub may drop messages (a slow subscriber is disconnected, a network
blip). Every process therefore announces its state vector and delete-set digest
for each open room every few seconds and right after joining; a peer that has
something the announcer lacks sends it the missing diff directly, and asks back
(`r`) when it lacks something itself. Applying an update twice is harmless, so
healing never needs to know exactly what was lost.

Changes are stored by every process whose document integrates them (see
`Room._on_change`), so a process dying before its append cannot lose what a
peer already holds.
"""

import asyncio
import logging

from .conf import live_setting
from .protocol import (
    EMPTY_UPDATE,
    ProtocolError,
    decode_awareness,
    decode_state_vector,
    delete_set_digest,
    encode_awareness_update,
)
from .room import PEER, UpdateRejected, jitter

log = logging.getLogger("notes.live")

MESSAGE_TYPE = "notes.peer"


def group_name(note_id: int) -> str:
    return f"notes.{note_id}"


class PeerLink:
    def __init__(self, registry, layer):
        self.registry = registry
        self.layer = layer
        self.channel: str | None = None
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._outbox: dict[int, tuple[list[bytes], dict]] = {}
        self._senders: dict[int, asyncio.Task] = {}
        self._digests: dict[int, tuple[int, bytes, bytes]] = {}

    async def _ensure_started(self) -> None:
        async with self._start_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("notes.")
                loop = asyncio.get_running_loop()
                self._tasks = [
                    loop.create_task(self._receive_loop()),
                    loop.create_task(self._announce_loop()),
                ]

    def close(self) -> None:
        for task in [*self._tasks, *self._senders.values()]:
            task.cancel()
        self._tasks, self._senders = [], {}

    # --- membership ---

    async def join(self, room) -> None:
        await self._ensure_started()
        await self.layer.group_add(group_name(room.note_id), self.channel)
        # Ask every peer for what it has and we do not (including what it has not
        # stored yet): we may have missed messages while loading.
        self._send_task(self.layer.group_send, group_name(room.note_id), self._announcement(room))

    def leave(self, room) -> None:
        self._digests.pop(room.note_id, None)
        self._outbox.pop(room.note_id, None)
        if self.channel is not None:
            self._send_task(self.layer.group_discard, group_name(room.note_id), self.channel)

    # --- outgoing ---

    def publish_update(self, room, update: bytes) -> None:
        updates, _ = self._outbox_of(room)
        updates.append(update)
        self._kick(room)

    def publish_awareness(self, room, entries) -> None:
        _, awareness = self._outbox_of(room)
        for client_id, clock, state in entries:
            awareness[client_id] = (clock, state)
        self._kick(room)

    def _outbox_of(self, room):
        box = self._outbox.get(room.note_id)
        if box is None:
            box = self._outbox[room.note_id] = ([], {})
        return box

    def _kick(self, room) -> None:
        if room.note_id not in self._senders:
            self._senders[room.note_id] = asyncio.get_running_loop().create_task(self._drain(room))

    async def _drain(self, room) -> None:
        """Send what accumulated while the previous publish was in flight, merged."""
        from pycrdt import merge_updates

        group = group_name(room.note_id)
        try:
            while True:
                box = self._outbox.pop(room.note_id, None)
                if box is None or not (box[0] or box[1]):
                    return
                updates, awareness = box
                try:
                    if updates:
                        merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
                        await self.layer.group_send(group, self._message(room, "u", d=merged))
                    if awareness:
                        entries = [(cid, clock, state) for cid, (clock, state) in awareness.items()]
                        payload = encode_awareness_update(entries)
                        await self.layer.group_send(group, self._message(room, "a", d=payload))
                except Exception as exc:
                    # Lost for now; the next state-vector exchange heals it.
                    log.warning("publishing note %s to peers failed: %r", room.note_id, exc)
        finally:
            self._senders.pop(room.note_id, None)

    def _message(self, room, kind: str, **fields) -> dict:
        return {"type": MESSAGE_TYPE, "k": kind, "n": room.note_id, "o": self.channel, **fields}

    def _announcement(self, room, *, reply_wanted: bool = True) -> dict:
        state_vector, digest = self._state_of(room)
        return self._message(room, "sv", sv=state_vector, ds=digest, r=reply_wanted)

    def _state_of(self, room) -> tuple[bytes, bytes]:
        cached = self._digests.get(room.note_id)
        if cached is not None and cached[0] == room.version:
            return cached[1], cached[2]
        state_vector = room.doc.get_state()
        digest = delete_set_digest(room.doc.get_update(state_vector))
        self._digests[room.note_id] = (room.version, state_vector, digest)
        return state_vector, digest

    def _send_task(self, fn, *args) -> None:
        task = asyncio.get_running_loop().create_task(fn(*args))
        task.add_done_callback(_log_failure)

    async def _announce_loop(self) -> None:
        while True:
            await asyncio.sleep(jitter(live_setting("PEER_SYNC_INTERVAL")))
            for room in list(self.registry.rooms.values()):
                if room.closed or not room.loaded:
                    continue
                try:
                    await self.layer.group_send(group_name(room.note_id), self._announcement(room))
                except Exception as exc:
                    log.warning("announcing note %s failed: %r", room.note_id, exc)

    # --- incoming ---

    async def _receive_loop(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("receiving from peers failed: %r", exc)
                await asyncio.sleep(1)
                continue
            try:
                self.handle(message)
            except Exception:
                log.exception("bad message from a peer: %r", message.get("k"))

    def handle(self, message: dict) -> None:
        if message.get("type") != MESSAGE_TYPE or message.get("o") == self.channel:
            return
        room = self.registry.rooms.get(message.get("n"))
        if room is None or not room.loaded or room.closed:
            return
        kind = message.get("k")
        if kind == "u":
            update = message["d"]
            if update != EMPTY_UPDATE:
                try:
                    room.apply_update(update, origin=PEER)
                except UpdateRejected as exc:
                    log.error("update from peer %s rejected: %s", message.get("o"), exc)
        elif kind == "a":
            try:
                entries = decode_awareness(message["d"])
            except ProtocolError as exc:
                log.error("awareness from peer %s rejected: %s", message.get("o"), exc)
                return
            room.apply_awareness(entries, origin=PEER)
        elif kind == "sv":
            self._answer_announcement(room, message)

    def _answer_announcement(self, room, message: dict) -> None:
        sender = message["o"]
        try:
            theirs = decode_state_vector(message["sv"])
        except ProtocolError:
            return
        our_state, our_digest = self._state_of(room)
        ours = decode_state_vector(our_state)
        we_have_more = any(clock > theirs.get(client, 0) for client, clock in ours.items())
        they_have_more = any(clock > ours.get(client, 0) for client, clock in theirs.items())
        deletes_differ = message.get("ds") != our_digest
        if we_have_more or deletes_differ:
            diff = room.doc.get_update(message["sv"])
            if diff != EMPTY_UPDATE:
                self._send_task(self.layer.send, sender, self._message(room, "u", d=diff))
        if (they_have_more or deletes_differ) and message.get("r"):
            self._send_task(self.layer.send, sender, self._announcement(room, reply_wanted=False))


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("peer message failed: %r", task.exception())
