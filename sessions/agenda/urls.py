"""URLs of stars, "my agenda", outcomes, live strips and checklist ticks, under
/events/<slug>/ (see sessions/urls.py). Items are named by their primary keys: a talk's
slug comes from its title, and these addresses go into htmx attributes."""

from django.urls import path

from . import views

urlpatterns = [
    path("my/", views.agenda, name="agenda"),
    path("my/calendar/", views.agenda_feed_reset, name="agenda_feed_reset"),
    path("my/<slug:token>.ics", views.agenda_ics, name="agenda_ics"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes.md", views.outcomes_md, name="outcomes_md"),
    path("talks/<int:talk_pk>/star/", views.star, name="talk_star"),
    path("open-spaces/<int:pk>/star/", views.star, name="open_space_star"),
    path("talks/<int:talk_pk>/tick/", views.tick, name="talk_tick"),
    path("open-spaces/<int:pk>/tick/", views.tick, name="open_space_tick"),
    path("talks/<int:talk_pk>/presence/", views.presence, name="talk_presence"),
    path("open-spaces/<int:pk>/presence/", views.presence, name="open_space_presence"),
]
