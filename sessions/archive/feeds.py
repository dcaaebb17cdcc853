"""Atom feeds of new and updated notes: the whole site, and one per event.

A note appears once its text has settled (selectors.feed_settle_delay), with its
text as it is then; another pause after more writing brings it back, updated.
A series' feed covers the events of that series.
"""

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from notes.rendering import render_markdown

from ..board.identity import request_actor
from ..models import Event, Series
from . import selectors
from .models import SearchEntry


class NotesFeed(Feed):
    """The whole site's notes; `get_object` narrows them (see EventNotesFeed)."""

    feed_type = Atom1Feed
    title = "Confnotes: new and updated notes"
    subtitle = "Notes of every event, once they have settled."

    def get_object(self, request: HttpRequest, **kwargs) -> dict:
        events = selectors.searchable_events(actor=request_actor(request))
        host, _port = split_domain_port(request.get_host())
        return {"events": events, "event": None, "host": host}

    def link(self, obj: dict) -> str:
        return reverse("sessions:home")

    def items(self, obj: dict) -> list[SearchEntry]:
        entries = list(selectors.settled_entries(events=obj["events"], event=obj["event"]))
        for entry in entries:
            entry.item.event = entry.event  # loaded with the entry: no query per link
            entry.feed_host = obj["host"]  # item methods get the item only
        return entries

    def item_title(self, entry: SearchEntry) -> str:
        return f"{entry.item.title} — {entry.event.name}"

    def item_link(self, entry: SearchEntry) -> str:
        return entry.item.get_absolute_url()

    def item_guid(self, entry: SearchEntry) -> str:
        # Stable through renames and slug changes: the note is the item's identity.
        return f"tag:{entry.feed_host},2026:note:{entry.note_id}"

    def item_description(self, entry: SearchEntry) -> str:
        return render_markdown(entry.note.markdown)  # sanitized HTML

    def item_updateddate(self, entry: SearchEntry):
        return entry.notes_updated_at

    def item_pubdate(self, entry: SearchEntry):
        return entry.note.created_at

    def item_author_name(self, entry: SearchEntry) -> str:
        return ", ".join(c.name for c in entry.note.contributors.all()) or None


class EventNotesFeed(NotesFeed):
    def get_object(self, request: HttpRequest, slug: str) -> dict:
        obj = super().get_object(request)
        event = get_object_or_404(Event, slug=slug)
        if all(e.pk != event.pk for e in obj["events"]):  # unlisted, or notes not readable
            raise Http404("No such feed.")
        return obj | {"event": event}

    def title(self, obj: dict) -> str:
        return f"{obj['event'].name}: new and updated notes"

    def link(self, obj: dict) -> str:
        return obj["event"].get_absolute_url()


class SeriesNotesFeed(NotesFeed):
    def get_object(self, request: HttpRequest, series_slug: str) -> dict:
        obj = super().get_object(request)
        series = get_object_or_404(Series, slug=series_slug)
        events = [event for event in obj["events"] if event.series_id == series.pk]
        return obj | {"events": events, "series": series}

    def title(self, obj: dict) -> str:
        return f"{obj['series'].name}: new and updated notes"

    def link(self, obj: dict) -> str:
        return obj["series"].get_absolute_url()
