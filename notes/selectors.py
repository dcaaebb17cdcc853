"""Reads of note documents."""

from .models import Note


def note_contributor_names(*, note: Note) -> list[str]:
    """Who wrote in a note, in the order they first wrote."""
    return list(note.contributors.values_list("name", flat=True))
