"""Reads of note documents: contributors, history (revisions and their differences)
and authorship (who wrote what)."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from pycrdt import Text

from . import persistence
from .models import Note, NoteClientAuthor, NoteRevision
from .textdiff import diff_html
from .yjs import TextRuns, text_runs

log = logging.getLogger(__name__)

# Authors are shown in this many colours (static/css: .author--0 … .author--7).
AUTHOR_COLOURS = 8


def note_contributor_names(*, note: Note) -> list[str]:
    """Who wrote in a note, in the order they first wrote. Each account once, by its
    current name; guests marked as guests (`NoteContributor.label`), each label once: a
    guest may have chosen an account's name, and is never credited as that account."""
    names: list[str] = []
    seen_users: set[int] = set()
    seen_guests: set[str] = set()
    for contributor in note.contributors.select_related("user"):
        user = contributor.user
        if user is None:
            label = contributor.label
            if label not in seen_guests:
                seen_guests.add(label)
                names.append(label)
        elif user.pk not in seen_users:
            seen_users.add(user.pk)
            names.append(user.get_full_name() or user.get_username())
    return names


# --- Authors of client ids -------------------------------------------------------------


@dataclass
class Author:
    """One person (an account, a guest browser, or a name) and their colour."""

    key: str
    name: str
    colour: int
    characters: int = 0  # in the text being shown


@dataclass
class Authors:
    by_client: dict[int, Author]
    ordered: list[Author]  # in the order they first wrote

    def names(self, client_ids) -> list[str]:
        """The distinct people behind `client_ids`, in the order they first wrote."""
        wanted = {id(self.by_client[c]) for c in client_ids if c in self.by_client}
        return [author.name for author in self.ordered if id(author) in wanted]


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def note_authors(*, note: Note) -> Authors:
    """Who each recorded Yjs client id of the note is. One person may have many client
    ids (each page load is a new one): they are grouped by account, else by guest
    browser, else by name, and named by their account's current name or the latest
    name the guest gave."""
    rows = NoteClientAuthor.objects.filter(note=note).select_related("user").order_by("pk")
    by_key: dict[str, Author] = {}
    by_client: dict[int, Author] = {}
    for row in rows:
        if row.user_id is not None:
            key, name = f"user:{row.user_id}", _display_name(row.user)
        elif row.guest_key:
            key, name = f"guest:{row.guest_key}", row.name
        else:
            key, name = f"name:{row.name}", row.name
        author = by_key.get(key)
        if author is None:
            author = by_key[key] = Author(key=key, name=name, colour=len(by_key) % AUTHOR_COLOURS)
        elif row.user_id is None:
            author.name = name  # a guest's latest name
        by_client[row.client_id] = author
    return Authors(by_client=by_client, ordered=list(by_key.values()))


def note_authors_json(*, note: Note) -> dict:
    """For the editor's "who wrote what": client id → name and colour."""
    authors = note_authors(note=note)
    return {
        "authors": {
            str(client_id): {"name": author.name, "colour": author.colour}
            for client_id, author in authors.by_client.items()
        }
    }


# --- History ---------------------------------------------------------------------------


@dataclass(slots=True)
class RevisionEntry:
    """A revision as history lists it (without its text)."""

    pk: int
    number: int  # 1 for the oldest
    created_at: datetime
    reason: str  # a NoteRevision.Reason
    reason_label: str
    created_by_name: str
    chars_added: int
    chars_removed: int
    contributors: list[str]  # who wrote since the previous revision
    restored_from_number: int | None  # a restore: the number of the revision restored
    previous_pk: int | None  # the revision before this one


_REASONS = dict(NoteRevision.Reason.choices)
_FIELDS = (
    "pk",
    "created_at",
    "reason",
    "created_by_name",
    "chars_added",
    "chars_removed",
    "restored_from_id",
    "state_vector",
)


def _clocks(state_vector: bytes) -> dict[int, int] | None:
    """{client: clock} of a stored state vector (None when there is none or it is
    damaged). A plain loop: the history list decodes one per revision."""
    if not state_vector:
        return None
    data = bytes(state_vector)
    numbers = []
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            numbers.append(value)
            value = shift = 0
        else:
            shift += 7
    if shift or not numbers or len(numbers) != 1 + 2 * numbers[0]:
        return None
    return dict(zip(numbers[1::2], numbers[2::2], strict=True))


def note_revisions(*, note: Note) -> list[RevisionEntry]:
    """The note's revisions, newest first, each with who wrote since the one before.

    The writers since the previous revision are the Yjs clients whose clocks moved
    between the two revisions' state vectors (a client's clock only grows as it
    inserts), named by `note_authors`. Revisions kept before state vectors were
    recorded name nobody. Two queries, whatever the number of revisions; the texts
    themselves are not read (nor model instances made: a note may have hundreds).
    """
    rows = list(
        NoteRevision.objects.filter(note=note).order_by("created_at", "pk").values_list(*_FIELDS)
    )
    authors = note_authors(note=note)
    numbers = {row[0]: number for number, row in enumerate(rows, start=1)}
    entries: list[RevisionEntry] = []
    previous: dict[int, int] | None = {}
    previous_pk = None
    for number, (pk, created_at, reason, by, added, removed, restored_from, sv) in enumerate(
        rows, start=1
    ):
        clocks = _clocks(sv)
        contributors = []
        if clocks is not None and previous is not None:
            moved = [c for c, clock in clocks.items() if clock > previous.get(c, 0)]
            contributors = authors.names(moved)
        entries.append(
            RevisionEntry(
                pk=pk,
                number=number,
                created_at=created_at,
                reason=reason,
                reason_label=_REASONS.get(reason, reason),
                created_by_name=by,
                chars_added=added,
                chars_removed=removed,
                contributors=contributors,
                restored_from_number=numbers.get(restored_from),
                previous_pk=previous_pk,
            )
        )
        previous = clocks
        previous_pk = pk
    entries.reverse()
    return entries


def revision_text(*, note: Note, revision_id: int | None) -> str:
    """The text of one revision of the note, or the current text (None: "now")."""
    if revision_id is None:
        doc = persistence.load_note_doc(note_id=note.pk)
        return str(doc.get(persistence.CONTENT, type=Text)) if doc is not None else ""
    return (
        NoteRevision.objects.filter(note=note, pk=revision_id)
        .values_list("markdown", flat=True)
        .get()
    )


def revision_diff_html(*, note: Note, old_id: int | None, new_id: int | None) -> str:
    """The word-level difference between two revisions (None: the current text)."""
    old = revision_text(note=note, revision_id=old_id)
    new = revision_text(note=note, revision_id=new_id)
    return diff_html(old, new)


# --- Who wrote what --------------------------------------------------------------------

# Documents smaller than this are read faster than a cache round trip.
_RUNS_CACHE_MIN_BYTES = 16 * 1024
_RUNS_CACHE_SECONDS = 7 * 24 * 3600


def _text_runs_cached(update: bytes) -> TextRuns:
    """`text_runs`, cached by a digest of the document (Django's cache: Redis when
    REDIS_URL is set). Reading a long note item by item takes a few hundred ms; a
    document that changed has another digest, so the cache is never stale."""
    if len(update) < _RUNS_CACHE_MIN_BYTES:
        return text_runs(update)
    key = f"notes.runs.1.{hashlib.blake2b(update, digest_size=20).hexdigest()}"
    try:
        cached = cache.get(key)
    except Exception:  # the cache is down: compute, the page must not fail
        log.warning("authorship cache unavailable", exc_info=True)
        return text_runs(update)
    if cached is None:
        cached = text_runs(update)
        try:
            cache.set(key, cached, _RUNS_CACHE_SECONDS)
        except Exception:
            log.warning("authorship cache unavailable", exc_info=True)
    return cached


@dataclass
class Authorship:
    runs: list[tuple[Author | None, str]]  # None: an author not recorded
    legend: list[Author]  # the authors of the text shown, most characters first
    unknown: int  # characters whose author is not recorded
    complete: bool  # False: the document could not be read item by item
    text: str


def note_authorship(*, note: Note) -> Authorship:
    """Who wrote each part of the note's current text (from the stored document, which
    keeps every character's Yjs client id through restarts and compaction)."""
    state = persistence.load_note_state(note_id=note.pk)
    if state is None:
        return Authorship(runs=[], legend=[], unknown=0, complete=True, text="")
    result = _text_runs_cached(state.update)
    authors = note_authors(note=note)
    counts: dict[str, int] = {}
    pieces: list[tuple[Author | None, list[str]]] = []
    unknown = 0
    for client_id, text in result.runs:
        author = authors.by_client.get(client_id)
        if author is None:
            unknown += len(text)
        else:
            counts[author.key] = counts.get(author.key, 0) + len(text)
        if pieces and pieces[-1][0] is author:
            pieces[-1][1].append(text)
        else:
            pieces.append((author, [text]))
    runs = [(author, "".join(parts)) for author, parts in pieces]
    legend = []
    for author in authors.ordered:
        if author.key in counts:
            author.characters = counts[author.key]
            legend.append(author)
    legend.sort(key=lambda author: -author.characters)
    return Authorship(
        runs=runs, legend=legend, unknown=unknown, complete=result.complete, text=result.text
    )
