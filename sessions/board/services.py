"""Writes of the open-space marketplace and board, and of its set-up (rooms, slots).

Every function asks `sessions/access.py` whether the actor may do it (views are
thin adapters), changes the database in one transaction, and broadcasts the
change to open boards and marketplaces only after the transaction commits.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..access import NotAllowed, event_access
from ..models import Event, Interest, OpenSpace, Room, Slot, Talk
from . import live
from .identity import Actor
from .queries import cell_label, host_clashes


class BoardError(Exception):
    """A write the board refuses; `message` is meant for the person who tried."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CellOccupied(BoardError):
    """Another topic already holds the cell; nothing was changed."""

    def __init__(self, message: str, *, occupant: OpenSpace | None, room: Room, slot: Slot):
        super().__init__(message)
        self.occupant = occupant
        self.room = room
        self.slot = slot


@dataclass
class Placement:
    open_space: OpenSpace
    changed: bool
    # Human-readable warnings, e.g. the host is double-booked; the placement stands.
    warnings: list[str] = field(default_factory=list)


def _cell_of(open_space: OpenSpace) -> tuple[int, int] | None:
    if open_space.slot_id is None:
        return None
    return (open_space.room_id, open_space.slot_id)


def board_refresh(*, event_id: int) -> None:
    """After commit, tell every open board of the event to load itself again (a change
    of its rooms, slots, talks or settings)."""
    _publish(event_id=event_id, refresh=True)


def _publish(*, event_id: int, touched=(), refresh: bool = False) -> None:
    touched = list(touched)
    transaction.on_commit(
        lambda: live.board_changed(event_id=event_id, touched=touched, refresh=refresh)
    )


# --- Proposals and interest --------------------------------------------------------


def _clean_text(value: str, *, field_name: str, required: bool, max_length: int) -> str:
    """Strip; single-line fields also collapse inner whitespace (no newlines in titles)."""
    value = (value or "").strip()
    if field_name != "description":
        value = " ".join(value.split())
    if required and not value:
        raise ValidationError({field_name: "This field is required."})
    if len(value) > max_length:
        raise ValidationError({field_name: f"At most {max_length} characters."})
    return value


def open_space_propose(
    *, actor: Actor, event: Event, title: str, host: str = "", description: str = ""
) -> OpenSpace:
    """Propose a topic. Signed-in users host it themselves (their name unless `host` is
    given); guests must give a host name and are remembered by their browser key."""
    event_access(event=event, actor=actor).require("propose")
    title = _clean_text(title, field_name="title", required=True, max_length=300)
    description = _clean_text(
        description, field_name="description", required=False, max_length=4000
    )
    user = actor.user if actor.user_id is not None else None
    default_host = (user.get_full_name() or user.get_username()) if user else ""
    host = _clean_text(host, field_name="host", required=user is None, max_length=200)
    open_space = OpenSpace(
        event=event,
        title=title,
        description=description,
        host=host or default_host,
        host_user=user,
        host_key="" if user else actor.guest_key,
        status=OpenSpace.Status.PROPOSED,
    )
    with transaction.atomic():
        open_space.save()
        _publish(event_id=event.pk, touched=[live.Touched(open_space.pk, live.ABSENT)])
    return open_space


def _lock(open_space: OpenSpace) -> OpenSpace:
    """The topic re-read under a row lock (PostgreSQL), so checks see the latest state."""
    return (
        OpenSpace.objects.select_for_update(of=("self",))
        .select_related("event", "room", "slot")
        .get(pk=open_space.pk)
    )


@contextmanager
def _locked(*topics: OpenSpace, actor: Actor, may: str) -> Iterator[list[OpenSpace]]:
    """The opening of every write to topics: a transaction, the topics re-read under row
    locks, and the actor's permission to do `may` ("place", "edit") to each of them.

    Yields the locked topics, in the order given.
    """
    with transaction.atomic():
        # Lock in a fixed order so that two writes to the same topics cannot deadlock.
        locked = {topic.pk: _lock(topic) for topic in sorted(topics, key=lambda o: o.pk)}
        current = [locked[topic.pk] for topic in topics]
        if len({topic.event_id for topic in current}) > 1:
            raise BoardError("These topics belong to different events.")
        access = event_access(event=current[0].event, actor=actor)
        for topic in current:
            refusal = access.check(may, topic)
            if refusal is not None and len(current) > 1:  # a swap: say which topic
                refusal = replace(refusal, text=f"You may not move “{topic.title}”: {refusal.text}")
            if refusal is not None:
                raise NotAllowed(refusal)
        yield current


def open_space_update(
    *, actor: Actor, open_space: OpenSpace, title: str, host: str, description: str
) -> OpenSpace:
    """Edit a topic: its host until it is held, or an organizer."""
    title = _clean_text(title, field_name="title", required=True, max_length=300)
    host = _clean_text(host, field_name="host", required=False, max_length=200)
    description = _clean_text(
        description, field_name="description", required=False, max_length=4000
    )
    with _locked(open_space, actor=actor, may="edit") as [current]:
        if current.host_user_id is None and not host:
            raise ValidationError({"host": "This field is required."})
        current.title, current.host, current.description = title, host or current.host, description
        current.save(update_fields=["title", "host", "description", "updated_at"])
        cell = _cell_of(current)
        _publish(event_id=current.event_id, touched=[live.Touched(current.pk, cell)])
    return current


def open_space_withdraw(*, actor: Actor, open_space: OpenSpace) -> OpenSpace:
    """Withdraw a topic (its host until it is held, or an organizer); frees its cell."""
    with _locked(open_space, actor=actor, may="edit") as [current]:
        before = _cell_of(current)
        current.status = OpenSpace.Status.WITHDRAWN
        current.room = current.slot = None
        current.save(update_fields=["status", "room", "slot", "updated_at"])
        _publish(event_id=current.event_id, touched=[live.Touched(current.pk, before)])
    return current


def open_space_hide(*, actor: Actor, open_space: OpenSpace, hidden: bool = True) -> OpenSpace:
    """Hide a topic from everyone but the organizers (moderation), or show it again.

    Hiding takes it off the board (its cell is freed); shown again, it is back in the
    list of unplaced topics. Its interests and notes are kept.
    """
    event_access(event=open_space.event, actor=actor).require("moderate")
    with transaction.atomic():
        current = _lock(open_space)
        if current.hidden == hidden:
            return current
        before = live.ABSENT if current.hidden else _cell_of(current)
        current.hidden = hidden
        fields = ["hidden", "updated_at"]
        if hidden and current.slot_id is not None:
            current.room = current.slot = None
            if current.status == OpenSpace.Status.SCHEDULED:
                current.status = OpenSpace.Status.PROPOSED
            fields += ["room", "slot", "status"]
        current.save(update_fields=fields)
        _publish(event_id=current.event_id, touched=[live.Touched(current.pk, before)])
    return current


@dataclass
class InterestState:
    interested: bool
    count: int
    changed: bool


def interest_toggle(
    *, actor: Actor, open_space: OpenSpace, interested: bool | None = None
) -> InterestState:
    """Say or unsay "I'm interested": one per person (user, else guest browser) and topic.

    With `interested` given, set that state (a double-submitted form is harmless);
    with None, flip it.
    """
    event_access(event=open_space.event, actor=actor).require("show_interest")
    if actor.user_id is not None:
        mine = {"user_id": actor.user_id}
    else:
        mine = {"user__isnull": True, "guest_key": actor.guest_key}
    with transaction.atomic():
        current = _lock(open_space)
        if current.status == OpenSpace.Status.WITHDRAWN:
            raise BoardError("This topic was withdrawn.")
        if current.hidden:
            raise BoardError("The organizers hid this topic.")
        existing = Interest.objects.filter(open_space=current, **mine)
        has = existing.exists()
        want = (not has) if interested is None else interested
        changed = False
        if want and not has:
            try:
                with transaction.atomic():
                    Interest.objects.create(
                        open_space=current,
                        user_id=actor.user_id,
                        guest_key="" if actor.user_id is not None else actor.guest_key,
                    )
                changed = True
            except IntegrityError:
                pass  # the same person's other request got there first: still one vote
        elif not want and has:
            changed = existing.delete()[0] > 0
        count = Interest.objects.filter(open_space=current).count()
        if changed:
            _publish(
                event_id=current.event_id,
                touched=[live.Touched(current.pk, _cell_of(current))],
            )
    return InterestState(interested=want, count=count, changed=changed)


@dataclass
class GuestMerged:
    interests: int  # votes now the user's
    duplicates: int  # votes dropped: the user had already voted for the same topic
    hosted: int  # topics the user now hosts


def guest_board_merge(*, guest_key: str, user) -> GuestMerged:
    """Make a guest browser's votes and proposals a signed-in user's own.

    A vote for a topic the user already voted for is dropped, so one person never
    counts twice; the others become the user's. Topics the browser proposed become
    hosted by the user (the host name shown stays as it was written).
    """
    if not guest_key:
        return GuestMerged(interests=0, duplicates=0, hosted=0)
    moved = dropped = 0
    touched: dict[int, set[int]] = {}  # event → topics whose vote count changed
    with transaction.atomic():
        votes = Interest.objects.select_related("open_space").filter(
            guest_key=guest_key, user__isnull=True
        )
        for vote in votes:
            try:
                # A savepoint: the user may have voted for it already (or does so now).
                with transaction.atomic():
                    Interest.objects.filter(pk=vote.pk).update(user=user, guest_key="")
                moved += 1
            except IntegrityError:
                vote.delete()
                dropped += 1
                touched.setdefault(vote.open_space.event_id, set()).add(vote.open_space_id)
        hosted = OpenSpace.objects.filter(host_key=guest_key, host_user__isnull=True).update(
            host_user=user, host_key=""
        )
        for event_id, pks in touched.items():
            topics = OpenSpace.objects.filter(pk__in=pks).only("room", "slot")
            _publish(
                event_id=event_id,
                touched=[live.Touched(topic.pk, _cell_of(topic)) for topic in topics],
            )
    return GuestMerged(interests=moved, duplicates=dropped, hosted=hosted)


# --- Placement ------------------------------------------------------------------------


def _check_cell(*, event: Event, room: Room, slot: Slot) -> None:
    if room.event_id != event.pk or slot.event_id != event.pk:
        raise BoardError("This room or slot belongs to another event.")
    talk = (
        Talk.objects.filter(room=room, start__lt=slot.end, end__gt=slot.start).only("title").first()
    )
    if talk is not None:
        where = cell_label(room=room, slot=slot, event=event)
        raise BoardError(f"{where} is taken by the talk “{talk.title}”; choose another cell.")


def _occupied(*, open_space: OpenSpace, room: Room, slot: Slot, event: Event) -> CellOccupied:
    occupant = OpenSpace.objects.filter(room=room, slot=slot).exclude(pk=open_space.pk).first()
    where = cell_label(room=room, slot=slot, event=event)
    if occupant is None:  # it was taken and freed again while we looked
        message = f"{where} changed while you were placing; try again."
    else:
        message = f"{where} is already taken by “{occupant.title}”. Nothing was changed."
    return CellOccupied(message, occupant=occupant, room=room, slot=slot)


def _warnings(open_space: OpenSpace) -> list[str]:
    event = open_space.event
    return [
        f"{open_space.host} also hosts “{other.title}” in {other.room.name} at "
        f"{other.slot.start.astimezone(event.tz):%H:%M}: double-booked."
        for other in host_clashes(open_space=open_space)
    ]


def _put_in_cell(*, actor: Actor, open_space: OpenSpace, room: Room, slot: Slot) -> Placement:
    with _locked(open_space, actor=actor, may="place") as [current]:
        event = current.event
        _check_cell(event=event, room=room, slot=slot)
        before = _cell_of(current)
        if before == (room.pk, slot.pk):
            return Placement(open_space=current, changed=False, warnings=_warnings(current))
        # A friendly early answer; the database constraint below is what really decides.
        if OpenSpace.objects.filter(room=room, slot=slot).exclude(pk=current.pk).exists():
            raise _occupied(open_space=current, room=room, slot=slot, event=event)
        current.room, current.slot = room, slot
        if current.status != OpenSpace.Status.HELD:
            current.status = OpenSpace.Status.SCHEDULED
        try:
            # A savepoint: on PostgreSQL a concurrent placement into the same cell makes
            # this UPDATE wait for the other transaction, then fail on the constraint.
            with transaction.atomic():
                current.save(update_fields=["room", "slot", "status", "updated_at"])
        except IntegrityError:
            raise _occupied(open_space=current, room=room, slot=slot, event=event) from None
        _publish(event_id=event.pk, touched=[live.Touched(current.pk, before)])
        return Placement(open_space=current, changed=True, warnings=_warnings(current))


def open_space_place(*, actor: Actor, open_space: OpenSpace, room: Room, slot: Slot) -> Placement:
    """Put an unplaced topic into a free cell (room × slot).

    Raises CellOccupied if another topic holds the cell (also when a concurrent
    placement won the race), NotAllowed, or BoardError.
    """
    if open_space.slot_id is not None:
        raise BoardError("This topic is already on the board; move it instead.")
    return _put_in_cell(actor=actor, open_space=open_space, room=room, slot=slot)


def open_space_move(*, actor: Actor, open_space: OpenSpace, room: Room, slot: Slot) -> Placement:
    """Move a placed topic to another free cell; same refusals as `open_space_place`."""
    if open_space.slot_id is None:
        raise BoardError("This topic is not on the board yet; place it instead.")
    return _put_in_cell(actor=actor, open_space=open_space, room=room, slot=slot)


def open_space_unplace(*, actor: Actor, open_space: OpenSpace) -> Placement:
    """Take a topic off the grid, back to the unplaced column."""
    with _locked(open_space, actor=actor, may="place") as [current]:
        before = _cell_of(current)
        if before is None:
            return Placement(open_space=current, changed=False)
        if current.status == OpenSpace.Status.HELD:
            raise BoardError("This session was held; it stays on the board.")
        current.room = current.slot = None
        current.status = OpenSpace.Status.PROPOSED
        current.save(update_fields=["room", "slot", "status", "updated_at"])
        _publish(event_id=current.event_id, touched=[live.Touched(current.pk, before)])
    return Placement(open_space=current, changed=True)


def open_space_swap(
    *, actor: Actor, open_space: OpenSpace, other: OpenSpace, expected_cell: tuple[int, int]
) -> Placement:
    """Exchange two topics: `open_space` takes `other`'s cell, `other` takes the old cell of
    `open_space` (or goes back to the unplaced column if it had none).

    `expected_cell` is where the actor saw `other`; if the board changed since, nothing
    happens. The actor must be allowed to place both topics.
    """
    if open_space.pk == other.pk:
        raise BoardError("A topic cannot be swapped with itself.")
    with _locked(open_space, other, actor=actor, may="place") as [a, b]:
        event = a.event
        a_cell, b_cell = _cell_of(a), _cell_of(b)
        if b_cell != tuple(expected_cell):
            raise BoardError(f"“{b.title}” has moved meanwhile; look at the board again.")
        if b.status == OpenSpace.Status.HELD and a_cell is None:
            raise BoardError(f"“{b.title}” was held; it stays on the board.")
        b_room, b_slot = b.room, b.slot
        a_room, a_slot = a.room, a.slot
        # The constraint is checked row by row, so free b's cell before filling it.
        b.room = b.slot = None
        b_status = b.status
        b.status = OpenSpace.Status.PROPOSED
        b.save(update_fields=["room", "slot", "status", "updated_at"])
        a.room, a.slot = b_room, b_slot
        if a.status != OpenSpace.Status.HELD:
            a.status = OpenSpace.Status.SCHEDULED
        a.save(update_fields=["room", "slot", "status", "updated_at"])
        if a_cell is not None:
            b.room, b.slot = a_room, a_slot
            b.status = b_status if b_status == OpenSpace.Status.HELD else OpenSpace.Status.SCHEDULED
            try:
                with transaction.atomic():
                    b.save(update_fields=["room", "slot", "status", "updated_at"])
            except IntegrityError:
                raise _occupied(open_space=b, room=a_room, slot=a_slot, event=event) from None
        _publish(
            event_id=event.pk,
            touched=[live.Touched(a.pk, a_cell), live.Touched(b.pk, b_cell)],
        )
    warnings = _warnings(a) + (_warnings(b) if b.slot_id else [])
    return Placement(open_space=a, changed=True, warnings=warnings)


# --- Set-up: event settings, rooms, slots (organizers) ---------------------------------


def _require_organizer(*, event: Event, actor: Actor) -> None:
    event_access(event=event, actor=actor).require("set_up_board")


def event_board_settings_update(
    *, actor: Actor, event: Event, placement: str, proposals_open: bool
) -> Event:
    _require_organizer(event=event, actor=actor)
    if placement not in Event.Placement.values:
        raise ValidationError({"open_space_placement": "Choose one of the options."})
    with transaction.atomic():
        event.open_space_placement = placement
        event.proposals_open = proposals_open
        event.save(update_fields=["open_space_placement", "proposals_open"])
        _publish(event_id=event.pk, refresh=True)
    return event


def _validate_room(room: Room) -> None:
    room.full_clean(exclude=["event"], validate_unique=False)
    clash = Room.objects.filter(event_id=room.event_id, name__iexact=room.name)
    if clash.exclude(pk=room.pk).exists():
        raise ValidationError({"name": "Another room of this event has this name."})


def room_create(
    *, actor: Actor, event: Event, name: str, capacity: int | None, position: int | None = None
) -> Room:
    _require_organizer(event=event, actor=actor)
    if position is None:
        last = Room.objects.filter(event=event).order_by("-position").first()
        position = last.position + 1 if last else 0
    room = Room(event=event, name=" ".join(name.split()), capacity=capacity, position=position)
    with transaction.atomic():
        _validate_room(room)
        room.save()
        _publish(event_id=event.pk, refresh=True)
    return room


def room_update(
    *, actor: Actor, room: Room, name: str, capacity: int | None, position: int
) -> Room:
    _require_organizer(event=room.event, actor=actor)
    room.name, room.capacity, room.position = " ".join(name.split()), capacity, position
    with transaction.atomic():
        _validate_room(room)
        room.save(update_fields=["name", "capacity", "position"])
        _publish(event_id=room.event_id, refresh=True)
    return room


def room_delete(*, actor: Actor, room: Room) -> None:
    """Delete a room that holds no open space and no talk (nothing is dropped silently)."""
    _require_organizer(event=room.event, actor=actor)
    with transaction.atomic():
        used = room.open_spaces.count() + room.talks.count()
        if used:
            raise BoardError(
                f"“{room.name}” still holds {used} session(s); move them elsewhere first."
            )
        event_id = room.event_id
        room.delete()
        _publish(event_id=event_id, refresh=True)


def _validate_slot(slot: Slot) -> None:
    slot.full_clean(exclude=["event"], validate_unique=False)
    others = Slot.objects.filter(event_id=slot.event_id).exclude(pk=slot.pk)
    overlapping = others.filter(start__lt=slot.end, end__gt=slot.start).first()
    if overlapping is not None:
        label = overlapping.label(slot.event.tz)
        raise ValidationError({"start": f"This overlaps the slot {label}."})


def slot_create(*, actor: Actor, event: Event, start: datetime, end: datetime) -> Slot:
    _require_organizer(event=event, actor=actor)
    slot = Slot(event=event, start=start, end=end)
    with transaction.atomic():
        _validate_slot(slot)
        slot.save()
        _publish(event_id=event.pk, refresh=True)
    return slot


def slot_update(*, actor: Actor, slot: Slot, start: datetime, end: datetime) -> Slot:
    """Change a slot's times; a session placed in it moves in time with it."""
    _require_organizer(event=slot.event, actor=actor)
    slot.start, slot.end = start, end
    with transaction.atomic():
        _validate_slot(slot)
        slot.save(update_fields=["start", "end"])
        _publish(event_id=slot.event_id, refresh=True)
    return slot


def slot_delete(*, actor: Actor, slot: Slot) -> None:
    _require_organizer(event=slot.event, actor=actor)
    with transaction.atomic():
        used = slot.open_spaces.count()
        if used:
            raise BoardError(
                f"The slot {slot.label(slot.event.tz)} still holds {used} session(s); "
                "move them elsewhere first."
            )
        event_id = slot.event_id
        slot.delete()
        _publish(event_id=event_id, refresh=True)


@dataclass
class SlotsGenerated:
    created: list[Slot]
    skipped: list[tuple[datetime, datetime]]


MAX_GENERATED_SLOTS = 48


def slots_generate(
    *,
    actor: Actor,
    event: Event,
    day: date,
    start: time,
    end: time,
    length: timedelta,
    gap: timedelta,
) -> SlotsGenerated:
    """Create a day's slots of `length`, separated by `gap`, from `start` until `end`
    (event time zone). Slots that would overlap existing ones are skipped and reported."""
    _require_organizer(event=event, actor=actor)
    if not event.start_date <= day <= event.end_date:
        raise ValidationError({"day": "Choose a day of the event."})
    if length < timedelta(minutes=5):
        raise ValidationError({"length": "A slot lasts at least 5 minutes."})
    if gap < timedelta(0):
        raise ValidationError({"gap": "The break cannot be negative."})
    first, last = datetime.combine(day, start), datetime.combine(day, end)
    if last <= first:
        raise ValidationError({"end": "The last slot must end after the first one starts."})
    if first + length > last:
        raise ValidationError({"length": "Not even one slot fits between start and end."})
    wanted = []
    cursor = first
    while cursor + length <= last:
        wanted.append((cursor.replace(tzinfo=event.tz), (cursor + length).replace(tzinfo=event.tz)))
        cursor += length + gap
    if len(wanted) > MAX_GENERATED_SLOTS:
        raise ValidationError({"length": f"That would make {len(wanted)} slots; at most 48."})
    created, skipped = [], []
    with transaction.atomic():
        existing = list(Slot.objects.filter(event=event))
        for slot_start, slot_end in wanted:
            if any(s.start < slot_end and slot_start < s.end for s in existing):
                skipped.append((slot_start, slot_end))
                continue
            slot = Slot.objects.create(event=event, start=slot_start, end=slot_end)
            existing.append(slot)
            created.append(slot)
        if created:
            _publish(event_id=event.pk, refresh=True)
    return SlotsGenerated(created=created, skipped=skipped)
