"""Shared helpers of the import/export tests: snapshots of an event's items and rows, and
the fields of a rendered form."""

from html.parser import HTMLParser

from notes.models import Note, NoteRevision, NoteUpdate
from sessions.models import Event, OpenSpace, Room, Slot, Talk

MODELS = [Event, Talk, OpenSpace, Note, NoteRevision, NoteUpdate, Room, Slot]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def database_state() -> dict[str, list[tuple]]:
    """Every row of every model the import touches, as plain values."""
    return {
        model.__name__: sorted(
            (tuple(sorted(row.items())) for row in model.objects.values()), key=repr
        )
        for model in MODELS
    }


def items_of(event: Event) -> list[tuple]:
    """(kind, title, people, day, notes) of every item, in document order."""
    talks = [
        (t.position, t.kind, t.title, t.speakers, t.day, t.note.markdown)
        for t in Talk.objects.filter(event=event).select_related("note")
    ]
    spaces = [
        (o.position, "open-space", o.title, o.host, o.day, o.note.markdown)
        for o in OpenSpace.objects.filter(event=event).select_related("note")
    ]
    return [row[1:] for row in sorted(talks + spaces)]


class _FormFields(HTMLParser):
    """The values a browser without JavaScript submits for one <form id=…>."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields[self.select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_fields(html: str, form_id: str) -> dict[str, str]:
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields
