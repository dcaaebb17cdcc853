from django.urls import include, path

from . import views, views_transfer

app_name = "sessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/schedule.json", views.schedule_json, name="schedule_json"),
    path("events/<slug:slug>/schedule.ics", views.schedule_ics, name="schedule_ics"),
    path("events/<slug:slug>/talks/<slug:talk_slug>/", views.talk_detail, name="talk"),
    path("events/<slug:slug>/open-spaces/<int:pk>/", views.open_space_detail, name="open_space"),
    path("events/<slug:slug>/notes.md", views_transfer.event_notes_md, name="event_notes_md"),
    path("events/<slug:slug>/notes.org", views_transfer.event_notes_org, name="event_notes_org"),
    path("events/<slug:slug>/notes.zip", views_transfer.event_notes_zip, name="event_notes_zip"),
    path(
        "events/<slug:slug>/talks/<slug:talk_slug>/notes.md",
        views_transfer.talk_notes_md,
        name="talk_notes_md",
    ),
    path(
        "events/<slug:slug>/open-spaces/<int:pk>/notes.md",
        views_transfer.open_space_notes_md,
        name="open_space_notes_md",
    ),
    path("events/<slug:slug>/import/", views_transfer.event_import_notes, name="event_import"),
    path("events/<slug:slug>/", include("sessions.urls_board")),
]
