"""Organizers moderating their event's notes: locking a note, and telling the live
notes engine when an event's rules change (archived, who may take notes, its team).

The rules themselves are in `access.py`; the notes engine asks them again through
the policy (`notes.services.note_access_changed`) once a change is committed, so
every open editor turns read-only (or writable) at once and is told why.
"""

from django.db import transaction

from notes.services import note_access_changed, note_set_locked

from . import selectors
from .access import EventAccess
from .models import Event


def note_lock(*, access: EventAccess, note, locked: bool) -> bool:
    """Lock or unlock `note` (of `access.event`); returns whether it changed."""
    access.require("lock_notes")
    return note_set_locked(note_id=note.pk, locked=locked)


def event_access_changed(*, event: Event) -> None:
    """After a change of who may write the event's notes (it was archived or
    unarchived, who may take notes changed, someone joined or left its team), once
    committed: every open notes connection of the event asks again. Called by the
    services that make those changes (event settings, team) and by the admin."""
    note_ids = selectors.event_note_ids(event=event)

    def tell() -> None:
        for note_id in note_ids:
            note_access_changed(note_id=note_id)

    transaction.on_commit(tell)
