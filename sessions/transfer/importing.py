"""Import Org-mode and Markdown notes into an event: its talks, open spaces and notes.

Every file is read and understood before the database is touched; then the
whole import runs in one transaction, and a dry run is the same transaction
rolled back, so its report is exactly what a real run would do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from notes import outline
from notes.services import note_replace_text

from ..archive.speakers import talk_set_speakers
from ..models import Event, OpenSpace, Room, Slot, Talk
from .exporting import item_byline
from .headings import OPEN_SPACE, Plan, PlannedItem, plan_outline

Progress = Callable[[int, int, str], None]


class EventImportError(Exception):
    """An import that cannot go ahead (the event is missing and cannot be created)."""


@dataclass
class ItemResult:
    action: str  # "create", "update" or "unchanged"
    kind: str
    title: str
    people: list[str]
    day: dt.date | None
    file: str
    line: int
    changed: list[str] = field(default_factory=list)
    bullets: int = 0


@dataclass
class ImportResult:
    event: Event
    event_created: bool
    dry_run: bool
    items: list[ItemResult]
    warnings: list[str]

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.event.name}: {self.count('create')} {verb} created, "
            f"{self.count('update')} updated, {self.count('unchanged')} unchanged."
        )


def outlines_read(files: Sequence[tuple[str, bytes]]) -> list[outline.Outline]:
    """Parse every file; raises notes.outline.OutlineError naming the file and line."""
    return [outline.parse(data, name=name) for name, data in files]


def event_import(
    *,
    files: Sequence[tuple[str, bytes]],
    event: Event | None = None,
    slug: str | None = None,
    name: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Create or update `event`'s (or the event `slug`'s) items from outline files.

    An event that does not exist yet is created when `start` is given. Re-running
    the same files changes nothing; edited files update the matching items (same
    kind and title, or the key our export writes). Items missing from the files
    are left alone.
    """
    outlines = outlines_read(files)
    plans = [(o.name, plan_outline(o, byline=item_byline)) for o in outlines]
    with transaction.atomic():
        event, created = _event(
            event=event, slug=slug, name=name, start=start, end=end, plans=plans
        )
        result = _apply(event=event, event_created=created, plans=plans, progress=progress)
        result.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result


def _event(*, event, slug, name, start, end, plans) -> tuple[Event, bool]:
    if event is not None:
        return Event.objects.select_for_update().get(pk=event.pk), False
    found = Event.objects.select_for_update().filter(slug=slug).first()
    if found is not None:
        return found, False
    if start is None:
        raise EventImportError(
            f"There is no event “{slug}”; give its start date (--start YYYY-MM-DD) to create it."
        )
    last_day = max((p.day or 1 for _, plan in plans for p in plan.items), default=1)
    title = name or next((plan.title for _, plan in plans if plan.title), "") or slug
    event = Event.objects.create(
        name=title[:200],
        slug=slug,
        start_date=start,
        end_date=end or start + dt.timedelta(days=last_day - 1),
    )
    return event, True


def item_key(item: PlannedItem) -> str:
    if item.properties.get("key"):
        return item.properties["key"][:200]
    family = OPEN_SPACE if item.is_open_space else "talk"
    return f"{family}:{slugify(item.title, allow_unicode=True)[:180] or 'untitled'}"


def _apply(*, event: Event, event_created: bool, plans, progress) -> ImportResult:
    talks = {t.import_key: t for t in Talk.objects.filter(event=event).select_related("note")}
    spaces = {o.import_key: o for o in OpenSpace.objects.filter(event=event).select_related("note")}
    rooms = {r.name: r for r in Room.objects.filter(event=event)}
    results: list[ItemResult] = []
    warnings: list[str] = []
    seen: set[str] = set()
    total = sum(len(plan.items) for _, plan in plans)
    position = 0

    description = "\n\n".join(plan.description.strip() for _, plan in plans if plan.description)
    if description and not event.description.strip():
        event.description = description
        event.save(update_fields=["description"])

    for file_name, plan in plans:
        for item in plan.items:
            key = item_key(item)
            base, n = key, 2
            while key in seen:  # the same title twice: two items
                key, n = f"{base}-{n}"[:200], n + 1
            seen.add(key)
            day = _item_date(event, item)
            if day and not (event.start_date <= day <= event.end_date):
                if event_created and day > event.end_date:
                    event.end_date = day
                    event.save(update_fields=["end_date"])
                else:
                    warnings.append(
                        f"{file_name}, line {item.line}: “{item.title}” is on {day}, "
                        f"outside the event's dates."
                    )
            if item.is_open_space:
                action, changed = _open_space_upsert(
                    event=event, existing=spaces, key=key, item=item, day=day,
                    position=position, rooms=rooms, warnings=warnings, file_name=file_name,
                )  # fmt: skip
            else:
                action, changed = _talk_upsert(
                    event=event, existing=talks, key=key, item=item, day=day,
                    position=position, rooms=rooms,
                )  # fmt: skip
                talk_set_speakers(talk=talks[key], names=item.people)
            results.append(
                ItemResult(
                    action=action,
                    kind=item.kind,
                    title=item.title,
                    people=item.people,
                    day=day,
                    file=file_name,
                    line=item.line,
                    changed=changed,
                    bullets=sum(1 for line in item.markdown.splitlines() if _is_bullet(line)),
                )
            )
            position += 1
            if progress:
                progress(position, total, item.title)
    return ImportResult(
        event=event, event_created=event_created, dry_run=False, items=results, warnings=warnings
    )


_BULLET = re.compile(r"^\s*(?:-|\d+[.)])\s")


def _is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def _item_date(event: Event, item: PlannedItem) -> dt.date | None:
    if item.date:
        return item.date
    if item.day:
        return event.start_date + dt.timedelta(days=item.day - 1)
    return None


def _datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _room(event: Event, rooms: dict, name: str | None) -> Room | None:
    if not name:
        return None
    if name not in rooms:
        rooms[name] = Room.objects.create(event=event, name=name[:100], position=len(rooms))
    return rooms[name]


def _set(obj, values: dict) -> list[str]:
    changed = [f for f, v in values.items() if getattr(obj, f) != v]
    for f in changed:
        setattr(obj, f, values[f])
    return changed


def _talk_upsert(*, event, existing, key, item, day, position, rooms) -> tuple[str, list[str]]:
    props = item.properties
    kind = item.kind if item.kind in Talk.Kind.values else Talk.Kind.OTHER
    values = {
        "title": item.title[:300] or "Untitled",
        "kind": kind,
        "speakers": ", ".join(item.people)[:300],
        "day": day,
        "position": position,
        "import_key": key,
    }
    if props:
        start, end = _datetime(props.get("start")), _datetime(props.get("end"))
        if start and end and end > start:
            values.update(start=start, end=end, day=None)  # the time says the day
        values["room"] = _room(event, rooms, props.get("room"))
    talk = existing.get(key) or _adopt(Talk, event, item.title)
    if talk is None:
        talk = Talk(event=event, **values)
        talk.save()
        existing[key] = talk
        note_replace_text(note=talk.note, markdown=item.markdown)
        return "create", []
    changed = _set(talk, values)
    if changed:
        talk.save(update_fields=changed)
    if note_replace_text(note=talk.note, markdown=item.markdown):
        changed.append("notes")
    existing[key] = talk
    return _outcome(changed)


def _open_space_upsert(
    *, event, existing, key, item, day, position, rooms, warnings, file_name
) -> tuple[str, list[str]]:
    props = item.properties
    values = {
        "title": item.title[:300] or "Untitled",
        "host": (item.people[0] if item.people else "")[:200],
        "day": day,
        "position": position,
        "import_key": key,
    }
    if props:
        status = props.get("status")
        if status in OpenSpace.Status.values:
            values["status"] = status
        placement = _placement(event, rooms, props)
        if placement:
            values["room"], values["slot"] = placement
            values["day"] = None  # the slot says the day
        elif values.get("status") == OpenSpace.Status.SCHEDULED:
            values["status"] = OpenSpace.Status.PROPOSED
    space = existing.get(key) or _adopt(OpenSpace, event, item.title)
    if "slot" in values:
        taken = OpenSpace.objects.filter(room=values["room"], slot=values["slot"])
        if space is not None:
            taken = taken.exclude(pk=space.pk)
        if taken.exists():
            warnings.append(
                f"{file_name}, line {item.line}: “{item.title}” keeps no place on the board: "
                f"{values['room']} at {values['slot']} is taken."
            )
            del values["room"], values["slot"]
            if values.get("status") == OpenSpace.Status.SCHEDULED:
                values["status"] = OpenSpace.Status.PROPOSED
    if space is None:
        # Notes of an open space come from after it happened.
        values.setdefault("status", OpenSpace.Status.HELD)
        space = OpenSpace(event=event, **values)
        space.save()
        existing[key] = space
        note_replace_text(note=space.note, markdown=item.markdown)
        return "create", []
    changed = _set(space, values)
    if changed:
        space.save(update_fields=[*changed, "updated_at"])
    if note_replace_text(note=space.note, markdown=item.markdown):
        changed.append("notes")
    existing[key] = space
    return _outcome(changed)


def _outcome(changed: list[str]) -> tuple[str, list[str]]:
    # An item that only moved in the document (one was added before it), or an
    # item made by hand that now gets its import key, is saved but reported
    # unchanged: nothing a person sees changed.
    changed = [name for name in changed if name not in ("position", "import_key")]
    return ("update" if changed else "unchanged"), changed


def _placement(event, rooms, props) -> tuple[Room, Slot] | None:
    start, end = _datetime(props.get("start")), _datetime(props.get("end"))
    room = _room(event, rooms, props.get("room"))
    if not (start and end and end > start and room):
        return None
    slot = Slot.objects.filter(event=event, start=start).first()
    if slot is None:
        slot = Slot.objects.create(event=event, start=start, end=end)
    return room, slot


def _adopt(model, event: Event, title: str):
    """An item made by hand (no import key) with the same title, if there is one."""
    return (
        model.objects.filter(event=event, import_key="", title__iexact=title)
        .select_related("note")
        .order_by("pk")
        .first()
    )


def plan_files(files: Sequence[tuple[str, bytes]]) -> list[tuple[str, Plan]]:
    """Read and classify files without touching the database."""
    return [(o.name, plan_outline(o, byline=item_byline)) for o in outlines_read(files)]
