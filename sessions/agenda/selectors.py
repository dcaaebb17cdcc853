"""Reads of stars and agendas: what one person starred at an event, in time order."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q

from notes.models import NoteContributor

from ..board.identity import Actor
from ..models import AgendaFeed, Event, Interest, Star
from ..selectors import ScheduleItem, event_items


def starred_keys(*, event: Event, actor: Actor) -> set[str]:
    """The `ScheduleItem.star_key`s of what the actor starred at the event (two queries)."""
    if actor.user_id is not None:
        mine = Q(user_id=actor.user_id)
    elif actor.guest_key:
        mine = Q(user__isnull=True, guest_key=actor.guest_key)
    else:
        return set()
    talks = Star.objects.filter(mine, talk__event=event).values_list("talk_id", flat=True)
    topics = Interest.objects.filter(mine, open_space__event=event).values_list(
        "open_space_id", flat=True
    )
    return {f"talk-{pk}" for pk in talks} | {f"open-space-{pk}" for pk in topics}


def mark_starred(items, *, keys: set[str]) -> None:
    """Set `starred` on schedule items (for their star buttons)."""
    for item in items:
        item.starred = item.star_key in keys


def contributed_note_ids(*, actor: Actor, note_ids) -> set[int]:
    """Which of these notes the actor wrote in: as their account, or as this guest browser
    (the live engine records a guest's browser key with its name)."""
    note_ids = list(note_ids)
    if actor.user_id is not None:
        rows = NoteContributor.objects.filter(user_id=actor.user_id, note_id__in=note_ids)
    elif actor.guest_key:
        rows = NoteContributor.objects.filter(
            user__isnull=True, guest_key=actor.guest_key, note_id__in=note_ids
        )
    else:
        return set()
    return set(rows.values_list("note_id", flat=True))


@dataclass
class AgendaEntry:
    item: ScheduleItem
    day: date  # in the event's time zone
    # Other starred items at the same time (overlapping): you cannot be at both.
    clashes: list[ScheduleItem] = field(default_factory=list)


@dataclass
class Agenda:
    scheduled: list[AgendaEntry]  # starred, with a time, in time order
    unscheduled: list[ScheduleItem]  # starred, not on the schedule (yet)
    contributed: list[ScheduleItem]  # notes the person wrote in, starred or not

    @property
    def clash_count(self) -> int:
        return sum(1 for entry in self.scheduled if entry.clashes)

    def __bool__(self) -> bool:
        return bool(self.scheduled or self.unscheduled or self.contributed)


def _overlap(a: ScheduleItem, b: ScheduleItem) -> bool:
    return a.start < b.end and b.start < a.end


def agenda(*, event: Event, actor: Actor) -> Agenda:
    """One person's agenda at an event, in six queries whatever its size."""
    scheduled, unscheduled = event_items(event=event)
    keys = starred_keys(event=event, actor=actor)
    mark_starred([*scheduled, *unscheduled], keys=keys)
    starred = [item for item in scheduled if item.starred]
    # Quadratic in one person's stars: a few dozen at most.
    entries = [
        AgendaEntry(
            item=item,
            day=item.start.astimezone(event.tz).date(),
            clashes=[o for o in starred if o is not item and _overlap(item, o)],
        )
        for item in starred
    ]
    every = [*scheduled, *unscheduled]
    wrote = contributed_note_ids(actor=actor, note_ids=[item.note_id for item in every])
    return Agenda(
        scheduled=entries,
        unscheduled=[item for item in unscheduled if item.starred],
        contributed=[item for item in every if item.note_id in wrote],
    )


def agenda_feed_of(*, actor: Actor) -> AgendaFeed | None:
    if actor.user_id is not None:
        return AgendaFeed.objects.filter(user_id=actor.user_id).first()
    if actor.guest_key:
        return AgendaFeed.objects.filter(user__isnull=True, guest_key=actor.guest_key).first()
    return None


def feed_actor(*, token: str) -> Actor | None:
    """The person whose agenda feed has this secret address, or None."""
    feed = AgendaFeed.objects.select_related("user").filter(token=token).first()
    if feed is None:
        return None
    return Actor(user=feed.user, guest_key=feed.guest_key)
