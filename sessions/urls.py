from django.urls import include, path

from . import views

app_name = "sessions"

urlpatterns = [
    path("", views.home, name="home"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/schedule.json", views.schedule_json, name="schedule_json"),
    path("events/<slug:slug>/schedule.ics", views.schedule_ics, name="schedule_ics"),
    path("events/<slug:slug>/talks/<slug:talk_slug>/", views.talk_detail, name="talk"),
    path("events/<slug:slug>/open-spaces/<int:pk>/", views.open_space_detail, name="open_space"),
    path("events/<slug:slug>/notes/<int:note_id>/lock/", views.note_lock, name="note_lock"),
    path("events/<slug:slug>/", include("sessions.transfer.urls")),
    path("events/<slug:slug>/", include("sessions.board.urls")),
]
