"""Export an event's notes as one Markdown or Org document, or a zip of Markdown files.

The documents read well on their own (event title, days, each item's heading
with its speakers, then a line with kind, time and room, then the notes) and
carry each item's fields in a property drawer (Org) or a `<!-- confnotes -->`
comment (Markdown), so that importing an export gives the same items back.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from django.utils.text import slugify

from notes import markup
from notes.outline import markdown_properties_comment, shift_headings

from ..models import Event, OpenSpace, Talk

OPEN_SPACE = "open-space"
UNDATED_HEADING = "Not on the schedule"


@dataclass
class ExportItem:
    obj: Talk | OpenSpace
    date: dt.date | None
    properties: dict[str, str]

    @property
    def is_open_space(self) -> bool:
        return isinstance(self.obj, OpenSpace)

    @property
    def heading(self) -> str:
        if self.is_open_space:
            return f"Open space: {self.obj.title}"
        speakers = self.obj.speakers.strip()
        if not speakers or speakers == self.obj.title:
            return self.obj.title
        return f"{speakers}: {self.obj.title}"

    @property
    def markdown(self) -> str:
        return self.obj.note.markdown


def item_properties(item: Talk | OpenSpace, *, tz) -> dict[str, str]:
    """The fields of an item that an import reads back (ordered, single-line values)."""
    is_open_space = isinstance(item, OpenSpace)
    family = OPEN_SPACE if is_open_space else "talk"
    key = item.import_key or f"{family}:{slugify(item.title, allow_unicode=True)[:180]}"
    props = {"key": key, "kind": OPEN_SPACE if is_open_space else item.kind, "title": item.title}
    if is_open_space:
        props["host"] = item.host
        props["status"] = item.status
    else:
        props["speakers"] = item.speakers
    start, end = item.start, item.end
    if start and end:
        props["start"] = start.astimezone(tz).isoformat()
        props["end"] = end.astimezone(tz).isoformat()
    elif item.day:
        props["day"] = item.day.isoformat()
    if item.room_id:
        props["room"] = item.room.name
    return {k: " ".join(str(v).split()) for k, v in props.items() if v}


def item_byline(props: dict[str, str]) -> str | None:
    """The line under an item's heading: kind, host, time, room (from its properties)."""
    kind = props.get("kind", "")
    if not kind:
        return None
    label = "Open space" if kind == OPEN_SPACE else Talk.Kind(kind).label
    parts = [label] if kind in Talk.Kind.values or kind == OPEN_SPACE else [kind]
    if kind == OPEN_SPACE and props.get("host"):
        parts.append(f"hosted by {props['host']}")
    try:
        start = dt.datetime.fromisoformat(props["start"]) if props.get("start") else None
        end = dt.datetime.fromisoformat(props["end"]) if props.get("end") else None
        day = dt.date.fromisoformat(props["day"]) if props.get("day") else None
    except ValueError:
        start = end = day = None
    if start and end:
        parts.append(f"{start:%a %d %b %Y, %H:%M}–{end:%H:%M}")
    elif day:
        parts.append(f"{day:%a %d %b %Y}")
    if props.get("room"):
        parts.append(props["room"])
    return "*" + markup.markdown_escape(" · ".join(parts)) + "*"


def event_export_items(*, event: Event) -> list[ExportItem]:
    """Talks and open spaces in the order of the day, then of the source document."""
    tz = event.tz
    talks = Talk.objects.filter(event=event).select_related("room", "note")
    # Hidden topics were hidden by the organizers (moderation): not published anywhere.
    spaces = OpenSpace.objects.filter(event=event, hidden=False).select_related(
        "room", "slot", "note"
    )
    items = []
    for obj in [*talks, *spaces]:
        start = obj.start
        date = start.astimezone(tz).date() if start else obj.day
        items.append(ExportItem(obj=obj, date=date, properties=item_properties(obj, tz=tz)))

    def order(item: ExportItem):
        start = item.obj.start
        return (
            item.date is None,
            item.date or dt.date.min,
            start is None,
            start or dt.datetime.min.replace(tzinfo=dt.UTC),
            item.obj.position,
            item.is_open_space,
            item.obj.pk,
        )

    return sorted(items, key=order)


def _days(event: Event, items: list[ExportItem]):
    """[(day heading or None, items)] — no day headings when no item has a day."""
    if not any(item.date for item in items):
        return [(None, items)]
    days: list[tuple[str | None, list[ExportItem]]] = []
    for item in items:
        heading = _day_heading(event, item.date) if item.date else UNDATED_HEADING
        if not days or days[-1][0] != heading:
            days.append((heading, []))
        days[-1][1].append(item)
    return days


def _day_heading(event: Event, date: dt.date) -> str:
    number = (date - event.start_date).days + 1
    prefix = f"Day {number} — " if number >= 1 else ""
    return f"{prefix}{date:%A} {date.isoformat()}"


def _description_blocks(event: Event) -> list:
    # Headings in a description would read back as items: keep them as bold lines.
    blocks = markup.markdown_blocks(markup.markdown_tokens(event.description))
    return [
        markup.Paragraph(f"**{b.text}**") if isinstance(b, markup.Heading) else b for b in blocks
    ]


def _note_offset(markdown: str, level: int) -> int:
    """Heading shift that puts a note's headings below its item's heading."""
    blocks = markup.markdown_blocks(markup.markdown_tokens(markdown))
    top = min((b.level for b in blocks if isinstance(b, markup.Heading)), default=2)
    return level - 1 + max(0, 2 - top)


def event_export_markdown(*, event: Event) -> str:
    items = event_export_items(event=event)
    out = [f"# {markup.markdown_escape(event.name)}", ""]
    if event.description.strip():
        out += [markup.render_markdown(_description_blocks(event)).rstrip(), ""]
    for day, day_items in _days(event, items):
        if day is not None:
            out += [f"## {day}", ""]
        level = 3 if day is not None else 2
        for item in day_items:
            out.append(_markdown_item(item, level=level))
    return "\n".join(out).rstrip() + "\n"


def _markdown_item(item: ExportItem, *, level: int) -> str:
    lines = [
        "#" * level + " " + markup.markdown_escape(item.heading),
        markdown_properties_comment(item.properties),
        "",
    ]
    byline = item_byline(item.properties)
    if byline:
        lines += [byline, ""]
    if item.markdown.strip():
        # The note as written (a re-import gives back the same bytes); only its
        # headings move below the item's.
        offset = _note_offset(item.markdown, level)
        note = shift_headings(item.markdown.strip("\n"), offset=offset)
        lines += [note.rstrip(), ""]
    return "\n".join(lines)


def item_export_markdown(*, item: Talk | OpenSpace) -> str:
    """One item as a Markdown file of its own (importable as it is)."""
    event = item.event
    start = item.start
    date = start.astimezone(event.tz).date() if start else item.day
    export = ExportItem(obj=item, date=date, properties=item_properties(item, tz=event.tz))
    return _markdown_item(export, level=1).rstrip() + "\n"


def event_export_org(*, event: Event) -> str:
    items = event_export_items(event=event)
    out = [f"#+TITLE: {event.name}", ""]
    if event.description.strip():
        out += [markup.render_org(_description_blocks(event)).rstrip(), ""]
    for day, day_items in _days(event, items):
        if day is not None:
            out += [f"* {day}", ""]
        level = 2 if day is not None else 1
        for item in day_items:
            out.append(_org_item(item, level=level))
    return "\n".join(out).rstrip() + "\n"


def _org_item(item: ExportItem, *, level: int) -> str:
    lines = ["*" * level + " " + item.heading, ":PROPERTIES:"]
    lines += [f":{key.upper()}: {value}" for key, value in item.properties.items()]
    lines += [":END:", ""]
    byline = item_byline(item.properties)
    if byline:
        lines += [markup.markdown_inline_to_org(byline), ""]
    if item.markdown.strip():
        offset = _note_offset(item.markdown, level)
        lines += [markup.markdown_to_org(item.markdown, heading_offset=offset).rstrip(), ""]
    return "\n".join(lines)


def export_filename(item: ExportItem, taken: set[str]) -> str:
    """`2013-04-15-customerops.md`: date (or "undated") and slug, unique in `taken`."""
    slug = getattr(item.obj, "slug", "") or slugify(item.obj.title) or "item"
    prefix = item.date.isoformat() if item.date else "undated"
    if item.is_open_space:
        slug = f"open-space-{slug}"
    name, n = f"{prefix}-{slug}.md", 2
    while name in taken:
        name, n = f"{prefix}-{slug}-{n}.md", n + 1
    taken.add(name)
    return name


def event_export_zip(*, event: Event) -> bytes:
    """index.md plus one Markdown file per talk and open space."""
    items = event_export_items(event=event)
    taken: set[str] = {"index.md"}
    buffer = io.BytesIO()
    index = [f"# {markup.markdown_escape(event.name)}", ""]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for day, day_items in _days(event, items):
            if day is not None:
                index += [f"## {day}", ""]
            for item in day_items:
                filename = export_filename(item, taken)
                archive.writestr(
                    f"{event.slug}/{filename}", _markdown_item(item, level=1).rstrip() + "\n"
                )
                byline = item_byline(item.properties) or ""
                title = markup.markdown_escape(item.heading)
                index.append(f"- [{title}]({filename}) {byline}".rstrip())
            index.append("")
        archive.writestr(f"{event.slug}/index.md", "\n".join(index).rstrip() + "\n")
    return buffer.getvalue()
