"""Shared set-up of the agenda tests: a grid (tests/sessions/board/helpers.py) with talks."""

from django.test import Client
from django.urls import reverse

from sessions.board.identity import GUEST_COOKIE, guest_key_from_cookie
from sessions.models import Event, Talk
from tests.factories import make_talk
from tests.sessions.board.helpers import at

HTMX = {"HTTP_HX_REQUEST": "true"}


def talk_at(
    event: Event,
    *,
    title: str,
    hour: int,
    minute: int = 0,
    minutes: int = 45,
    room=None,
    day: int = 0,
) -> Talk:
    start = at(event, day, hour, minute)
    end = at(event, day, hour + (minute + minutes) // 60, (minute + minutes) % 60)
    return make_talk(event=event, title=title, start=start, end=end, room=room)


def guest_browser(event: Event) -> tuple[Client, str]:
    """A browser the marketplace has made a guest: its client and its key."""
    client = Client()
    client.get(reverse("sessions:open_spaces", args=[event.slug]))
    return client, guest_key_from_cookie(client.cookies[GUEST_COOKIE].value)


def star_url(item) -> str:
    if isinstance(item, Talk):
        return reverse("sessions:talk_star", args=[item.event.slug, item.pk])
    return reverse("sessions:open_space_star", args=[item.event.slug, item.pk])
