"""Helpers of the search tests: searching as a reader, writing notes the way the live
engine does."""

from datetime import timedelta

from django.db import connection

from notes import persistence
from notes.models import Note
from sessions.archive.query import parse_query
from sessions.archive.selectors import (
    SearchResult,
    SearchResults,
    search_scope,
    searchable_events,
)
from sessions.board.identity import Actor
from sessions.models import OpenSpace, Talk


def search_results(text: str, *, kind: str | None = None, **filters) -> SearchResults:
    """The results of `text` for an anonymous reader; `filters` as EVENT_FILTERS names."""
    events = searchable_events(actor=Actor())
    scope = search_scope(events=events, filters=filters, kind=kind)
    return SearchResults(query=parse_query(text), scope=scope)


def search(text: str, **filters) -> list[SearchResult]:
    """The first page of results."""
    return search_results(text, **filters)[0:20]


def titles(text: str, **filters) -> list[str]:
    return [result.item.title for result in search(text, **filters)]


def result_count(text: str, **filters) -> int:
    return search_results(text, **filters).count()


def write_notes(item: Talk | OpenSpace, markdown: str) -> None:
    """Store the notes' Markdown as the live engine's writer does (a queryset update)."""
    persistence.save_markdown(
        note_id=item.note_id,
        markdown=markdown,
        revision_interval=timedelta(minutes=5),
        force_revision=False,
    )


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def write_notes_at(item: Talk | OpenSpace, markdown: str, *, at) -> None:
    """Store the notes' Markdown as the writer does, as if at the moment `at`."""
    Note.objects.filter(pk=item.note_id).update(markdown=markdown, markdown_updated_at=at)
