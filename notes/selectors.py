"""Reads of note documents."""

from .models import Note


def note_contributor_names(*, note: Note) -> list[str]:
    """Who wrote in a note, in the order they first wrote; guests marked as guests (a
    guest may have chosen an account's name), each name once."""
    labels = [row.label for row in note.contributors.only("name", "user_id")]
    return list(dict.fromkeys(labels))
