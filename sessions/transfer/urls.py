"""URLs of notes downloads and the organizers' import page, under /events/<slug>/
(see sessions/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("notes.md", views.event_notes_md, name="event_notes_md"),
    path("notes.org", views.event_notes_org, name="event_notes_org"),
    path("notes.zip", views.event_notes_zip, name="event_notes_zip"),
    path("talks/<slug:talk_slug>/notes.md", views.talk_notes_md, name="talk_notes_md"),
    path("open-spaces/<int:pk>/notes.md", views.open_space_notes_md, name="open_space_notes_md"),
    path("import/", views.event_import_notes, name="event_import"),
]
