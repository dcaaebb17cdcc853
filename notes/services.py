"""Writes to note documents."""

from django.db import transaction
from django.utils import timezone

from .models import Note, NoteRevision, NoteUpdate


@transaction.atomic
def note_replace_text(*, note: Note, markdown: str) -> bool:
    """Replace a note's whole text (an import); returns whether anything changed.

    The CRDT state is dropped with it (checkpoint and update log), so the live
    engine seeds a fresh document from `markdown` the next time the note is
    opened. The previous text is kept as a revision, so nothing is lost.
    Precondition: no live room holds this note open in a process (an import
    runs between events, or the room must reload after commit).
    """
    if note.markdown == markdown:
        return False
    if note.markdown and note.markdown != markdown:
        NoteRevision.objects.create(note=note, markdown=note.markdown)
    NoteUpdate.objects.filter(note=note).delete()
    note.markdown = markdown
    note.checkpoint = b""
    note.checkpoint_seq = 0
    note.markdown_updated_at = timezone.now()
    note.save(
        update_fields=[
            "markdown",
            "checkpoint",
            "checkpoint_seq",
            "markdown_updated_at",
            "updated_at",
        ]
    )
    return True
