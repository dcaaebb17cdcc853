"""Reads of the archive: what a reader may search, search results, settled notes for feeds."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString

from ..access import notes_readable
from ..board.identity import Actor
from ..models import Event, OpenSpace, Talk
from .models import OPEN_SPACE_KIND, SearchEntry
from .query import ParsedQuery
from .search import Hit, RankedPage, Scope, marked, result_limit, search_backend

M = TypeVar("M", bound=Model)

# Search filters that narrow the events searched, as ORM lookups on Event: adding a
# filter is one line here and one form field. The Series model (from the browse
# work) adds: "series": "series__slug".
EVENT_FILTERS = {
    "event": "slug",
    "series": "series__slug",
    "year": "start_date__year",
}


@dataclass(frozen=True)
class ListedEvent:
    """What search and feeds need of an event they may show. Plain values: a model
    instance per event (and its series), for every search, cost more than the search's
    own query (bench/RESULTS.md)."""

    pk: int
    slug: str
    name: str
    start_date: date
    series_id: int | None
    series_slug: str | None
    series_name: str | None


def searchable_events(*, actor: Actor) -> list[ListedEvent]:
    """Listed events whose notes `actor` may read, newest first: all that search and
    feeds ever show. Unlisted events are reachable by their link only, never found."""
    events = notes_readable(Event.objects.listed(), actor=actor).order_by("-start_date", "name")
    columns = ("pk", "slug", "name", "start_date", "series_id", "series__slug", "series__name")
    return [ListedEvent(*row) for row in events.values_list(*columns)]


def search_scope(
    *, events: list[ListedEvent], filters: Mapping[str, object], kind: str | None = None
) -> Scope:
    """The entries to search: of `events` (see `searchable_events`), narrowed by the
    EVENT_FILTERS given a value in `filters`, and of one `kind` if given."""
    lookups = {EVENT_FILTERS[name]: value for name, value in filters.items() if value}
    return Scope(
        events=tuple(e.pk for e in events),
        narrowing=Q(**lookups) if lookups else None,
        kind=kind or None,
    )


@dataclass(frozen=True)
class SearchResult:
    item: Talk | OpenSpace
    event: Event
    kind: str
    kind_label: str
    url: str
    title: SafeString  # highlighted (see search.marked)
    people: SafeString
    passage: SafeString


def _kind_label(kind: str) -> str:
    return "Open space" if kind == OPEN_SPACE_KIND else Talk.Kind(kind).label


class SearchResults:
    """The results of a query, lazily: what Django's Paginator needs (`count()` and
    slicing). One query ranks, counts and highlights a page (search.py); `first` names
    the slice the caller will read first, so that counting it costs nothing more. At
    most RESULT_LIMIT results are reachable; `more` tells there are more."""

    def __init__(self, *, query: ParsedQuery, scope: Scope, first: slice = slice(0, 20)) -> None:
        self.query = query
        self.backend = search_backend(query=query, scope=scope)
        self.first = first
        self._pages: dict[tuple[int, int], RankedPage] = {}

    def _ranked(self, offset: int, limit: int) -> RankedPage:
        if not self.query.searchable or limit <= 0:
            return RankedPage(hits=[], matches=0)
        # The Paginator asks for the last page as [start:count]: within a page read.
        for (start, length), ranked in self._pages.items():
            if start <= offset and offset + limit <= start + length:
                hits = ranked.hits[offset - start : offset - start + limit]
                return RankedPage(hits=hits, matches=ranked.matches)
        ranked = self.backend.page(offset=offset, limit=limit)
        self._pages[(offset, limit)] = ranked
        return ranked

    @cached_property
    def _matches(self) -> int:
        ranked = self._ranked(self.first.start, self.first.stop - self.first.start)
        if not ranked.hits and self.first.start > 0:  # past the end: count from the start
            ranked = self._ranked(0, self.first.stop - self.first.start)
        return ranked.matches

    def count(self) -> int:
        return min(self._matches, result_limit())

    def __len__(self) -> int:
        return self.count()

    @property
    def more(self) -> bool:
        """Whether more than RESULT_LIMIT entries match."""
        return self._matches > result_limit()

    def __getitem__(self, page: slice) -> list[SearchResult]:
        if not isinstance(page, slice) or page.step is not None:
            raise TypeError("search results are read a page (a slice) at a time")
        offset = page.start or 0
        limit = (page.stop if page.stop is not None else offset + 20) - offset
        hits = self._ranked(offset, limit).hits
        events: dict[int, Event] = {}
        return [_result(hit, events) for hit in hits]


def _result(hit: Hit, events: dict[int, Event]) -> SearchResult:
    """A result from its hit alone: models built from the hit's columns (the others
    deferred), one Event per event of the page."""
    event = events.get(hit.event_id)
    if event is None:
        event = events[hit.event_id] = _deferred(
            Event,
            id=hit.event_id,
            slug=hit.event_slug,
            name=hit.event_name,
            start_date=hit.event_start,
        )
    common = {"event_id": hit.event_id, "note_id": hit.note_id, "title": hit.item_title}
    if hit.talk_id is not None:
        item = _deferred(Talk, id=hit.talk_id, slug=hit.talk_slug, **common)
    else:
        item = _deferred(OpenSpace, id=hit.open_space_id, **common)
    item.event = event  # its URL needs the event's slug
    return SearchResult(
        item=item,
        event=event,
        kind=hit.kind,
        kind_label=_kind_label(hit.kind),
        url=item.get_absolute_url(),
        title=marked(hit.title),
        people=marked(hit.people),
        passage=marked(hit.passage, passage=True),
    )


def _deferred(model: type[M], **values) -> M:
    """An instance of `model` as the database gave it, with `values` (by attribute name)
    and its other fields deferred, as `.only()` would load it."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def search_page(*, query: ParsedQuery, scope: Scope, number: str | None, per_page: int) -> Page:
    """Page `number` (any text: a bad or past-the-end number gives a real page) of the
    results, ranked, counted and highlighted in one query."""
    try:
        wanted = max(1, int(number or 1))
    except ValueError:
        wanted = 1
    first = slice((wanted - 1) * per_page, wanted * per_page)
    results = SearchResults(query=query, scope=scope, first=first)
    return Paginator(results, per_page).get_page(wanted)


# --- Feeds ------------------------------------------------------------------------------


def feed_settle_delay() -> timedelta:
    """How long a note's text must stay unchanged before feeds show it: a feed item
    per pause in the writing, not per keystroke (the live engine stores the text
    every couple of seconds while people type)."""
    return timedelta(seconds=getattr(settings, "NOTES_FEED_SETTLE_SECONDS", 120))


def settled_entries(
    *,
    events: list[ListedEvent],
    event: Event | None = None,
    now: datetime | None = None,
    limit: int = 50,
) -> QuerySet[SearchEntry]:
    """The most recently changed notes of `events` (or of `event`, if it is one of
    them) whose text has settled, newest first, with what a feed item shows."""
    cutoff = (now or timezone.now()) - feed_settle_delay()
    event_ids = [e.pk for e in events if event is None or e.pk == event.pk]
    return (
        SearchEntry.objects.filter(event_id__in=event_ids, notes_updated_at__lte=cutoff)
        .select_related("event", "talk", "open_space", "note")
        .prefetch_related("note__contributors")
        .order_by("-notes_updated_at", "-note_id")[:limit]
    )
