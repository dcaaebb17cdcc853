"""URLs of the browse pages (included at the root from sessions/urls.py)."""

from django.urls import path

from . import browse

urlpatterns = [
    path("", browse.home, name="home"),
    path("events/", browse.event_list, name="events"),
    path("events/<slug:slug>/read/", browse.event_read, name="event_read"),
    path("series/<slug:series_slug>/", browse.series_detail, name="series"),
    path("speakers/<slug:speaker_slug>/", browse.speaker_detail, name="speaker"),
    path("speakers/<slug:speaker_slug>/merge/", browse.speaker_merge_page, name="speaker_merge"),
]
