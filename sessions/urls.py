from django.urls import include, path

from . import views, views_history, views_organize

app_name = "sessions"


def _note_history(kind: str, prefix: str) -> list:
    """The history and authorship URLs of the notes of a talk or an open space."""
    return [
        path(f"{prefix}history/", views_history.history, name=f"{kind}_history"),
        path(f"{prefix}history/diff/", views_history.diff, name=f"{kind}_history_diff"),
        path(
            f"{prefix}history/<int:revision_id>/",
            views_history.revision,
            name=f"{kind}_revision",
        ),
        path(
            f"{prefix}history/<int:revision_id>/restore/",
            views_history.restore,
            name=f"{kind}_restore",
        ),
        path(f"{prefix}authors.json", views_history.authors_json, name=f"{kind}_authors_json"),
    ]


urlpatterns = [
    path("", include("sessions.archive.urls_browse")),
    path("", include("sessions.archive.urls")),
    path("events/new/", views_organize.event_create, name="event_create"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/settings/", views_organize.event_settings, name="event_settings"),
    path("events/<slug:slug>/team/", views_organize.team_page, name="team"),
    path("events/<slug:slug>/live/", views_organize.event_live, name="event_live"),
    path("events/<slug:slug>/team/invite/", views_organize.team_invite, name="team_invite"),
    path(
        "events/<slug:slug>/team/<int:pk>/remove/", views_organize.team_remove, name="team_remove"
    ),
    path(
        "events/<slug:slug>/team/invites/<int:pk>/revoke/",
        views_organize.invite_revoke,
        name="team_invite_revoke",
    ),
    path("invites/<str:token>/", views_organize.invite, name="invite"),
    path("events/<slug:slug>/schedule.json", views.schedule_json, name="schedule_json"),
    path("events/<slug:slug>/schedule.ics", views.schedule_ics, name="schedule_ics"),
    path("events/<slug:slug>/talks/<slug:talk_slug>/", views.talk_detail, name="talk"),
    path("events/<slug:slug>/open-spaces/<int:pk>/", views.open_space_detail, name="open_space"),
    *_note_history("talk", "events/<slug:slug>/talks/<slug:talk_slug>/"),
    *_note_history("open_space", "events/<slug:slug>/open-spaces/<int:pk>/"),
    path("events/<slug:slug>/notes/<int:note_id>/lock/", views.note_lock, name="note_lock"),
    path("events/<slug:slug>/", include("sessions.transfer.urls")),
    path("events/<slug:slug>/", include("sessions.board.urls")),
    path("events/<slug:slug>/", include("sessions.agenda.urls")),
]
