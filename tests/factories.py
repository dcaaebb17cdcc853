"""Plain factories: explicit, keyword-only, with sensible defaults."""

import itertools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from sessions.models import Event, OpenSpace, Room, Slot, Talk

_seq = itertools.count(1)


def make_user(*, username: str | None = None, password: str = "", **extra):
    """A user. Give a `password` only to sign in with it: hashing one costs ~0.2 s, and
    most tests sign in with `force_login` (or a session cookie) instead."""
    user = get_user_model()(username=username or f"user{next(_seq)}", **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def make_event(
    *,
    name: str = "Example Conf",
    slug: str | None = None,
    start_date: date = date(2026, 6, 10),
    end_date: date = date(2026, 6, 11),
    timezone: str = "Europe/Paris",
    **extra,
) -> Event:
    return Event.objects.create(
        name=name,
        slug=slug or f"example-conf-{next(_seq)}",
        start_date=start_date,
        end_date=end_date,
        timezone=timezone,
        **extra,
    )


def local(event: Event, *args: int) -> datetime:
    """An aware datetime in the event's time zone: local(event, 2026, 6, 10, 9, 30)."""
    return datetime(*args, tzinfo=ZoneInfo(event.timezone))


def make_room(*, event: Event, name: str | None = None, position: int = 0, **extra) -> Room:
    return Room.objects.create(
        event=event, name=name or f"Room {next(_seq)}", position=position, **extra
    )


def make_slot(*, event: Event, start: datetime, end: datetime) -> Slot:
    return Slot.objects.create(event=event, start=start, end=end)


def make_talk(*, event: Event, title: str | None = None, **extra) -> Talk:
    return Talk.objects.create(event=event, title=title or f"Talk {next(_seq)}", **extra)


def make_open_space(*, event: Event, title: str | None = None, **extra) -> OpenSpace:
    return OpenSpace.objects.create(event=event, title=title or f"Topic {next(_seq)}", **extra)
