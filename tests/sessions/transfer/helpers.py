"""Shared helpers of the import/export tests: snapshots of an event's items and rows."""

from notes.models import Note, NoteRevision, NoteUpdate
from sessions.models import Event, OpenSpace, Room, Slot, Talk

MODELS = [Event, Talk, OpenSpace, Note, NoteRevision, NoteUpdate, Room, Slot]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def database_state() -> dict[str, list[tuple]]:
    """Every row of every model the import touches, as plain values."""
    return {
        model.__name__: sorted(tuple(sorted(row.items())) for row in model.objects.values())
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
