"""Following a session: who is in its notes now, for its page's live strip and the
board's display (counts published by the live engine: notes/presence.py)."""

from datetime import datetime

from notes.presence import NOBODY, Presence, notes_presence


def is_running(item, *, now: datetime) -> bool:
    """Whether a talk or an open space is on now."""
    return item.start is not None and item.start <= now < item.end


def presence_of(*, note_id: int) -> Presence:
    return notes_presence([note_id]).get(note_id, NOBODY)
