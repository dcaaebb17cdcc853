"""The database writer of one room: nothing a client typed may be lost.

A `NoteWriter` runs one background task per open room. It appends the room's
changes to the note's log as one merged row per micro-batch (at most
`PERSIST_INTERVAL` after they arrive), records contributors and who each new Yjs
client id belongs to (authorship), in one transaction with the other rooms'
micro-batches (see `Appends`), refreshes the note's Markdown `MARKDOWN_INTERVAL`
after edits (later when many rooms are open: `room.markdown_interval`) and when
asked (the last client left, a server-side replacement), keeps revisions, and
compacts the log into the checkpoint past `COMPACT_AFTER_ROWS` rows (see
`persistence.py` for why that is safe across processes).

A failed write keeps everything and retries with backoff: the database being
down for a while delays storage, it never drops a change.

Before the Markdown is written, `before_markdown` runs (the room reads what
other processes stored when it is not linked to them): the stored text is then
the merged document, never one process's half.
"""

import asyncio
import logging
from datetime import timedelta

from . import persistence
from .conf import live_setting
from .health import PROBE_INTERVAL, DatabaseUnavailable
from .persistence import run_db

log = logging.getLogger("notes.live")


class NoteWriter:
    def __init__(
        self,
        *,
        note_id: int,
        text,
        loop,
        appends: "Appends",
        before_markdown=None,
        markdown_interval=lambda: live_setting("MARKDOWN_INTERVAL"),
    ):
        self.note_id = note_id
        self.appends = appends  # shared by the rooms of the registry
        self.text = text  # the room's Y.Text: read on the event loop only
        self.loop = loop
        self.before_markdown = before_markdown
        self.markdown_interval = markdown_interval  # seconds, asked at each edit
        self.tail_rows = 0
        self.written_markdown: str | None = None
        self._updates: list[bytes] = []
        self._contributors: list[tuple[int | None, str, str]] = []
        self._client_authors: list[tuple[int, int | None, str, str]] = []
        self._markdown_frozen = False
        self._markdown_requested = False
        self._force_revision = False
        self._markdown_timer: asyncio.TimerHandle | None = None
        self._wake = asyncio.Event()
        # Held around every write of this writer; a server-side replacement holds it
        # while it writes its revisions, so that no write of the room comes between.
        self.lock = asyncio.Lock()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task | None = None
        # Loop times of the oldest update waiting (and of the oldest in the batch being
        # written): how far storage lags behind (`lag`, for metrics and the dashboard).
        self._waiting_since: float | None = None
        self._writing_since: float | None = None
        self._writing = 0

    def start(self, *, tail_rows: int, markdown: str) -> None:
        self.tail_rows = tail_rows
        self.written_markdown = markdown
        self._task = self.loop.create_task(self._run())

    def close(self) -> None:
        if self._markdown_timer is not None:
            self._markdown_timer.cancel()
            self._markdown_timer = None
        if self._task is not None:
            self._task.cancel()

    @property
    def queued(self) -> int:
        """Updates received and not stored yet."""
        return len(self._updates) + self._writing

    def lag(self, now: float) -> float:
        """Seconds the oldest update not stored yet has waited (0 when none waits)."""
        oldest = [t for t in (self._waiting_since, self._writing_since) if t is not None]
        return now - min(oldest) if oldest else 0.0

    @property
    def busy(self) -> bool:
        """Something is not stored yet (or a Markdown refresh is pending)."""
        return not self._idle.is_set() or bool(self._updates) or self._markdown_timer is not None

    # --- what the room asks for ---

    def store(self, update: bytes) -> None:
        """Append `update` with the next micro-batch; refresh the Markdown soon."""
        if not self._updates:
            self._waiting_since = self.loop.time()
        self._updates.append(update)
        if self._markdown_timer is None and not self._markdown_frozen:
            self._markdown_timer = self.loop.call_later(
                self.markdown_interval(), self._markdown_due
            )

    def text_changed(self) -> None:
        """The text changed without anything to append (read back from the store)."""
        if self._markdown_timer is None and not self._markdown_frozen:
            self._markdown_timer = self.loop.call_later(
                self.markdown_interval(), self._markdown_due
            )

    def contributor(self, *, user_id: int | None, name: str, guest_key: str = "") -> None:
        self._contributors.append((user_id, name, guest_key))
        self.wake()

    def client_author(self, *, client_id: int, user_id: int | None, guest_key: str, name: str):
        """Record who the Yjs client `client_id` is, with the next micro-batch."""
        self._client_authors.append((client_id, user_id, guest_key, name))
        self.wake()

    def keep_markdown(self) -> None:
        """Never write the Markdown from this room's text again (the room is being
        dropped, its text is not the note's); updates are still stored."""
        self._markdown_frozen = True
        self._markdown_requested = False
        if self._markdown_timer is not None:
            self._markdown_timer.cancel()
            self._markdown_timer = None

    def request_markdown(self, *, force_revision: bool) -> None:
        if self._markdown_frozen:
            return
        self._markdown_requested = True
        self._force_revision = self._force_revision or force_revision
        self.wake()

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    async def flushed(self) -> None:
        """Wait until every change so far is stored (updates, Markdown requested)."""
        while not (self._idle.is_set() and not self._updates and not self._wake.is_set()):
            await self._idle.wait()
            await asyncio.sleep(0)

    def _markdown_due(self) -> None:
        self._markdown_timer = None
        self.request_markdown(force_revision=False)

    # --- the task ---

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            await self._wake.wait()
            self._wake.clear()
            # A server-side replacement holds the lock while it writes its revisions:
            # the batch is read only once it is done, so the text as it was before the
            # replacement is never stored after the replacement's own records.
            async with self.lock:
                try:
                    wrote = await self._write_batch()
                except DatabaseUnavailable:
                    # Known to be down (logged once by health.py): nothing was tried,
                    # so look again soon; the first try after it answers succeeds.
                    wrote, pause = None, PROBE_INTERVAL
                except Exception:
                    # Kept for the next attempt: nothing a client typed may be lost.
                    log.exception(
                        "storing note %s failed; retrying in %.1f s", self.note_id, backoff
                    )
                    wrote, pause = None, backoff
                    backoff = min(backoff * 2, 10.0)
            if wrote is None:
                await asyncio.sleep(pause)
                self._wake.set()
                continue
            backoff = 0.5
            if not self._wake.is_set() and not self._updates:
                self._idle.set()
            if wrote:
                # The micro-batch window: what arrives meanwhile goes in the next append.
                await asyncio.sleep(live_setting("PERSIST_INTERVAL"))

    async def _write_batch(self) -> bool:
        """Store what is pending in one worker-thread hop; False when nothing was.
        On failure, everything is put back and the exception raised."""
        if self._markdown_requested and self.before_markdown is not None:
            try:
                await self.before_markdown()
            except Exception:
                log.exception("note %s: reading other processes' changes failed", self.note_id)
        updates, self._updates = self._updates, []
        self._writing_since, self._waiting_since = self._waiting_since, None
        self._writing = len(updates)
        contributors, self._contributors = self._contributors, []
        client_authors, self._client_authors = self._client_authors, []
        markdown = None
        state_vector = b""
        force_revision = self._force_revision
        if self._markdown_requested:
            self._markdown_requested = False
            self._force_revision = False
            text = str(self.text)
            if text != self.written_markdown or force_revision:
                markdown = text
                # Read with the text: a revision's state says who wrote before it.
                state_vector = self.text.doc.get_state()
        if not (updates or contributors or client_authors or markdown is not None):
            return False
        compact_after = live_setting("COMPACT_AFTER_ROWS")
        compact_rows = compact_after if self.tail_rows + 1 >= compact_after else None
        # The common case: with the other rooms' micro-batches, in one transaction.
        together = not compact_rows and markdown is None
        try:
            if together:
                appended = await self.appends.append(
                    persistence.Batch(self.note_id, updates, contributors, client_authors)
                )
                result = persistence.PersistResult(appended=appended, folded=0)
            else:
                result = await run_db(
                    persistence.persist,
                    note_id=self.note_id,
                    updates=updates,
                    contributors=contributors,
                    markdown=markdown,
                    force_revision=force_revision,
                    revision_interval=timedelta(seconds=live_setting("REVISION_INTERVAL")),
                    compact_rows=compact_rows,
                    client_authors=client_authors,
                    state_vector=state_vector,
                )
        except Exception:
            self._updates[:0] = updates
            if self._writing_since is not None:
                self._waiting_since = self._writing_since
            self._writing_since, self._writing = None, 0
            self._contributors[:0] = contributors
            self._client_authors[:0] = client_authors
            if markdown is not None:
                self._markdown_requested = True
                self._force_revision = self._force_revision or force_revision
            raise
        self._writing_since, self._writing = None, 0
        if result.appended:
            self.tail_rows += 1
        if result.folded:
            self.tail_rows = max(0, self.tail_rows - result.folded)
            log.debug("compacted %s rows of note %s", result.folded, self.note_id)
        if markdown is not None:
            self.written_markdown = markdown
        return True


class Appends:
    """The micro-batches of every room of one registry (event loop), written together.

    A room's writer hands over its micro-batch (its updates, and who to credit) and
    waits; whatever the rooms hand over while one is being written goes in the next,
    in one transaction (`persistence.write_many`). One room alone writes as before;
    three hundred write a few transactions a second instead of a thousand.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._pending: list[tuple[persistence.Batch, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def append(self, batch: "persistence.Batch") -> bool:
        """Write `batch`; True when its updates were appended as one row of the note's
        log (False: none, or the note is gone). Raises what the write raised (the
        writer keeps the batch and retries)."""
        done = self.loop.create_future()
        self._pending.append((batch, done))
        if self._task is None:
            self._task = self.loop.create_task(self._run())
        return await done

    async def _run(self) -> None:
        try:
            while self._pending:
                pending, self._pending = self._pending, []
                try:
                    stored = await run_db(persistence.write_many, [b for b, _ in pending])
                except Exception as exc:
                    for _, done in pending:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                for (_, done), ok in zip(pending, stored, strict=True):
                    if not done.done():  # its writer may have been cancelled meanwhile
                        done.set_result(ok)
        finally:
            self._task = None
