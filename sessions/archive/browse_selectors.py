"""Reads of the browse pages: the events list, series, the home page, speakers and the
"Read it all" page. Every list is a fixed number of queries, whatever its length."""

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    Count,
    Func,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from notes.models import NoteContributor
from notes.rendering import render_markdown_many

from ..models import Event, Series, Speaker, Talk, TalkSpeaker
from ..selectors import ScheduleItem, event_items
from .models import SearchEntry

EVENTS_PER_PAGE = 30
HOME_UPCOMING = 6
HOME_PAST = 6
MERGE_CANDIDATES = 20
SPEAKER_TALKS_PER_PAGE = 20
# What a note may hold and still have nothing to read (an emptied live document keeps a
# newline). The search index's triggers trim the same characters (conf_sessions.0009).
BLANK = " \t\r\n"


class Written(Func):
    """Whether a text holds more than white space (an emptied live document keeps a
    newline), in SQL.

    On PostgreSQL a text longer than a few dozen bytes is written without reading it:
    `octet_length` reads the size from the stored value's header, where trimming would
    fetch and decompress every note (4× slower over the 15,000 notes of a page of
    events). SQLite (3.40 here) has no such function: it trims.
    """

    output_field = BooleanField()

    def __init__(self, expression) -> None:
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):
        text, params = compiler.compile(self.source_expressions[0])
        return f"(TRIM({text}, %s) <> '')", [*params, BLANK]

    def as_postgresql(self, compiler, connection, **extra):
        text, params = compiler.compile(self.source_expressions[0])
        sql = f"(CASE WHEN octet_length({text}) > 64 THEN TRUE ELSE BTRIM({text}, %s) <> '' END)"
        return sql, [*params, *params, BLANK]


def with_has_notes(queryset: QuerySet) -> QuerySet:
    """Talks or open spaces annotated with `has_notes`: their notes hold more than white
    space. Computed on the joined note row, for the rows the query returns only."""
    return queryset.annotate(has_notes=Written("note__markdown"))


def with_counts(events: Iterable[Event]) -> list[Event]:
    """`events` with `items_count` (talks and open spaces readers see: withdrawn and hidden
    topics aside, as on the event's pages) and `notes_count` (those whose notes are
    written) set, in one query. Counted for the given events only, after paging.

    Counted from the search index, which database triggers keep with one entry per such
    item and its `notes_updated_at` set exactly while its notes are written (more than
    white space; see the migration conf_sessions.0009): an index-only scan of
    (event, notes_updated_at), where joining every item to its note read 15,000 rows of
    each table for a page of 30 events (65–135 ms; bench/RESULTS.md).
    """
    events = list(events)
    counts = {event.pk: (0, 0) for event in events}
    rows = (
        SearchEntry.objects.filter(event_id__in=counts)
        .order_by()
        .values("event_id")
        .annotate(items=Count("*"), notes=Count("notes_updated_at"))
    )
    for row in rows:
        counts[row["event_id"]] = (row["items"], row["notes"])
    for event in events:
        event.items_count, event.notes_count = counts[event.pk]
    return events


# --- /events/ and series ------------------------------------------------------------------


@dataclass
class YearOfEvents:
    year: int
    events: list[Event]


def listed_events(*, series: Series | None = None) -> QuerySet[Event]:
    """Public events, newest first, with their series."""
    events = Event.objects.listed().select_related("series")
    if series is not None:
        events = events.filter(series=series)
    return events.order_by("-start_date", "name", "pk")


def events_page(
    *, series: Series | None, page: str | int | None
) -> tuple[Page, list[YearOfEvents]]:
    """One page of the listed events, and its events grouped by year (newest first). An
    out-of-range or malformed page number gives the nearest page, as Django's paginator does."""
    found = Paginator(listed_events(series=series), EVENTS_PER_PAGE).get_page(page)
    found.object_list = with_counts(found.object_list)
    years = [
        YearOfEvents(year=year, events=list(events))
        for year, events in itertools.groupby(found.object_list, key=lambda e: e.start_date.year)
    ]
    return found, years


def all_series() -> list[Series]:
    return list(Series.objects.all())


def series_events(*, series: Series) -> list[Event]:
    return with_counts(listed_events(series=series))


# --- Home -------------------------------------------------------------------------------


@dataclass
class HomeEvents:
    now: list[Event]
    upcoming: list[Event]  # soonest first, the first HOME_UPCOMING
    past: list[Event]  # latest first, the last HOME_PAST, with their counts

    def __bool__(self) -> bool:
        return bool(self.now or self.upcoming or self.past)


def home_events(*, today: date) -> HomeEvents:
    listed = Event.objects.listed().select_related("series")
    return HomeEvents(
        now=list(
            listed.filter(start_date__lte=today, end_date__gte=today).order_by("start_date", "name")
        ),
        upcoming=list(
            listed.filter(start_date__gt=today).order_by("start_date", "name")[:HOME_UPCOMING]
        ),
        past=with_counts(
            listed.filter(end_date__lt=today).order_by("-start_date", "name")[:HOME_PAST]
        ),
    )


# --- Speakers -----------------------------------------------------------------------------


def _speaker_talks(*, speaker: Speaker, listed_only: bool) -> QuerySet[Talk]:
    """The talks `speaker` gave, newest event first, then in the order of each event, with
    their event and `has_notes`."""
    talks = Talk.objects.filter(speaker_links__speaker=speaker)
    if listed_only:
        talks = talks.filter(event__visibility=Event.Visibility.PUBLIC)
    return with_has_notes(talks.select_related("event")).order_by(
        "-event__start_date", "event__pk", "start", "day", "position", "pk"
    )


def _with_co_speakers(talks: Iterable[Talk], *, speaker: Speaker) -> list[Talk]:
    """`talks` with `co_speakers`: their other speakers, in the order each talk names them.
    One query (a prefetch would build a queryset per talk: a third of a page's time)."""
    talks = list(talks)
    others: dict[int, list[Speaker]] = {}
    links = (
        TalkSpeaker.objects.filter(talk__in=talks)
        .exclude(speaker=speaker)
        .select_related("speaker")
        .order_by("position", "pk")
    )
    for link in links:
        others.setdefault(link.talk_id, []).append(link.speaker)
    for talk in talks:
        talk.co_speakers = others.get(talk.pk, [])
    return talks


def speaker_talks(*, speaker: Speaker, listed_only: bool = True) -> list[Talk]:
    """The talks `speaker` gave, newest event first, then in the order of each event, with
    their event, `has_notes` and `co_speakers` (the other speakers, in the talk's order).
    Unlisted events' talks only with `listed_only=False` (for their organizers)."""
    return _with_co_speakers(
        _speaker_talks(speaker=speaker, listed_only=listed_only), speaker=speaker
    )


@dataclass
class EventTalks:
    event: Event
    talks: list[Talk]


def speaker_talks_page(
    *, speaker: Speaker, page: str | int | None
) -> tuple[Page, list[EventTalks]]:
    """One page of `speaker_talks` (listed events only, SPEAKER_TALKS_PER_PAGE a page),
    grouped by event; an event whose talks straddle two pages heads its part on each. An
    out-of-range or malformed page number gives the nearest page, as Django's paginator
    does. Three queries whatever the speaker: the count, the page's talks with their
    events and notes' state, and their speakers."""
    found = Paginator(_speaker_talks(speaker=speaker, listed_only=True), SPEAKER_TALKS_PER_PAGE)
    found = found.get_page(page)
    found.object_list = _with_co_speakers(found.object_list, speaker=speaker)
    groups = [
        EventTalks(event=talks[0].event, talks=talks)
        for talks in (
            list(of_event)
            for _, of_event in itertools.groupby(found.object_list, key=lambda t: t.event_id)
        )
    ]
    return found, groups


def talk_speakers(*, talk: Talk) -> list[Speaker]:
    """The speakers a talk links to, in the order it names them."""
    return [
        link.speaker
        for link in talk.speaker_links.select_related("speaker").order_by("position", "pk")
    ]


def speaker_events(*, speakers: list[Speaker]) -> QuerySet[Event]:
    """Every event (listed or not) at which one of `speakers` gave a talk."""
    return Event.objects.filter(talks__speaker_links__speaker__in=speakers).distinct()


def speaker_merge_candidates(*, speaker: Speaker, among: QuerySet[Speaker]) -> list[Speaker]:
    """Speakers of `among` who may be the same person as `speaker`: one of their names
    shares a word (of three letters or more) with one of `speaker`'s. Alphabetical, at most
    MERGE_CANDIDATES, each with `talks_count`."""
    words = {w for alias in speaker.aliases.all() for w in alias.key.split() if len(w) >= 3}
    if not words:
        return []
    shares = Q()
    for word in sorted(words):
        shares |= Q(aliases__key__contains=word)  # keys are lower case already
    candidates = among.filter(pk__in=Speaker.objects.filter(shares).values("pk"))
    return list(
        candidates.exclude(pk=speaker.pk)
        .annotate(talks_count=Count("talk_links", distinct=True))
        .order_by("name", "pk")[:MERGE_CANDIDATES]
    )


# --- Read it all -------------------------------------------------------------------------


@dataclass
class ReadItem:
    """An item of "Read it all" with what the page shows of it, made ready by
    `event_proceedings` (the page lists hundreds: nothing is computed per view of it)."""

    item: ScheduleItem
    anchor: str  # by primary key: a renamed talk keeps its place in links to this page
    url: str
    has_notes: bool
    notes_html: SafeString  # sanitized by render_markdown_many (nh3)
    description_html: SafeString
    contributors: list[str]


@dataclass
class ReadSection:
    day: date | None  # None: the unscheduled items
    items: list[ReadItem] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"day-{self.day:%Y-%m-%d}" if self.day else "unscheduled"


@dataclass
class Proceedings:
    sections: list[ReadSection]

    @property
    def items(self) -> list[ReadItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def notes_count(self) -> int:
        return sum(1 for item in self.items if item.has_notes)


def _item_addresses(event: Event) -> tuple[Callable[[str], str], Callable[[int], str]]:
    """The addresses of `event`'s talks (by slug) and open spaces (by id), as their
    get_absolute_url() gives them, from one reverse() of each: 500 reverse() calls took a
    third of the time of `event_proceedings`. Slugs and ids need no quoting in a path; the
    marker is the last part of both paths, so it is split off from the right."""
    marker = "0"
    talk = reverse("sessions:talk", kwargs={"slug": event.slug, "talk_slug": marker})
    open_space = reverse("sessions:open_space", kwargs={"slug": event.slug, "pk": marker})
    talk_start, talk_end = talk.rsplit(marker, 1)
    open_space_start, open_space_end = open_space.rsplit(marker, 1)
    return (
        lambda slug: f"{talk_start}{slug}{talk_end}",
        lambda pk: f"{open_space_start}{pk}{open_space_end}",
    )


def event_proceedings(*, event: Event) -> Proceedings:
    """Every talk and open space of `event` with its notes, in schedule order: one section
    per day (event time zone), its timed items first in time order, then those known only
    by their day (imported notes often say only "day 2") in the order of the imported
    document; items with neither time nor day come last, in a section of their own.

    Three queries (the talks, the open spaces, each with their notes, rooms and slots;
    the contributors of every note) and one round trip to the rendering cache for every
    note and description: a page of 500 items renders only the texts changed since."""
    scheduled, unscheduled = event_items(event=event, notes=True)
    items = [*scheduled, *unscheduled]
    contributors: dict[int, list[str]] = {}
    for note_id, name in (
        NoteContributor.objects.filter(note_id__in=[item.note_id for item in items])
        .order_by("first_edit_at", "pk")
        .values_list("note_id", "name")
    ):
        contributors.setdefault(note_id, []).append(name)
    notes = [item.obj.note.markdown for item in items]
    descriptions = [
        item.obj.description if item.is_open_space else item.obj.abstract for item in items
    ]
    html = render_markdown_many([*notes, *descriptions])
    # render_markdown_many sanitizes with nh3: its HTML is safe to emit as is.
    talk_url, open_space_url = _item_addresses(event)
    ready = {
        id(item): ReadItem(
            item=item,
            anchor=f"{'open-space' if item.is_open_space else 'talk'}-{item.obj.pk}",
            url=open_space_url(item.obj.pk) if item.is_open_space else talk_url(item.obj.slug),
            has_notes=bool(text.strip(BLANK)),
            notes_html=mark_safe(notes_html),  # noqa: S308
            description_html=mark_safe(description_html),  # noqa: S308
            contributors=contributors.get(item.note_id, []),
        )
        for item, text, notes_html, description_html in zip(
            items, notes, html[: len(items)], html[len(items) :], strict=True
        )
    }
    tz = event.tz
    by_day: dict[date | None, list[ReadItem]] = {}
    for item in scheduled:  # already in time order
        by_day.setdefault(item.start.astimezone(tz).date(), []).append(ready[id(item)])
    for item in sorted(unscheduled, key=lambda i: (i.obj.position, i.is_open_space, i.obj.pk)):
        by_day.setdefault(item.obj.day, []).append(ready[id(item)])
    days = sorted(by_day, key=lambda day: (day is None, day or date.min))
    return Proceedings(sections=[ReadSection(day=day, items=by_day[day]) for day in days])
