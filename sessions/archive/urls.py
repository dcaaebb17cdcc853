"""URLs of the archive: search, and the Atom feeds of notes (see sessions/urls.py)."""

from django.urls import path

from . import feeds, views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("notes.atom", feeds.NotesFeed(), name="notes_feed"),
    path("events/<slug:slug>/notes.atom", feeds.EventNotesFeed(), name="event_notes_feed"),
    path("series/<slug:series_slug>/notes.atom", feeds.SeriesNotesFeed(), name="series_notes_feed"),
]
