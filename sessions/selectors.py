"""Reads of events, talks and open spaces."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from django.db.models import QuerySet
from django.urls import reverse

from .models import Event, OpenSpace, Room, Talk


def note_owner(*, note_id: int) -> Talk | OpenSpace | None:
    """The talk or open space a note belongs to, with its event and note."""
    for model in (Talk, OpenSpace):
        owner = model.objects.select_related("event", "note").filter(note_id=note_id).first()
        if owner is not None:
            return owner
    return None


def event_note_ids(*, event: Event) -> list[int]:
    """The notes of an event's talks and open spaces."""
    return [
        *Talk.objects.filter(event=event).values_list("note_id", flat=True),
        *OpenSpace.objects.filter(event=event).values_list("note_id", flat=True),
    ]


@dataclass
class ScheduleItem:
    """A talk or a placed open space, as the schedule shows it."""

    obj: Talk | OpenSpace
    kind: str  # a Talk.Kind value, or "open-space"
    kind_label: str
    title: str
    people: list[str]
    start: datetime | None
    end: datetime | None
    room: Room | None
    # Whether the viewer starred it (sessions/agenda/selectors.py `mark_starred`).
    starred: bool = False

    @property
    def is_open_space(self) -> bool:
        return self.kind == "open-space"

    @property
    def star_key(self) -> str:
        """ "talk-3" or "open-space-5": the item among all of an event's (for stars)."""
        return f"{'open-space' if self.is_open_space else 'talk'}-{self.obj.pk}"

    # Cached: a page may show an item's links many times (each outcome links to its line).
    @cached_property
    def url(self) -> str:
        return self.obj.get_absolute_url()

    @cached_property
    def star_url(self) -> str:
        if self.is_open_space:
            return reverse("sessions:open_space_star", args=[self.obj.event.slug, self.obj.pk])
        return reverse("sessions:talk_star", args=[self.obj.event.slug, self.obj.pk])

    @property
    def note_id(self) -> int:
        return self.obj.note_id

    @property
    def duration(self) -> timedelta | None:
        return self.end - self.start if self.start and self.end else None


@dataclass
class ScheduleRow:
    time: datetime
    cells: list[list[ScheduleItem]]  # one list per room, in the day's room order
    spanning: list[ScheduleItem] = field(default_factory=list)  # items with no room


@dataclass
class ScheduleDay:
    date: date
    rooms: list[Room]
    rows: list[ScheduleRow]
    items: list[ScheduleItem]  # every item of the day in time order, for the list view


def _talk_item(talk: Talk) -> ScheduleItem:
    return ScheduleItem(
        obj=talk,
        kind=talk.kind,
        kind_label=talk.get_kind_display(),
        title=talk.title,
        people=talk.speaker_list,
        start=talk.start,
        end=talk.end,
        room=talk.room,
    )


def _open_space_item(open_space: OpenSpace) -> ScheduleItem:
    return ScheduleItem(
        obj=open_space,
        kind="open-space",
        kind_label="Open space",
        title=open_space.title,
        people=[open_space.host] if open_space.host else [],
        start=open_space.slot.start if open_space.slot_id else None,
        end=open_space.slot.end if open_space.slot_id else None,
        room=open_space.room,
    )


def schedule_item(obj: Talk | OpenSpace) -> ScheduleItem:
    """One talk or open space as the schedule shows it."""
    return _open_space_item(obj) if isinstance(obj, OpenSpace) else _talk_item(obj)


def event_talks(*, event: Event) -> QuerySet[Talk]:
    return Talk.objects.filter(event=event).select_related("room")


def event_open_spaces(*, event: Event) -> QuerySet[OpenSpace]:
    return OpenSpace.objects.filter(event=event).shown().select_related("room", "slot")


def _sort_key(item: ScheduleItem):
    return (item.start, item.room.position if item.room else -1, item.title.lower())


def event_items(
    *, event: Event, notes: bool = False
) -> tuple[list[ScheduleItem], list[ScheduleItem]]:
    """(scheduled items in time order, unscheduled items) of an event, in three queries.
    With `notes`, each item's note comes along (its Markdown, not its CRDT state)."""
    talks, open_spaces = event_talks(event=event), event_open_spaces(event=event)
    if notes:
        talks = talks.select_related("note").defer("note__checkpoint")
        open_spaces = open_spaces.select_related("note").defer("note__checkpoint")
    talks, open_spaces = list(talks), list(open_spaces)
    for obj in (*talks, *open_spaces):
        obj.event = event  # their URLs need the event's slug: no query per item
    items = [_talk_item(t) for t in talks] + [_open_space_item(o) for o in open_spaces]
    scheduled = sorted((i for i in items if i.start), key=_sort_key)
    unscheduled = sorted(
        (i for i in items if not i.start), key=lambda i: (i.is_open_space, i.obj.pk)
    )
    return scheduled, unscheduled


def event_schedule(*, event: Event, scheduled: list[ScheduleItem]) -> list[ScheduleDay]:
    """Scheduled items grouped by day (event time zone) into rows of rooms × start time."""
    rooms = list(Room.objects.filter(event=event))
    tz = event.tz
    by_day: dict[date, list[ScheduleItem]] = {}
    for item in scheduled:
        by_day.setdefault(item.start.astimezone(tz).date(), []).append(item)

    days = []
    for day, items in sorted(by_day.items()):
        used = {i.room.pk for i in items if i.room}
        day_rooms = [r for r in rooms if r.pk in used]
        column = {room.pk: n for n, room in enumerate(day_rooms)}
        rows: dict[datetime, ScheduleRow] = {}
        for item in items:
            row = rows.setdefault(
                item.start, ScheduleRow(time=item.start, cells=[[] for _ in day_rooms])
            )
            if item.room:
                row.cells[column[item.room.pk]].append(item)
            else:
                row.spanning.append(item)
        days.append(
            ScheduleDay(
                date=day,
                rooms=day_rooms,
                rows=[rows[t] for t in sorted(rows)],
                items=items,
            )
        )
    return days


def now_and_next(
    *, scheduled: list[ScheduleItem], now: datetime
) -> tuple[list[ScheduleItem], list[ScheduleItem]]:
    """What runs at `now`, and what starts next (everything sharing the next start time)."""
    running = [i for i in scheduled if i.start <= now < i.end]
    upcoming = [i for i in scheduled if i.start > now]
    if not upcoming:
        return running, []
    next_start = min(i.start for i in upcoming)
    return running, [i for i in upcoming if i.start == next_start]
