"""Import Org-mode and Markdown notes into an event: its talks, open spaces and notes.

Every file is read and planned (`planning`) before the database is touched: if
any file cannot be read, nothing is imported and every problem is reported at
once — unless `skip_bad`, which imports the readable files and lists the
others. Then the whole import runs in one transaction, and a dry run is the
same transaction rolled back, so its report is exactly what a real run would do.

Items are written in two passes: first every item, so that each has its page,
then the notes, with the relative links between the repository's files made to
point to those pages. A note whose new text renders exactly as its current
text is left alone: re-importing what was exported changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from notes.models import Note, NoteRevision
from notes.rendering import same_rendering
from notes.services import note_replace_text

from ..archive.speakers import talk_set_speakers
from ..models import Event, OpenSpace, Room, Slot, Talk
from .exporting import item_byline
from .headings import OPEN_SPACE
from .links import rewrite_links, target_of
from .planning import Plan, PlannedItem, TextPart, plan_repository
from .sources import FileProblem, Repository, repository_from_files

Progress = Callable[[int, int, str], None]

ITEM_KINDS = [*Talk.Kind.values, OPEN_SPACE]


class EventImportError(Exception):
    """An import that cannot go ahead (the event is missing and cannot be created)."""


class UnreadableFiles(Exception):
    """Some files cannot be read: nothing was imported. Lists every problem."""

    def __init__(self, problems: Sequence[FileProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} file{'s' if count != 1 else ''} cannot be read:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ItemChange:
    """What the organizer changed about a planned item in the preview."""

    kind: str
    people: list[str]


@dataclass
class ItemResult:
    action: str  # "create", "update" or "unchanged"
    kind: str
    title: str
    people: list[str]
    day: dt.date | None
    file: str
    line: int
    end_line: int = 0
    changed: list[str] = field(default_factory=list)
    bullets: int = 0
    first_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BrokenLink:
    file: str
    where: str  # the item's title, or "event description"
    href: str
    reason: str


@dataclass
class ImportResult:
    event: Event
    event_created: bool
    dry_run: bool
    items: list[ItemResult]
    warnings: list[str]
    description: list[TextPart] = field(default_factory=list)
    description_action: str = ""  # "set", "unchanged", "kept" (the event has its own), ""
    skipped: list[TextPart] = field(default_factory=list)
    broken_links: list[BrokenLink] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)  # files left out (skip_bad)
    ignored: int = 0  # hidden files of the repository

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.event.name}: {self.count('create')} {verb} created, "
            f"{self.count('update')} updated, {self.count('unchanged')} unchanged."
        )


def event_import(
    *,
    files: Sequence[tuple[str, bytes]] | None = None,
    repository: Repository | None = None,
    event: Event | None = None,
    slug: str | None = None,
    name: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    kind: str | None = None,
    skip_bad: bool = False,
    changes: dict[int, ItemChange] | None = None,
) -> ImportResult:
    """Create or update `event`'s (or the event `slug`'s) items from notes files.

    Give `files` (name, bytes) or a `repository` (folders, a zip). An event
    that does not exist yet is created when `start` is given, or when the
    files' names or headings give dates. Re-running the same files changes
    nothing; edited files update the matching items (same kind and title, or
    the key our export writes). Items missing from the files are left alone.
    `kind` sets the kind of every item; `changes` maps an item's index in the
    plan to the kind and people the organizer chose in the preview.
    """
    if repository is None:
        repository = repository_from_files(files or [])
    plan = plan_repository(repository, kind=kind, byline=item_byline)
    if plan.problems and not skip_bad:
        raise UnreadableFiles(plan.problems)
    for index, change in (changes or {}).items():
        _change(plan.items[index], change)
    with transaction.atomic():
        event, created = _event(event=event, slug=slug, name=name, start=start, end=end, plan=plan)
        result = _Import(event=event, event_created=created, plan=plan, progress=progress).run()
        result.ignored = repository.ignored
        result.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result


def plan_of(*, repository: Repository, kind: str | None = None) -> Plan:
    """The plan of a repository, without touching the database."""
    return plan_repository(repository, kind=kind, byline=item_byline)


def _change(item: PlannedItem, change: ItemChange) -> None:
    item.kind = change.kind
    item.people = change.people[:1] if change.kind == OPEN_SPACE else list(change.people)


def _event(*, event, slug, name, start, end, plan: Plan) -> tuple[Event, bool]:
    if event is not None:
        return Event.objects.select_for_update().get(pk=event.pk), False
    found = Event.objects.select_for_update().filter(slug=slug).first()
    if found is not None:
        return found, False
    dates = [item.date for item in plan.items if item.date]
    numbered = any(item.day for item in plan.items)
    if start is None and dates and not numbered:
        start = min(dates)  # the notes' own dates say when the event began
    if start is None:
        why = " (the notes name days by number and by date: which date is day 1?)" if dates else ""
        raise EventImportError(
            f"There is no event “{slug}”; give its start date (--start YYYY-MM-DD) to create "
            f"it{why}."
        )
    last_day = max((item.day or 1 for item in plan.items), default=1)
    last = max([start + dt.timedelta(days=last_day - 1), *dates])
    title = name or plan.title or slug
    event = Event.objects.create(
        name=title[:200], slug=slug, start_date=start, end_date=end or last
    )
    return event, True


def item_key(item: PlannedItem) -> str:
    if item.properties.get("key"):
        return item.properties["key"][:200]
    family = OPEN_SPACE if item.is_open_space else "talk"
    return f"{family}:{slugify(item.title, allow_unicode=True)[:180] or 'untitled'}"


_BULLET = re.compile(r"^[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+\S", re.M)


def bullet_count(markdown: str) -> int:
    return len(_BULLET.findall(markdown))


def first_lines(markdown: str, *, count: int = 4) -> list[str]:
    return [line for line in markdown.split("\n") if line.strip()][:count]


def note_update(*, note, markdown: str) -> bool:
    """Replace a note's text unless the new text renders exactly like it."""
    if note.markdown == markdown:
        return False
    if note.markdown and same_rendering(note.markdown, markdown):
        return False
    return note_replace_text(note=note, markdown=markdown, reason=NoteRevision.Reason.BEFORE_IMPORT)


class _Import:
    """The database part of one import (inside the caller's transaction)."""

    def __init__(self, *, event: Event, event_created: bool, plan: Plan, progress) -> None:
        self.event = event
        self.event_created = event_created
        self.plan = plan
        self.progress = progress
        self.talks = {
            t.import_key: t for t in Talk.objects.filter(event=event).select_related("note")
        }
        self.spaces = {
            o.import_key: o for o in OpenSpace.objects.filter(event=event).select_related("note")
        }
        self.rooms = {r.name: r for r in Room.objects.filter(event=event)}
        # Items made by hand (no import key), which an item of the same title adopts.
        self.by_hand: dict[tuple[type, str], list] = {}
        for model in (Talk, OpenSpace):
            made = model.objects.filter(event=event, import_key="").select_related("note")
            for obj in made.order_by("pk"):
                self.by_hand.setdefault((model, obj.title.lower()), []).append(obj)
        self.slugs = set(Talk.objects.filter(event=event).values_list("slug", flat=True))
        self.warnings: list[str] = list(plan.warnings)
        self.broken: list[BrokenLink] = []

    def run(self) -> ImportResult:
        placed = self._items()
        pages = self._pages(placed)
        results = []
        fresh: list[Note] = []
        total = len(placed)
        for position, (item, obj, action, changed) in enumerate(placed, 1):
            markdown = self._with_links(item.markdown, item.file, item.title, pages)
            if action == "create":
                # A note created by this import has no live state yet: its text is
                # stored as is, and becomes its document when first opened (see
                # notes.persistence.load_note_state), like any new note.
                obj.note.markdown = markdown
                obj.note.markdown_updated_at = timezone.now()
                fresh.append(obj.note)
            elif note_update(note=obj.note, markdown=markdown):
                changed.append("notes")
                action = "update"
            results.append(
                ItemResult(
                    action=action,
                    kind=item.kind,
                    title=item.title,
                    people=item.people,
                    day=_item_date(self.event, item),
                    file=item.file,
                    line=item.line,
                    end_line=item.end_line,
                    changed=changed,
                    bullets=bullet_count(markdown),
                    first_lines=first_lines(markdown),
                )
            )
            if self.progress:
                self.progress(position, total, item.title)
        Note.objects.bulk_update(fresh, ["markdown", "markdown_updated_at"], batch_size=500)
        action = self._description(pages)
        return ImportResult(
            event=self.event,
            event_created=self.event_created,
            dry_run=False,
            items=results,
            warnings=self.warnings,
            description=self.plan.description,
            description_action=action,
            skipped=self.plan.skipped,
            broken_links=self.broken,
            problems=self.plan.problems,
        )

    # --- pass 1: the items ---------------------------------------------------

    def _items(self) -> list[tuple[PlannedItem, Talk | OpenSpace, str, list[str]]]:
        placed = []
        seen: set[str] = set()
        for position, item in enumerate(self.plan.items):
            key = item_key(item)
            base, n = key, 2
            while key in seen:  # the same title twice: two items
                key, n = f"{base}-{n}"[:200], n + 1
            seen.add(key)
            day = _item_date(self.event, item)
            self._check_day(item, day)
            if item.is_open_space:
                obj, action, changed = self._open_space(
                    key=key, item=item, day=day, position=position
                )
            else:
                obj, action, changed = self._talk(key=key, item=item, day=day, position=position)
            placed.append((item, obj, action, changed))
        return placed

    def _check_day(self, item: PlannedItem, day: dt.date | None) -> None:
        event = self.event
        if not day or event.start_date <= day <= event.end_date:
            return
        if self.event_created and day > event.end_date:
            event.end_date = day
            event.save(update_fields=["end_date"])
        elif self.event_created and day < event.start_date:
            event.start_date = day
            event.save(update_fields=["start_date"])
        else:
            self.warnings.append(
                f"{item.file}, line {item.line}: “{item.title}” is on {day}, "
                f"outside the event's dates."
            )

    def _room(self, name: str | None) -> Room | None:
        if not name:
            return None
        if name not in self.rooms:
            self.rooms[name] = Room.objects.create(
                event=self.event, name=name[:100], position=len(self.rooms)
            )
        return self.rooms[name]

    def _talk(self, *, key, item, day, position):
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
            values["room"] = self._room(props.get("room"))
        talk = self.talks.get(key) or self._adopt(Talk, item.title)
        if talk is None:
            talk = Talk(event=self.event, slug=self._slug(values["title"]), **values)
            talk.save()
            talk_set_speakers(talk=talk, names=item.people)
            self.talks[key] = talk
            return talk, "create", []
        changed = _set(talk, values)
        if changed:
            talk.save(update_fields=changed)
        talk_set_speakers(talk=talk, names=item.people)
        self.talks[key] = talk
        return talk, *_outcome(changed)

    def _open_space(self, *, key, item, day, position):
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
            placement = self._placement(props)
            if placement:
                values["room"], values["slot"] = placement
                values["day"] = None  # the slot says the day
            elif values.get("status") == OpenSpace.Status.SCHEDULED:
                values["status"] = OpenSpace.Status.PROPOSED
        space = self.spaces.get(key) or self._adopt(OpenSpace, item.title)
        if "slot" in values:
            taken = OpenSpace.objects.filter(room=values["room"], slot=values["slot"])
            if space is not None:
                taken = taken.exclude(pk=space.pk)
            if taken.exists():
                self.warnings.append(
                    f"{item.file}, line {item.line}: “{item.title}” keeps no place on the "
                    f"board: {values['room']} at {values['slot']} is taken."
                )
                del values["room"], values["slot"]
                if values.get("status") == OpenSpace.Status.SCHEDULED:
                    values["status"] = OpenSpace.Status.PROPOSED
        if space is None:
            # Notes of an open space come from after it happened.
            values.setdefault("status", OpenSpace.Status.HELD)
            space = OpenSpace(event=self.event, **values)
            space.save()
            self.spaces[key] = space
            return space, "create", []
        changed = _set(space, values)
        if changed:
            space.save(update_fields=[*changed, "updated_at"])
        self.spaces[key] = space
        return space, *_outcome(changed)

    def _adopt(self, model, title: str):
        """An item made by hand (no import key) with the same title, if there is one."""
        made = self.by_hand.get((model, title.lower()))
        return made.pop(0) if made else None

    def _slug(self, title: str) -> str:
        # What Talk.save() would choose, without a query per candidate.
        root = slugify(title)[:80] or "item"
        slug, n = root, 2
        while slug in self.slugs:
            slug, n = f"{root}-{n}", n + 1
        self.slugs.add(slug)
        return slug

    def _placement(self, props) -> tuple[Room, Slot] | None:
        start, end = _datetime(props.get("start")), _datetime(props.get("end"))
        room = self._room(props.get("room"))
        if not (start and end and end > start and room):
            return None
        slot = Slot.objects.filter(event=self.event, start=start).first()
        if slot is None:
            slot = Slot.objects.create(event=self.event, start=start, end=end)
        return room, slot

    # --- pass 2: links and notes -----------------------------------------------

    def _pages(self, placed) -> dict[str, list[tuple[PlannedItem, str]]]:
        """Each imported file's items and their pages' URLs."""
        pages: dict[str, list[tuple[PlannedItem, str]]] = {}
        for item, obj, _, _ in placed:
            pages.setdefault(item.file, []).append((item, obj.get_absolute_url()))
        # Folders, to resolve a link to a folder: the files of items directly in
        # each, and every folder that holds a file of the repository.
        self._folders: dict[str, list[str]] = {}
        for file in pages:
            self._folders.setdefault(str(PurePosixPath(file).parent), []).append(file)
        self._all_folders = {
            str(p) for path in self.plan.paths for p in PurePosixPath(path).parents
        }
        return pages

    def _resolve(self, href: str, from_file: str, pages) -> tuple[str | None, str]:
        """(new destination or None, why it goes nowhere) for one link."""
        target = target_of(href, from_file=from_file)
        if target is None:
            return None, ""
        path = target.path
        if path.startswith("../") or path == "..":
            return None, "it leads outside the repository"
        for candidate in (path, f"{path}.md", f"{path}.org"):
            if candidate in pages:
                return _pick(pages[candidate], target.fragment), ""
        folder = path.rstrip("/")
        in_folder = self._folders.get(folder, [])
        if len(in_folder) == 1 and len(pages[in_folder[0]]) == 1:
            return pages[in_folder[0]][0][1], ""  # a folder that is one item
        if path == "" or folder in self._all_folders:
            return self.event.get_absolute_url(), ""  # the root, or a folder of several items
        unreadable = {problem.path for problem in self.plan.problems}
        if path in unreadable:
            return None, "not imported (the file cannot be read)"
        if path in self.plan.paths and _is_notes(path):
            # A notes file that made no item: its text went to the event description.
            return self.event.get_absolute_url(), ""
        if path in self.plan.paths:
            return None, "not imported (only notes files are)"
        return None, "no such file in the repository"

    def _with_links(self, markdown: str, file: str, where: str, pages) -> str:
        def replace(href: str) -> str | None:
            new, reason = self._resolve(href, file, pages)
            if reason:
                self.broken.append(BrokenLink(file=file, where=where, href=href, reason=reason))
            return new

        return rewrite_links(markdown, replace)

    def _description(self, pages) -> str:
        parts = [
            self._with_links(part.markdown, part.file, "event description", pages).strip()
            for part in self.plan.description
        ]
        text = "\n\n".join(p for p in parts if p)
        if not text:
            return ""
        current = self.event.description.strip()
        if current == text.strip():
            return "unchanged"
        if current:
            return "kept"
        self.event.description = text
        self.event.save(update_fields=["description"])
        return "set"


def _is_notes(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in (".md", ".markdown", ".mdown", ".mkd", ".org")


def _pick(items: list[tuple[PlannedItem, str]], fragment: str) -> str:
    """The page of the item a "#fragment" names, else of the file's first item."""
    wanted = slugify(fragment.replace("-", " "))
    for item, url in items:
        if wanted and wanted in item.anchors:
            return url
    return items[0][1]


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


def _set(obj, values: dict) -> list[str]:
    changed = [f for f, v in values.items() if getattr(obj, f) != v]
    for f in changed:
        setattr(obj, f, values[f])
    return changed


def _outcome(changed: list[str]) -> tuple[str, list[str]]:
    # An item that only moved in the document (one was added before it), or an
    # item made by hand that now gets its import key, is saved but reported
    # unchanged: nothing a person sees changed.
    changed = [name for name in changed if name not in ("position", "import_key")]
    return ("update" if changed else "unchanged"), changed
