"""Writes to notes from outside the live engine (imports, admin, tools)."""

import asyncio
import concurrent.futures
import logging
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone
from pycrdt import Doc, Text

from . import peers, persistence
from .models import Note, NoteClientAuthor, NoteContributor, NoteRevision, NoteUpdate
from .protocol import EMPTY_UPDATE
from .room import TextState, all_registries, apply_text_edits

log = logging.getLogger("notes.live")


@dataclass(frozen=True)
class ReplacedBy:
    """Who a server-side replacement is made for (authorship and history name them)."""

    name: str
    user_id: int | None = None


# The name a replacement's text is credited to when no person is given.
_DEFAULT_AUTHORS = {
    NoteRevision.Reason.BEFORE_IMPORT: "Import",
    NoteRevision.Reason.BEFORE_ADMIN: "Admin",
    NoteRevision.Reason.BEFORE_RESTORE: "Restore",
}


def note_replace_text(
    *,
    note: Note,
    markdown: str,
    reason: str = NoteRevision.Reason.BEFORE_REPLACE,
    by: ReplacedBy | None = None,
    restored_from: NoteRevision | None = None,
) -> bool:
    """Make the text of a note read `markdown`: one change every editor and reader
    converges on.

    Returns whether anything changed (the same text is left alone, so a re-import of
    an unchanged file writes nothing). The text as it was is kept first as a revision
    (`reason`: why it is replaced), unless the newest revision already holds it; a
    restore (`restored_from`) is then kept as a revision of its own, naming `by`.

    The change is made of word-level edits from the current text (not "delete all,
    insert all"): words both texts share keep their authors, and text typed
    concurrently elsewhere is kept. It is made by a Yjs client id of its own, credited
    to `by` (or to "Import", "Admin"…), appended to the note's log like any edit, and
    the Markdown is stored.

    Open rooms: if the note's room is open in THIS process, the room itself makes
    the change (so it also sees edits it has not stored yet), fans it out to its
    clients, stores it and relays it to other processes. Otherwise the change is
    computed from the stored document and, after commit, published on the note's
    channel-layer group, so rooms open in other server processes apply it too.
    Text typed concurrently that reaches the server only afterwards (an offline
    editor) is kept, merged next to the new text: a CRDT loses no one's edits.

    Call it from synchronous code (a view, a management command, the admin), not
    from the event loop.
    """
    if restored_from is None and note.markdown == markdown:
        return False
    author = by or ReplacedBy(name=_DEFAULT_AUTHORS.get(reason, "Server"))
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
        return _replace_in_room(
            room,
            note=note,
            markdown=markdown,
            reason=reason,
            author=author,
            restored_from=restored_from,
        )

    result = _replace_stored(
        note_id=note.pk,
        markdown=markdown,
        reason=reason,
        author=author,
        restored_from=restored_from,
    )
    if result is None:
        return False
    note.markdown = markdown
    transaction.on_commit(lambda: _publish(note.pk, result))
    return True


def _replace_in_room(
    room, *, note: Note, markdown: str, reason: str, author: ReplacedBy, restored_from
) -> bool:
    handed, release = concurrent.futures.Future(), concurrent.futures.Future()
    asyncio.run_coroutine_threadsafe(
        room.replace_text_held(markdown, handed=handed, release=release), room.loop
    )
    try:
        before, replaced = handed.result(timeout=30)
    except BaseException:
        release.set_result(None)  # should the room get there after all, it goes on
        raise
    if replaced is None:
        return False
    try:
        # The text it replaced, kept first: history then never lacks it.
        _keep_before(
            note_id=note.pk,
            markdown=before.text,
            reason=reason,
            state_vector=before.state_vector,
            created_by_id=author.user_id,
            created_by_name=author.name,
        )
        _record_replacement(
            note_id=note.pk,
            client_id=replaced.client_id,
            author=author,
            restored_from=restored_from,
            after=replaced.after,
        )
    finally:
        release.set_result(None)
    if not transaction.get_connection().in_atomic_block:
        # Stored before returning. Not inside a transaction: on SQLite the room's
        # writer waits for it to commit, so waiting here would wait for ourselves.
        asyncio.run_coroutine_threadsafe(room.flushed(), room.loop).result(timeout=30)
    note.markdown = markdown
    return True


def _keep_before(*, markdown: str, **fields) -> None:
    """Keep the text a replacement replaces as a revision, unless it is empty or the
    newest revision already holds it (nothing would be lost)."""
    if markdown:
        persistence.revision_add(markdown=markdown, unless_unchanged=True, **fields)


def _record_replacement(*, note_id: int, client_id: int, author, restored_from, after) -> None:
    persistence.record_client_authors(
        note_id=note_id, authors=[(client_id, author.user_id, "", author.name)]
    )
    if restored_from is not None:
        persistence.revision_add(
            note_id=note_id,
            markdown=after.text,
            reason=NoteRevision.Reason.RESTORE,
            state_vector=after.state_vector,
            created_by_id=author.user_id,
            created_by_name=author.name,
            restored_from_id=restored_from.pk,
        )


def _replace_stored(
    *, note_id: int, markdown: str, reason: str, author: ReplacedBy, restored_from
) -> bytes | None:
    with transaction.atomic():
        Note.objects.select_for_update().filter(pk=note_id).values("pk").first()
        doc = persistence.load_note_doc(note_id=note_id)
        if doc is None:
            raise Note.DoesNotExist(note_id)
        previous = str(doc.get(persistence.CONTENT, type=Text))
        if previous == markdown:
            return None
        _keep_before(
            note_id=note_id,
            markdown=previous,
            reason=reason,
            state_vector=doc.get_state(),
            created_by_id=author.user_id,
            created_by_name=author.name,
        )
        # load_note_doc's document has a client id of its own: the replacement's.
        update = persistence.edit_text(doc, markdown)
        if update is not None:
            NoteUpdate.objects.create(note_id=note_id, data=update)
        Note.objects.filter(pk=note_id).update(
            markdown=markdown, markdown_updated_at=timezone.now()
        )
        if update is not None:
            _record_replacement(
                note_id=note_id,
                client_id=doc.client_id,
                author=author,
                restored_from=restored_from,
                after=TextState(text=markdown, state_vector=doc.get_state()),
            )
    return update


def note_restore(*, note: Note, revision: NoteRevision, by: ReplacedBy) -> bool:
    """Make the note read as `revision` again: one new change (nothing in the past is
    rewritten), kept in history as a restore by `by`. Whether `by` may restore is the
    caller's to check. Returns False when the text already reads so."""
    if revision.note_id != note.pk:
        raise ValueError("the revision belongs to another note")
    return note_replace_text(
        note=note,
        markdown=revision.markdown,
        reason=NoteRevision.Reason.BEFORE_RESTORE,
        by=by,
        restored_from=revision,
    )


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


# --- Who may write: the policy is asked again ----------------------------------------


def note_access_changed(*, note_id: int) -> None:
    """Have every open connection to a note ask the policy again, at once.

    Call it when an answer of the policy may have changed (the note was locked or
    unlocked, its event archived, who may take notes changed), after the change is
    committed (`transaction.on_commit`): the connections ask the database. A
    connection that lost write permission is told why, one that regained it is told
    so, one that may no longer read is closed (see `Room.set_access`).

    Rooms in this process are told directly; those of other processes over the
    channel layer (notes/peers.py). Callable from synchronous code, never raises.
    """
    for registry in all_registries():
        try:
            registry.loop.call_soon_threadsafe(registry.access_changed, note_id)
        except RuntimeError:  # its loop closed meanwhile: its rooms are gone
            continue
    layer = get_channel_layer()
    if layer is None or isinstance(layer, InMemoryChannelLayer):
        return  # one process: its rooms were told above
    try:
        async_to_sync(peers.publish_access_changed)(layer, note_id=note_id, sender="services")
    except Exception as exc:
        # Rooms elsewhere ask again when their link is back (see peers.py).
        log.warning("could not tell other processes about note %s: %r", note_id, exc)


def note_set_locked(*, note_id: int, locked: bool) -> bool:
    """Lock or unlock a note; its open connections are told once this commits.

    Whether a locked note is read-only, and who may lock it, is the policy's to say.
    Returns whether anything changed.
    """
    changed = Note.objects.filter(pk=note_id).exclude(locked=locked).update(locked=locked)
    if changed:
        transaction.on_commit(lambda: note_access_changed(note_id=note_id))
    return bool(changed)


# --- Contributors ----------------------------------------------------------------------


def note_contributors_merge_guest(*, guest_key: str, user_id: int, name: str) -> int:
    """Credit to an account what a guest browser (`guest_key`) wrote, under `name` (the
    account's display name): for when that guest signs up or signs in. Returns how
    many guest rows became the account's; in a note the account also wrote, the guest's
    row is folded into the account's one. Who wrote what follows: the browser's Yjs
    client ids become the account's."""
    if not guest_key:
        return 0
    moved = 0
    with transaction.atomic():
        rows = NoteContributor.objects.select_for_update().filter(
            user__isnull=True, guest_key=guest_key
        )
        for row in rows.order_by("first_edit_at", "pk"):
            mine = NoteContributor.objects.filter(note_id=row.note_id, user_id=user_id).first()
            if mine is None:
                NoteContributor.objects.filter(pk=row.pk).update(
                    user_id=user_id, name=name[:100], guest_key=""
                )
                moved += 1
            else:
                if row.first_edit_at < mine.first_edit_at:
                    NoteContributor.objects.filter(pk=mine.pk).update(
                        first_edit_at=row.first_edit_at
                    )
                row.delete()
        NoteClientAuthor.objects.filter(user__isnull=True, guest_key=guest_key).update(
            user_id=user_id, name=name[:100], guest_key=""
        )
    return moved
