"""Keeping the rooms of one note in several processes in sync over the channel layer.

Each process has ONE channel of its own and one background task receiving from
it; each open room adds that channel to the group `notes.<note id>` (one
subscription per room per process, not per connection). Every message goes to
the note's group, so each process also hears its own messages back (its echo):

    {"k": "u",  "n": note, "o": sender, "d": update[, "to": channel]}   changes
    {"k": "a",  "n": note, "o": sender, "d": awareness}                  presence
    {"k": "sv", "n": note, "o": sender, "sv": state vector,
     "ds": delete-set digest, "r": reply wanted[, "to": channel]}      "this is what I have"
    {"k": "acc", "n": note, "o": sender}       the note's rules changed: ask the policy again

A message with "to" is for that process only (a reply); the others ignore it.

Access changes ("acc", from `notes.services.note_access_changed`) are not healed by
the state-vector exchange: a room asks the policy again for its connections whenever
its link is proven (after joining, and after the link was down), so a change
published while it was not listening still reaches its connections.

Healing. Redis pub/sub may drop messages (a slow subscriber is disconnected, a
network blip). Every process therefore announces its state vector and delete-set
digest for each open room every few seconds and right after joining; a peer that
has something the announcer lacks sends it the missing diff, and asks back (`r`)
when it lacks something itself. Applying an update twice is harmless, so healing
never needs to know exactly what was lost.

The link of a room. A room is *linked* once its subscription is proven: its own
announcement came back through the group. It becomes unlinked when joining
fails (the channel layer is down when the note is opened), when a publish fails,
or when its echo stops for `PEER_ECHO_TIMEOUT` (the subscription was lost). An
unlinked room retries with backoff (`PEER_RETRY_MIN`..`PEER_RETRY_MAX`) for as
long as it is open; meanwhile it reads what the other processes stored
(`Room.catch_up`), and when it links again it announces itself at once and reads
the store once more, so every process converges within seconds of the channel
layer returning. `unsynced()` says which rooms are unlinked (shown by /readyz).

Changes are stored by every process whose document integrates them (see
`Room._on_change`), so a process dying before its append cannot lose what a
peer already holds.
"""

import asyncio
import contextlib
import logging
import random
import time

from pycrdt import merge_updates

from .base import PEER, UpdateRejected
from .conf import live_setting
from .layer import receive_forever
from .livestats import TOTALS
from .protocol import (
    EMPTY_UPDATE,
    ProtocolError,
    decode_awareness,
    decode_state_vector,
    delete_set_digest,
    encode_awareness_update,
)

log = logging.getLogger("notes.live")

MESSAGE_TYPE = "notes.peer"
# A still-unlinked room repeats its warning this often (seconds), not every retry.
WARN_EVERY = 30.0


def group_name(note_id: int) -> str:
    return f"notes.{note_id}"


def jitter(seconds: float) -> float:
    return seconds * random.uniform(0.8, 1.2)


def access_message(*, note_id: int, sender: str) -> dict:
    return {"type": MESSAGE_TYPE, "k": "acc", "n": note_id, "o": sender}


async def publish_access_changed(layer, *, note_id: int, sender: str) -> None:
    """Have the rooms of the note in every process ask the policy again."""
    await layer.group_send(group_name(note_id), access_message(note_id=note_id, sender=sender))


def update_message(*, note_id: int, sender: str, update: bytes, to: str | None = None) -> dict:
    message = {"type": MESSAGE_TYPE, "k": "u", "n": note_id, "o": sender, "d": update}
    if to is not None:
        message["to"] = to
    return message


async def publish_update(layer, *, note_id: int, update: bytes, sender: str) -> None:
    """Hand a change made outside any room (a server-side replacement) to the rooms
    of the note in every process."""
    await layer.group_send(
        group_name(note_id), update_message(note_id=note_id, sender=sender, update=update)
    )


class _Link:
    """The state of one room's membership in its note's group."""

    __slots__ = (
        "attempt",
        "backoff",
        "echo",
        "failures",
        "last_echo",
        "linked",
        "next_attempt",
        "next_catch_up",
        "since",
        "warned_at",
    )

    def __init__(self):
        self.linked = False
        self.since = time.monotonic()  # unlinked since
        self.failures = 0  # attempts failed since the link was last up
        self.backoff = 0.0
        self.next_attempt = 0.0
        self.next_catch_up = 0.0
        self.last_echo = 0.0
        self.warned_at = 0.0
        self.attempt: asyncio.Task | None = None
        self.echo: asyncio.Future | None = None  # set when our own message comes back


class PeerLink:
    def __init__(self, registry, layer):
        self.registry = registry
        self.layer = layer
        self.channel: str | None = None
        self._channel_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._links: dict[int, _Link] = {}
        self._discards: dict[int, asyncio.Task] = {}
        self._outbox: dict[int, tuple[list[bytes], dict]] = {}
        self._senders: dict[int, asyncio.Task] = {}
        self._digests: dict[int, tuple[int, bytes, bytes]] = {}

    async def flush(self, *, within: float) -> None:
        """Wait (at most `within` seconds) until the changes queued for the peers are
        published (a process shutting down hands them over before it exits)."""
        senders = list(self._senders.values())
        if senders:
            await asyncio.wait(senders, timeout=within)

    def close(self) -> None:
        tasks = [*self._tasks, *self._senders.values()]
        tasks += [link.attempt for link in self._links.values() if link.attempt is not None]
        for task in tasks:
            task.cancel()
        self._tasks, self._senders, self._links = [], {}, {}

    # --- membership ---

    def join(self, room) -> None:
        """Link a freshly loaded room; never fails (an unlinked room keeps retrying)."""
        link = self._links[room.note_id] = _Link()
        if not self._tasks:
            self._tasks.append(asyncio.get_running_loop().create_task(self._keep()))
        self._attempt(room, link, resubscribe=False)

    def leave(self, room) -> None:
        link = self._links.pop(room.note_id, None)
        if link is not None and link.attempt is not None:
            link.attempt.cancel()
        self._digests.pop(room.note_id, None)
        self._outbox.pop(room.note_id, None)
        if self.channel is not None:
            task = asyncio.get_running_loop().create_task(
                self.layer.group_discard(group_name(room.note_id), self.channel)
            )
            task.add_done_callback(_log_failure)
            task.add_done_callback(
                lambda done, note_id=room.note_id: self._discarded(note_id, done)
            )
            self._discards[room.note_id] = task

    def _discarded(self, note_id: int, task: asyncio.Task) -> None:
        if self._discards.get(note_id) is task:
            del self._discards[note_id]

    def linked(self, room) -> bool:
        link = self._links.get(room.note_id)
        return link is not None and link.linked

    def unsynced(self) -> list[dict]:
        now = time.monotonic()
        out = []
        for note_id, link in self._links.items():
            room = self.registry.rooms.get(note_id)
            if link.linked or room is None:
                continue
            out.append(
                {
                    "note": note_id,
                    "seconds": round(now - link.since, 1),
                    "clients": len(room.clients),
                }
            )
        return out

    def _attempt(self, room, link: _Link, *, resubscribe: bool) -> None:
        if link.attempt is None or link.attempt.done():
            link.attempt = asyncio.get_running_loop().create_task(
                self._link(room, link, resubscribe=resubscribe)
            )

    async def _link(self, room, link: _Link, *, resubscribe: bool) -> None:
        group = group_name(room.note_id)
        loop = asyncio.get_running_loop()
        link.echo = loop.create_future()
        try:
            async with asyncio.timeout(live_setting("PEER_TIMEOUT")):
                discard = self._discards.pop(room.note_id, None)
                if discard is not None:
                    # A previous room of this note left: its unsubscribe must not
                    # land after our subscribe.
                    with contextlib.suppress(Exception):
                        await discard
                await self._ensure_channel()
                if resubscribe:
                    # The layer may believe it is subscribed when it is not: the
                    # echo never came back. Unsubscribe, then subscribe again.
                    await self.layer.group_discard(group, self.channel)
                await self.layer.group_add(group, self.channel)
                # Ask every peer for what it has and we do not (including what it
                # has not stored yet); our own copy coming back proves the link.
                await self.layer.group_send(group, self._announcement(room))
                await asyncio.shield(link.echo)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # includes TimeoutError: Redis down, or no echo
            self._failed(room, link, exc)
            return
        finally:
            link.echo = None
        if room.closed or self._links.get(room.note_id) is not link:
            return
        was_down = link.failures > 0 or link.warned_at > 0
        link.linked = True
        link.last_echo = time.monotonic()
        link.failures = 0
        link.backoff = 0.0
        # An access change published before we listened (between a connection's
        # policy check and this subscription, or while the link was down) is lost:
        # ask again now that we hear every later one.
        room.recheck_access()
        if was_down:
            TOTALS.peer_relinks += 1
            log.warning(
                "note %s: linked to the other processes again after %.1f s",
                room.note_id,
                link.last_echo - link.since,
            )
            link.warned_at = 0.0
            # Changes made outside any room while we were away (a replacement
            # published into the void) are in the store.
            self._spawn(room.catch_up(force=True))

    def _failed(self, room, link: _Link, exc: BaseException) -> None:
        now = time.monotonic()
        if link.linked:
            link.linked = False
            link.since = now
        link.failures += 1
        retry_min, retry_max = live_setting("PEER_RETRY_MIN"), live_setting("PEER_RETRY_MAX")
        link.backoff = min(max(link.backoff * 2, retry_min), retry_max)
        link.next_attempt = now + jitter(link.backoff)
        if now - link.warned_at >= WARN_EVERY:
            link.warned_at = now
            log.warning(
                "note %s: not linked to the other processes for %.1f s (%r); retrying, and "
                "reading their changes from the database meanwhile",
                room.note_id,
                now - link.since,
                exc,
            )

    def _lost(self, note_id: int, exc: BaseException) -> None:
        """A publish failed: the room is not linked until a new attempt succeeds."""
        room = self.registry.rooms.get(note_id)
        link = self._links.get(note_id)
        if room is not None and link is not None and link.linked:
            self._failed(room, link, exc)

    async def _ensure_channel(self) -> None:
        async with self._channel_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("notes.")
                self._tasks.append(
                    asyncio.get_running_loop().create_task(
                        receive_forever(self.layer, self.channel, self.handle, what="peer messages")
                    )
                )

    # --- the keeper: retries, echo checks, announcements, catching up ---

    async def _keep(self) -> None:
        interval = live_setting("PEER_SYNC_INTERVAL")
        tick = min(live_setting("PEER_RETRY_MIN"), interval)
        next_announce = time.monotonic() + jitter(interval)
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            announce = now >= next_announce
            if announce:
                next_announce = now + jitter(interval)
            for note_id, link in list(self._links.items()):
                room = self.registry.rooms.get(note_id)
                if room is None or room.closed or not room.loaded:
                    continue
                if link.linked and now - link.last_echo > live_setting("PEER_ECHO_TIMEOUT"):
                    self._failed(room, link, TimeoutError("our own announcements stopped"))
                if link.linked:
                    if announce:
                        self._spawn(self._announce(room))
                    continue
                if now >= link.next_attempt:
                    self._attempt(room, link, resubscribe=link.failures > 0)
                if room.clients and now >= link.next_catch_up:
                    link.next_catch_up = now + live_setting("STORE_CATCHUP_INTERVAL")
                    self._spawn(room.catch_up())

    async def _announce(self, room) -> None:
        try:
            async with asyncio.timeout(live_setting("PEER_TIMEOUT")):
                await self.layer.group_send(group_name(room.note_id), self._announcement(room))
        except Exception as exc:
            log.warning("announcing note %s failed: %r", room.note_id, exc)
            self._lost(room.note_id, exc)

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        task.add_done_callback(_log_failure)

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
        group = group_name(room.note_id)
        try:
            while True:
                box = self._outbox.pop(room.note_id, None)
                if box is None or not (box[0] or box[1]):
                    return
                updates, awareness = box
                try:
                    async with asyncio.timeout(live_setting("PEER_TIMEOUT")):
                        if updates:
                            merged = updates[0] if len(updates) == 1 else merge_updates(*updates)
                            await self.layer.group_send(group, self._message(room, "u", d=merged))
                        if awareness:
                            entries = [(cid, c, state) for cid, (c, state) in awareness.items()]
                            payload = encode_awareness_update(entries)
                            await self.layer.group_send(group, self._message(room, "a", d=payload))
                except Exception as exc:
                    # Lost for now: the peers read it from the store, or get it by
                    # the state-vector exchange once the link is back.
                    log.warning("publishing note %s to peers failed: %r", room.note_id, exc)
                    self._lost(room.note_id, exc)
        finally:
            self._senders.pop(room.note_id, None)

    def _message(self, room, kind: str, **fields) -> dict:
        return {"type": MESSAGE_TYPE, "k": kind, "n": room.note_id, "o": self.channel, **fields}

    def _announcement(self, room, *, reply_wanted: bool = True, to: str | None = None) -> dict:
        state_vector, digest = self._state_of(room)
        message = self._message(room, "sv", sv=state_vector, ds=digest, r=reply_wanted)
        if to is not None:
            message["to"] = to
        return message

    def _state_of(self, room) -> tuple[bytes, bytes]:
        cached = self._digests.get(room.note_id)
        if cached is not None and cached[0] == room.version:
            return cached[1], cached[2]
        state_vector = room.doc.get_state()
        digest = delete_set_digest(room.doc.get_update(state_vector))
        self._digests[room.note_id] = (room.version, state_vector, digest)
        return state_vector, digest

    def _reply(self, room, message: dict) -> None:
        async def send() -> None:
            try:
                async with asyncio.timeout(live_setting("PEER_TIMEOUT")):
                    await self.layer.group_send(group_name(room.note_id), message)
            except Exception as exc:
                log.warning("answering a peer about note %s failed: %r", room.note_id, exc)
                self._lost(room.note_id, exc)

        self._spawn(send())

    # --- incoming ---

    def handle(self, message: dict) -> None:
        if message.get("type") != MESSAGE_TYPE:
            return
        note_id = message.get("n")
        if message.get("o") == self.channel:
            self._echoed(note_id)
            return
        if message.get("to", self.channel) != self.channel:
            return  # a reply to another process
        kind = message.get("k")
        if kind == "acc":
            self.registry.access_changed(note_id)
            return
        room = self.registry.rooms.get(note_id)
        if room is None or not room.loaded or room.closed:
            return
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

    def _echoed(self, note_id) -> None:
        link = self._links.get(note_id)
        if link is None:
            return
        link.last_echo = time.monotonic()
        if link.echo is not None and not link.echo.done():
            link.echo.set_result(None)

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
                TOTALS.peer_heals += 1
                self._reply(room, self._message(room, "u", d=diff, to=sender))
        if (they_have_more or deletes_differ) and message.get("r"):
            self._reply(room, self._announcement(room, reply_wanted=False, to=sender))


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("peer task failed: %r", task.exception())
