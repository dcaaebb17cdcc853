"""The notes policy of Confnotes: who may read and write a talk's or open space's notes."""

from notes.policy import NoteAccess

from . import selectors


class EventNotePolicy:
    """Notes follow their event: archived → read-only; guests write only if allowed."""

    def access(self, *, user, note_id: int) -> NoteAccess | None:
        event = selectors.event_for_note(note_id=note_id)
        if event is None:
            return None
        if event.archived:
            return NoteAccess(can_read=True, can_write=False, read_only_reason="archived")
        if user is not None and user.is_authenticated:
            return NoteAccess(can_read=True, can_write=True)
        if event.allows_guests:
            return NoteAccess(can_read=True, can_write=True)
        return NoteAccess(can_read=True, can_write=False, read_only_reason="sign-in required")
