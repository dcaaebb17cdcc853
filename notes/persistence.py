"""Storage of live documents: a checkpoint plus an append-only log of updates.

Synchronous functions, called from the live engine through `run_db` (a worker
thread with Django's connection hygiene) and from plain Django code.

Invariants, on SQLite and PostgreSQL, with any number of processes:
- `Note.checkpoint` contains every update with id <= `Note.checkpoint_seq`;
  a note loads as the checkpoint plus every update with a greater id.
- Compaction folds the log into the checkpoint in one transaction.
- Applying an update twice is harmless in a CRDT, so a crash at any point can
  at worst leave an update both in the checkpoint and in the log.

Why the row locks on PostgreSQL: update ids come from a sequence when the row is
inserted, but transactions commit in any order. Without a lock, a compaction
could read ids 1..101 while id 100 is still uncommitted, move checkpoint_seq to
101, and id 100 would never be loaded again. Appenders therefore hold a KEY SHARE
lock on the note row from before their insert until their commit, and compaction
takes FOR UPDATE on it, which waits for them (and they for it). On SQLite every
write transaction is exclusive (`transaction_mode = IMMEDIATE`), which gives the
same ordering.
"""

import asyncio
import contextlib
import contextvars
import functools
import logging
import threading
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from pycrdt import Doc, Text, merge_updates

from .health import database_health
from .models import Note, NoteClientAuthor, NoteContributor, NoteRevision, NoteUpdate
from .protocol import CONTENT, EMPTY_UPDATE
from .textdiff import change_size, edits

log = logging.getLogger("notes.live")


# The live engine's database work runs on threads of its own, so that they may keep
# their connection between calls where that pays: on SQLite, opening a connection runs
# the WAL pragmas and closing the last one checkpoints the WAL into the database file
# (an fsync), which cost more than the micro-batch's insert itself (py-spy under
# bench/peer.py: 30 % of the worker's busy time at 20 editors). On PostgreSQL closing
# hands the connection back to psycopg's pool, which is cheap, and keeps connections
# free for the pages: done after every call, as before.
# SQLite takes one writer at a time, and a writer that finds the database locked
# sleeps in SQLite's busy handler (up to 100 ms between tries) even once it is free
# again: the engine's threads would mostly wait on each other. One thread writes
# there (bench/peer.py, 300 notes × 3 editors: storage 0.7–1 s behind instead of
# 1.4–5.4 s). PostgreSQL takes concurrent writes: four.
# (The pool starts its threads on first use.)
DB_THREADS = 1 if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else 4
_executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="notes-db")


async def run_db(fn, /, *args, **kwargs):
    """Run a synchronous database function in one of the live engine's threads.

    While the database is known to be down, raises `DatabaseUnavailable` at once
    (see `health.py`): no thread waits for a server that is not there.
    """
    database_health.check()
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, _db_call, fn, args, kwargs)
    try:
        return await loop.run_in_executor(_executor, call)
    except Exception as exc:
        database_health.report(exc)
        raise


def wait_until_idle(
    executor: Executor = _executor, threads: int = DB_THREADS, timeout: float = 30.0
) -> None:
    """Block until every call already handed to `executor` (of `threads` threads) has
    finished; raises threading.BrokenBarrierError after `timeout` s.

    The live engine's writes outlive the coroutine that asked for them: a test waits
    here before its database is flushed (on PostgreSQL a flush meeting a write's
    transaction is a deadlock). One barrier task per thread: the queue is first in,
    first out and a thread waiting at the barrier takes nothing else, so once every
    thread is there, everything queued before has run.
    """
    barrier = threading.Barrier(threads + 1)
    for _ in range(threads):
        executor.submit(_wait_at, barrier, timeout)
    barrier.wait(timeout)


def _wait_at(barrier: threading.Barrier, timeout: float) -> None:
    # A broken barrier: the waiting side gave up, and says so itself.
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait(timeout)


def _db_call(fn, args, kwargs):
    keep = connection.vendor == "sqlite"
    if not keep:
        close_old_connections()
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        connection.close()  # whatever state it is in, the next call starts afresh
        raise
    if not keep:
        connection.close()
    return result


def _lock_rows(model, ids) -> set[int]:
    """Those of these rows of `model` that exist, kept from being deleted (and, for
    notes, from being compacted) until the current transaction ends: a KEY SHARE lock
    on PostgreSQL; SQLite's write transaction is exclusive already."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = model._meta.db_table  # ours, not input
            # In id order, as every process takes them: no two batches deadlock.
            cursor.execute(
                f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",  # noqa: S608
                [sorted(ids)],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def text_update(markdown: str) -> bytes:
    """A complete document whose `content` is `markdown`."""
    doc = Doc()
    if markdown:
        doc.get(CONTENT, type=Text).insert(0, markdown)
    return doc.get_update()


@dataclass(frozen=True)
class StoredState:
    update: bytes  # checkpoint and log merged: the whole document
    tail_rows: int  # log rows after the checkpoint
    markdown: str


def load_note_state(*, note_id: int) -> StoredState | None:
    """The stored document of a note, or None when the note does not exist.

    A note without any CRDT state yet is seeded from its Markdown, and the seed is
    stored as its checkpoint under a lock, so that two processes opening the same
    note never seed it twice (two seeds would merge into the text twice).
    """
    for _ in range(10):
        note = Note.objects.filter(pk=note_id).values("checkpoint", "checkpoint_seq", "markdown")
        note = note.first()
        if note is None:
            return None
        seq = note["checkpoint_seq"]
        rows = [
            bytes(data)
            for data in NoteUpdate.objects.filter(note_id=note_id, id__gt=seq)
            .order_by("id")
            .values_list("data", flat=True)
        ]
        # A compaction that committed between the two reads moved checkpoint_seq and
        # deleted rows we may not have read: read again.
        if Note.objects.filter(pk=note_id, checkpoint_seq=seq).exists():
            break
    else:  # pragma: no cover - ten compactions during one load
        raise RuntimeError(f"note {note_id} kept changing while loading")
    checkpoint = bytes(note["checkpoint"])
    if not checkpoint and not rows and note["markdown"]:
        checkpoint = _seed_from_markdown(note_id)
    parts = ([checkpoint] if checkpoint else []) + rows
    if not parts:
        update = Doc().get_update()
    elif len(parts) == 1:
        update = parts[0]
    else:
        update = merge_updates(*parts)
    return StoredState(update=update, tail_rows=len(rows), markdown=note["markdown"])


def _seed_from_markdown(note_id: int) -> bytes:
    with transaction.atomic():
        note = Note.objects.select_for_update().only("checkpoint", "markdown").get(pk=note_id)
        if note.checkpoint or NoteUpdate.objects.filter(note_id=note_id).exists():
            # Someone else seeded (or wrote) first: use theirs.
            return bytes(note.checkpoint)
        seed = text_update(note.markdown)
        Note.objects.filter(pk=note_id).update(checkpoint=seed)
        return seed


def load_note_doc(*, note_id: int) -> Doc | None:
    state = load_note_state(note_id=note_id)
    if state is None:
        return None
    doc = Doc()
    doc.get(CONTENT, type=Text)
    doc.apply_update(state.update)
    return doc


def append_updates(*, note_id: int, updates: list[bytes]) -> bool:
    """Append updates to the log as one row; False when the note no longer exists."""
    return write_many([Batch(note_id, updates)])[0]


@dataclass
class Batch:
    """One room's micro-batch: its updates, appended as one row, and who to credit.

    contributors: (user id, name, guest key) of connections that edited (see
    `record_contributors`); client_authors: (Yjs client id, user id, guest key, name)
    of client ids new to the room (see `record_client_authors`).
    """

    note_id: int
    updates: list[bytes]
    contributors: list[tuple[int | None, str, str]] = field(default_factory=list)
    client_authors: list[tuple[int, int | None, str, str]] = field(default_factory=list)


def write_many(batches: list[Batch]) -> list[bool]:
    """Write the micro-batches of several notes in one transaction, in a constant
    number of queries: one log row per batch with updates, and the contributors and
    client authors of all of them (accounts deleted meanwhile are left out). Returns for
    each batch whether it appended a row (False: it had no updates, or its note no
    longer exists, and nothing was written).

    The live engine's rooms write through this together (writer.Appends): with
    hundreds of rooms open, one transaction each every PERSIST_INTERVAL kept the
    database threads, and so the event loop's share of the GIL, busy; and when a
    track's 900 note-takers start typing, crediting each in a transaction of its own
    put storage seconds behind (bench/peer.py, tracks: 27 % of the worker's CPU).
    """
    with transaction.atomic():
        present = _lock_rows(Note, {b.note_id for b in batches})
        kept = [b for b in batches if b.note_id in present]
        # An account deleted since its connection opened is not credited: one missing
        # row would otherwise fail, and so hold back, every room's write.
        users = _lock_rows(
            get_user_model(),
            {c[0] for b in kept for c in b.contributors if c[0] is not None}
            | {a[1] for b in kept for a in b.client_authors if a[1] is not None},
        )
        NoteUpdate.objects.bulk_create(
            NoteUpdate(
                note_id=b.note_id,
                data=b.updates[0] if len(b.updates) == 1 else merge_updates(*b.updates),
            )
            for b in kept
            if b.updates
        )
        record_contributors(
            [(b.note_id, *c) for b in kept for c in b.contributors if c[0] is None or c[0] in users]
        )
        _add_client_authors(
            [
                (b.note_id, *a)
                for b in kept
                for a in b.client_authors
                if a[1] is None or a[1] in users
            ]
        )
    return [b.note_id in present and bool(b.updates) for b in batches]


def compact(*, note_id: int, min_rows: int = 1) -> int:
    """Fold the log into the checkpoint, in one transaction; return the rows folded.

    Safe to run concurrently from several processes: the second waits for the
    first's lock, then finds fewer than `min_rows` rows and does nothing.
    """
    with transaction.atomic():
        note = (
            Note.objects.select_for_update()
            .filter(pk=note_id)
            .values("checkpoint", "checkpoint_seq")
            .first()
        )
        if note is None:
            return 0
        rows = list(
            NoteUpdate.objects.filter(note_id=note_id, id__gt=note["checkpoint_seq"])
            .order_by("id")
            .values_list("id", "data")
        )
        if not rows or len(rows) < min_rows:
            return 0
        parts = [bytes(data) for _, data in rows]
        checkpoint = bytes(note["checkpoint"])
        if checkpoint:
            parts.insert(0, checkpoint)
        # merge_updates is lossless: it keeps even updates whose dependencies are
        # still missing (a Doc would drop those from its encoded state).
        merged = merge_updates(*parts)
        last_id = rows[-1][0]
        Note.objects.filter(pk=note_id).update(checkpoint=merged, checkpoint_seq=last_id)
        NoteUpdate.objects.filter(note_id=note_id, id__lte=last_id).delete()
    return len(rows)


def edit_text(doc: Doc, markdown: str) -> bytes | None:
    """Make the `content` text of `doc` read `markdown` with word-level edits (only
    what differs is deleted and inserted, so unchanged words keep their authors, and
    text others type concurrently elsewhere is kept when the edits merge). Returns the
    update it made, or None when the text already reads so."""
    text = doc.get(CONTENT, type=Text)
    old = str(text)
    changes = edits(old, markdown)
    if not changes:
        return None
    # pycrdt's offsets are UTF-8 bytes: convert, walking the old text once.
    spans = []
    chars = byte_offset = 0
    for start, end, insert in changes:
        byte_offset += len(old[chars:start].encode())
        byte_start = byte_offset
        byte_offset += len(old[start:end].encode())
        chars = end
        spans.append((byte_start, byte_offset, insert))
    updates: list[bytes] = []
    subscription = doc.observe(lambda event: updates.append(event.update))
    try:
        with doc.transaction():
            for byte_start, byte_end, insert in reversed(spans):
                if byte_end > byte_start:
                    del text[byte_start:byte_end]
                if insert:
                    text.insert(byte_start, insert)
    finally:
        doc.unobserve(subscription)
    update = updates[0] if updates else EMPTY_UPDATE
    return None if update == EMPTY_UPDATE else update


def revision_add(
    *,
    note_id: int,
    markdown: str,
    reason: str,
    state_vector: bytes = b"",
    created_by_id: int | None = None,
    created_by_name: str = "",
    restored_from_id: int | None = None,
    unless_unchanged: bool = False,
) -> NoteRevision | None:
    """Keep `markdown` as the note's newest revision, with the size of its change from
    the previous one. With `unless_unchanged`, nothing is kept when the previous
    revision already holds this text."""
    last = (
        NoteRevision.objects.filter(note_id=note_id)
        .order_by("-created_at", "-pk")
        .values_list("markdown", flat=True)
        .first()
    )
    if unless_unchanged and last == markdown:
        return None
    added, removed = change_size(last or "", markdown)
    return NoteRevision.objects.create(
        note_id=note_id,
        markdown=markdown,
        reason=reason,
        state_vector=state_vector,
        created_by_id=created_by_id,
        created_by_name=created_by_name[:100],
        restored_from_id=restored_from_id,
        chars_added=added,
        chars_removed=removed,
    )


def save_markdown(
    *,
    note_id: int,
    markdown: str,
    revision_interval: timedelta,
    force_revision: bool,
    state_vector: bytes = b"",
) -> None:
    """Store the note's Markdown; keep a revision when it changed and it is time to
    (`force_revision`: the last writer left)."""
    now = timezone.now()
    Note.objects.filter(pk=note_id).update(markdown=markdown, markdown_updated_at=now)
    revisions = NoteRevision.objects.filter(note_id=note_id)
    last = revisions.order_by("-created_at", "-pk").values("pk", "created_at").first()
    if last is None:
        due = bool(markdown)
    elif force_revision or now - last["created_at"] >= revision_interval:
        # The newest revision's text is read only when one may be due (a long note's
        # text is not copied every refresh to learn that it is not).
        due = revisions.filter(pk=last["pk"]).values_list("markdown", flat=True).first() != markdown
    else:
        due = False
    if due:
        reason = NoteRevision.Reason.LEFT if force_revision else NoteRevision.Reason.EDITING
        revision_add(note_id=note_id, markdown=markdown, reason=reason, state_vector=state_vector)


def record_client_authors(*, note_id: int, authors: list[tuple[int, int | None, str, str]]) -> None:
    """Remember who each Yjs client id is: (client id, user id, guest key, name). A
    client id already known keeps its first author (the unique constraint decides,
    also between processes)."""
    if not authors or not Note.objects.filter(pk=note_id).exists():
        return
    _add_client_authors([(note_id, *author) for author in authors])


def _add_client_authors(rows: list[tuple[int, int, int | None, str, str]]) -> None:
    """(note id, client id, user id, guest key, name) of notes known to exist."""
    NoteClientAuthor.objects.bulk_create(
        [
            NoteClientAuthor(
                note_id=note_id,
                client_id=client_id,
                user_id=user_id,
                guest_key=guest_key[:64],
                name=_credited_name(name),
            )
            for note_id, client_id, user_id, guest_key, name in rows
        ],
        ignore_conflicts=True,
    )


def _credited_name(name: str) -> str:
    return (name or "").strip()[:100] or "Guest"


def record_contributor(
    *, note_id: int, user_id: int | None, name: str, guest_key: str = ""
) -> None:
    """Credit a note to an account (by the account, under its current name) or to a
    guest (by name and browser key): a guest is never credited as an account, whatever
    name they chose."""
    record_contributors([(note_id, user_id, name, guest_key)])


def record_contributors(entries: list[tuple[int, int | None, str, str]]) -> None:
    """`record_contributor` for many (note id, user id, name, guest key) at once, in
    three queries: the notes' contributors are read, those already credited get their
    current name and a new last edit, the others are created. Two processes crediting
    the same person at once: the unique constraints keep one row (the other insert is
    ignored)."""
    # One row per account per note, one per guest name and browser key per note.
    wanted: dict[tuple, str] = {}
    for note_id, user_id, name, guest_key in entries:
        name = _credited_name(name)
        if user_id is not None:
            wanted[(note_id, user_id, None, None)] = name
        else:
            wanted[(note_id, None, name, guest_key[:64])] = name
    if not wanted:
        return
    now = timezone.now()
    found = []
    for row in NoteContributor.objects.filter(note_id__in={key[0] for key in wanted}):
        if row.user_id is not None:
            key = (row.note_id, row.user_id, None, None)
        else:
            key = (row.note_id, None, row.name, row.guest_key)
        if key in wanted:
            row.name, row.last_edit_at = wanted.pop(key), now
            found.append(row)
    NoteContributor.objects.bulk_update(found, ["name", "last_edit_at"])
    NoteContributor.objects.bulk_create(
        [
            NoteContributor(note_id=note_id, user_id=user_id, name=name, guest_key=guest_key or "")
            for (note_id, user_id, _, guest_key), name in wanted.items()
        ],
        ignore_conflicts=True,
    )


@dataclass(frozen=True)
class PersistResult:
    appended: bool
    folded: int


def persist(
    *,
    note_id: int,
    updates: list[bytes],
    contributors: list[tuple[int | None, str, str]],
    markdown: str | None,
    force_revision: bool,
    revision_interval: timedelta,
    compact_rows: int | None,
    client_authors: list[tuple[int, int | None, str, str]] = (),
    state_vector: bytes = b"",
) -> PersistResult:
    """One micro-batch of the live engine's writes, in one worker-thread hop."""
    appended = write_many([Batch(note_id, updates, list(contributors), list(client_authors))])[0]
    if markdown is not None:
        save_markdown(
            note_id=note_id,
            markdown=markdown,
            revision_interval=revision_interval,
            force_revision=force_revision,
            state_vector=state_vector,
        )
    folded = compact(note_id=note_id, min_rows=compact_rows) if compact_rows else 0
    return PersistResult(appended=appended, folded=folded)
