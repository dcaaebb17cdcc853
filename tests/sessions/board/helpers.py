"""Shared set-up for the board tests: a small grid with an organizer, hosts and guests."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from sessions.board.identity import Actor
from sessions.models import Event, OpenSpace, Room, Slot
from tests.factories import make_event, make_open_space, make_room, make_slot, make_user


@dataclass
class Grid:
    event: Event
    rooms: list[Room]
    slots: list[Slot]
    organizer: Actor
    host: Actor
    other: Actor
    guest: Actor

    def placed(self, room: int, slot: int, *, host: Actor | None = None, **extra) -> OpenSpace:
        """A scheduled topic in the cell (`rooms[room]`, `slots[slot]`), hosted by `host`
        (see `hosted_by`) if given."""
        where = {"room": self.rooms[room], "slot": self.slots[slot], "status": "scheduled"}
        if host is not None:
            return hosted_by(host, event=self.event, **where, **extra)
        return make_open_space(event=self.event, **where, **extra)


def at(event: Event, day: int, hour: int, minute: int = 0) -> datetime:
    """An aware datetime on the event's `day` (0 = first day), in its time zone."""
    return datetime.combine(
        event.start_date + timedelta(days=day), time(hour, minute), tzinfo=event.tz
    )


def make_grid(*, rooms: int = 2, slots: int = 2, **event_fields) -> Grid:
    """A two-day event (Europe/Paris) a month from now — so nothing is held yet — with
    `rooms` × `slots` cells: slots of 45 minutes every hour from 14:00 on the first day."""
    start = timezone.localdate() + timedelta(days=30)
    event_fields.setdefault("start_date", start)
    event_fields.setdefault("end_date", start + timedelta(days=1))
    event = make_event(**event_fields)
    organizer = make_user(username=f"organizer-{event.pk}")
    event.organizers.add(organizer)
    room_list = [
        make_room(event=event, name=f"Room {chr(65 + n)}", position=n, capacity=10 * (n + 1))
        for n in range(rooms)
    ]
    slot_list = [
        make_slot(event=event, start=at(event, 0, 14 + n), end=at(event, 0, 14 + n, 45))
        for n in range(slots)
    ]
    return Grid(
        event=event,
        rooms=room_list,
        slots=slot_list,
        organizer=Actor(user=organizer),
        host=Actor(
            user=make_user(username=f"host-{event.pk}", first_name="Hana", last_name="Host")
        ),
        other=Actor(user=make_user(username=f"other-{event.pk}")),
        guest=Actor(guest_key=f"guest-key-{event.pk}"),
    )


def hosted_by(actor: Actor, *, event: Event, title: str = "Topic", **extra) -> OpenSpace:
    if actor.user_id is not None:
        return make_open_space(event=event, title=title, host_user=actor.user, host="Hana", **extra)
    return make_open_space(event=event, title=title, host="Gus", host_key=actor.guest_key, **extra)
