"""Writes of events and their talks, made by their organizers in the app.

(The open-space board and its rooms and slots: board/services.py; the team: team.py.)
Every function asks `access.py`, validates with the models' rules plus what the
database cannot see (items outside new dates, a talk over an open space), saves in one
transaction, and has open boards refresh after the commit.
"""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from .access import NotAllowed, event_access, event_creation_refusal
from .archive.speakers import talk_set_speakers
from .board.identity import Actor
from .board.services import BoardError, board_refresh
from .models import Event, EventRole, OpenSpace, Room, Slot, Talk
from .moderation import event_access_changed

# Paths under /events/ that are not events.
RESERVED_SLUGS = {"new"}

EVENT_FIELDS = (
    "name",
    "slug",
    "start_date",
    "end_date",
    "timezone",
    "venue",
    "description",
    "series",
    "visibility",
    "notes_access",
    "open_space_placement",
    "proposals_open",
    "archived",
)


def _one_line(value: str) -> str:
    return " ".join((value or "").split())


def _validate_event(event: Event) -> None:
    if event.slug in RESERVED_SLUGS:
        raise ValidationError({"slug": f"“{event.slug}” is reserved; choose another."})
    event.full_clean()


def event_create(
    *, user, name: str, slug: str, start_date: date, end_date: date, **fields
) -> Event:
    """Create an event; `user` becomes its organizer. `fields`: any of EVENT_FIELDS."""
    refusal = event_creation_refusal(user=user)
    if refusal is not None:
        raise NotAllowed(refusal)
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"not event fields: {sorted(unknown)}")
    event = Event(
        name=_one_line(name), slug=slug, start_date=start_date, end_date=end_date, **fields
    )
    with transaction.atomic():
        _validate_event(event)
        event.save()
        EventRole.objects.create(event=event, user=user, role=EventRole.Role.ORGANIZER)
    return event


def _outside(event: Event) -> list[str]:
    """What of the event would fall outside its (new) dates."""
    problems = []
    slots = [s for s in Slot.objects.filter(event=event) if not event.covers(s.start)]
    talks = [
        t
        for t in Talk.objects.filter(event=event, start__isnull=False)
        if not event.covers(t.start)
    ]
    if slots:
        problems.append(f"{len(slots)} open-space slot(s)")
    if talks:
        problems.append(f"{len(talks)} talk(s)")
    return problems


def event_update(*, actor: Actor, event: Event, **fields) -> Event:
    """Change an event's settings (any of EVENT_FIELDS). Dates that would leave slots or
    talks outside the event are refused: move or delete those first."""
    event_access(event=event, actor=actor).require("manage_event")
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"not event fields: {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = _one_line(fields["name"])
    changed = [name for name, value in fields.items() if getattr(event, name) != value]
    if not changed:
        return event
    for name in changed:
        setattr(event, name, fields[name])
    with transaction.atomic():
        _validate_event(event)
        if {"start_date", "end_date", "timezone"} & set(changed):
            outside = _outside(event)
            if outside:
                raise ValidationError(
                    {
                        "start_date": f"{' and '.join(outside)} would fall outside the new "
                        "dates: move or delete them first."
                    }
                )
        event.save(update_fields=changed)
        board_refresh(event_id=event.pk)
        if {"archived", "notes_access"} & set(changed):
            # Who may write its notes changed: open editors follow once this commits.
            event_access_changed(event=event)
    return event


# --- Talks ------------------------------------------------------------------------------


def _clean_speakers(value: str) -> str:
    names = [_one_line(name) for name in (value or "").split(",")]
    return ", ".join(name for name in names if name)


def _check_room_free(talk: Talk) -> None:
    """A talk may not take a room while an open space is placed there at the same time."""
    if not (talk.room_id and talk.start and talk.end):
        return
    clash = (
        OpenSpace.objects.filter(
            room_id=talk.room_id, slot__start__lt=talk.end, slot__end__gt=talk.start
        )
        .only("title")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {"room": f"The open space “{clash.title}” is in this room at that time."}
        )


def talk_save(
    *,
    actor: Actor,
    event: Event,
    talk: Talk | None = None,
    title: str,
    speakers: str = "",
    kind: str = Talk.Kind.TALK,
    room: Room | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    abstract: str = "",
) -> Talk:
    """Create a talk (`talk` None) or change one; raises ValidationError per field."""
    event_access(event=event, actor=actor).require("set_up_board")
    if talk is not None and talk.event_id != event.pk:
        raise BoardError("This talk belongs to another event.")
    talk = talk or Talk(event=event)
    talk.event = event
    talk.title = _one_line(title)
    talk.speakers = _clean_speakers(speakers)
    talk.kind, talk.room, talk.start, talk.end = kind, room, start, end
    talk.abstract = (abstract or "").strip()
    with transaction.atomic():
        # The note is made on the first save; slugs are filled from the title.
        talk.full_clean(exclude=["event", "note", "slug"], validate_unique=False)
        _check_room_free(talk)
        talk.save()
        # The speakers as typed become links to their Speaker pages too.
        talk_set_speakers(talk=talk, names=talk.speaker_list)
        board_refresh(event_id=event.pk)
    return talk


def talk_delete(*, actor: Actor, talk: Talk) -> None:
    """Delete a talk that has no notes (notes are never dropped silently)."""
    event_access(event=talk.event, actor=actor).require("set_up_board")
    with transaction.atomic():
        note = talk.note
        if note.markdown.strip() or note.checkpoint or note.updates.exists():
            raise BoardError(
                f"“{talk.title}” has notes; they would be lost. Keep the talk, or clear "
                "its notes first."
            )
        event_id = talk.event_id
        talk.delete()
        note.delete()
        board_refresh(event_id=event_id)
