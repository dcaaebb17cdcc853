"""The notes policy of Confnotes (settings.NOTES_POLICY): notes follow their event's
rules, which `sessions/access.py` states (`read_notes`, `write_notes`)."""

from notes.policy import NoteAccess

from . import selectors
from .access import event_access
from .board.identity import Actor, guest_key_from_headers


class EventNotePolicy:
    def access(self, *, user, note_id: int) -> NoteAccess | None:
        owner = selectors.note_owner(note_id=note_id)
        if owner is None:
            return None
        access = event_access(event=owner.event, actor=Actor(user=user))
        read = access.read_notes()
        if read is not None:
            return NoteAccess(can_read=False, can_write=False, read_only_reason=read.text)
        write = access.write_notes(owner.note)
        return NoteAccess(
            can_read=True, can_write=write is None, read_only_reason=write.text if write else ""
        )

    def guest_key(self, *, headers) -> str:
        # The guest browser's key from its signed cookie (sessions/board/identity.py).
        return guest_key_from_headers(headers)
