"""Writes to notes from outside the live engine (imports, admin, tools)."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone
from pycrdt import Doc, Text

from . import peers, persistence
from .models import Note, NoteContributor, NoteRevision, NoteUpdate
from .protocol import EMPTY_UPDATE
from .room import all_registries, apply_text_edits

log = logging.getLogger("notes.live")


def note_replace_text(*, note: Note, markdown: str) -> bool:
    """Replace the whole text of a note: one change every editor and reader converges on.

    Returns whether anything changed (the same text is left alone, so a re-import
    of an unchanged file writes nothing). The previous text is kept as a revision.

    The change deletes all the text the server knows and inserts `markdown` (no
    diff), appended to the note's log like any edit, and the Markdown is stored.

    Open rooms: if the note's room is open in THIS process, the room itself makes
    the change (so it also deletes edits it has not stored yet), fans it out to its
    clients, stores it and relays it to other processes. Otherwise the change is
    computed from the stored document and, after commit, published on the note's
    channel-layer group, so rooms open in other server processes apply it too.
    Text typed concurrently that reaches the server only afterwards (an offline
    editor) is kept, merged next to the new text: a CRDT loses no one's edits.

    Call it from synchronous code (a view, a management command, the admin), not
    from the event loop.
    """
    if note.markdown == markdown:
        return False
    for registry in all_registries():
        room = registry.room_if_open(note.pk)
        if room is None:
            continue
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is registry.loop:
            raise RuntimeError("note_replace_text() blocks: call it from a thread")
        _keep_revision(note_id=note.pk, previous=note_text(note=note), markdown=markdown)
        future = asyncio.run_coroutine_threadsafe(_replace_in_room(room, markdown), registry.loop)
        future.result(timeout=30)
        note.markdown = markdown
        return True

    update = _replace_stored(note_id=note.pk, markdown=markdown)
    note.markdown = markdown
    if update is not None:
        transaction.on_commit(lambda: _publish(note.pk, update))
    return True


async def _replace_in_room(room, markdown: str) -> None:
    room.replace_text(markdown)
    await room.flushed()


def _replace_stored(*, note_id: int, markdown: str) -> bytes | None:
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=note_id).values("pk").first()
        doc = persistence.load_note_doc(note_id=note_id)
        if doc is None:
            raise Note.DoesNotExist(note_id)
        text = doc.get(persistence.CONTENT, type=Text)
        _keep_revision(note_id=note_id, previous=str(text), markdown=markdown)
        changes: list[bytes] = []
        subscription = doc.observe(lambda event: changes.append(event.update))
        with doc.transaction():
            text.clear()
            if markdown:
                text.insert(0, markdown)
        doc.unobserve(subscription)
        update = changes[0] if changes and changes[0] != EMPTY_UPDATE else None
        if update is not None:
            NoteUpdate.objects.create(note_id=note_id, data=update)
        Note.objects.filter(pk=note_id).update(
            markdown=markdown, markdown_updated_at=timezone.now()
        )
    return update


def note_edit_text(*, note_id: int, edit):
    """Apply a small edit computed from the note's current text, as one change: the
    room's own text where the note is open in this process, else the stored document.

    `edit(text)` returns a list of `(index, length, insert)` (Python string indices into
    `text`), or a falsy value for no change; it may raise to refuse, and its result is
    returned. Unlike `note_replace_text`, only the characters named are replaced, so
    edits typed concurrently (in any process, or offline) all survive: a CRDT change
    names the characters it deletes, not their positions.

    Call it from synchronous code (a view), not from the event loop.
    """
    for registry in all_registries():
        room = registry.room_if_open(note_id)
        if room is None:
            continue
        future = asyncio.run_coroutine_threadsafe(_edit_in_room(room, edit), registry.loop)
        return future.result(timeout=30)
    changes, update = _edit_stored(note_id=note_id, edit=edit)
    if update is not None:
        transaction.on_commit(lambda: _publish(note_id, update))
    return changes


async def _edit_in_room(room, edit):
    changes = room.edit_text(edit)
    await room.flushed()
    return changes


def _edit_stored(*, note_id: int, edit):
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=note_id).values("pk").first()
        doc = persistence.load_note_doc(note_id=note_id)
        if doc is None:
            raise Note.DoesNotExist(note_id)
        text = doc.get(persistence.CONTENT, type=Text)
        current = str(text)
        changes = edit(current)
        if not changes:
            return changes, None
        updates: list[bytes] = []
        subscription = doc.observe(lambda event: updates.append(event.update))
        with doc.transaction():
            apply_text_edits(text, current, changes)
        doc.unobserve(subscription)
        update = updates[0] if updates and updates[0] != EMPTY_UPDATE else None
        if update is not None:
            NoteUpdate.objects.create(note_id=note_id, data=update)
        Note.objects.filter(pk=note_id).update(
            markdown=str(text), markdown_updated_at=timezone.now()
        )
    return changes, update


def _keep_revision(*, note_id: int, previous: str, markdown: str) -> None:
    # History keeps the text as it was (the document, not the possibly stale
    # Markdown column) before it is replaced wholesale.
    if previous and previous != markdown:
        NoteRevision.objects.create(note_id=note_id, markdown=previous)


def _publish(note_id: int, update: bytes) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(peers.publish_update)(
            layer, note_id=note_id, update=update, sender="services"
        )
    except Exception as exc:
        # Rooms open elsewhere read it from the store when their link is back.
        log.warning("could not publish the new text of note %s: %r", note_id, exc)


def note_text(*, note: Note) -> str:
    """The current text of a note as stored (checkpoint + log), without a room."""
    doc = persistence.load_note_doc(note_id=note.pk) or Doc()
    return str(doc.get(persistence.CONTENT, type=Text))


def contributor_claim(*, user, claims) -> int:
    """Credit `user` with contributions made under other names: `claims` is an iterable of
    (note id, name). Only contributions credited to nobody yet are claimed. Returns how
    many were.

    For a guest who signs in: the app that knows which names the guest wrote under, and
    where, says so; `notes` itself knows guests by name only.
    """
    claimed = 0
    with transaction.atomic():
        for note_id, name in set(claims):
            claimed += NoteContributor.objects.filter(
                note_id=note_id, name=name, user__isnull=True
            ).update(user=user)
    return claimed
