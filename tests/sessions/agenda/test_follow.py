"""Following a session: the live engine publishes who is in a note and who writes; a
running session's page shows it in a strip, the board's display per running session."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notes import presence
from notes.presence import NOBODY, Presence, notes_presence
from sessions.models import Event
from tests.factories import make_event, make_talk
from tests.notes.live import LiveClient, eventually
from tests.sessions.board.helpers import make_grid


def running_talk(**event_fields):
    """A talk on now (started ten minutes ago), at an event that lets guests write."""
    now = timezone.now()
    today = timezone.localdate()
    event = make_event(
        start_date=today - timedelta(days=1),
        end_date=today + timedelta(days=1),
        notes_access=Event.NotesAccess.GUESTS,
        **event_fields,
    )
    return make_talk(
        event=event,
        title="Live talk",
        start=now - timedelta(minutes=10),
        end=now + timedelta(hours=1),
    )


async def join(note_id: int, name: str) -> LiveClient:
    client = await LiveClient(note_id, name=name).connect()
    await client.send(client.y.awareness_message({"user": {"name": name, "color": "#123456"}}))
    return client


def presence_url(talk) -> str:
    return reverse("sessions:talk_presence", args=[talk.event.slug, talk.pk])


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_strip_shows_who_is_in_the_notes_and_how_many_write():
    talk = await database_sync_to_async(running_talk)()
    ann = await join(talk.note_id, "Ann")
    bob = await join(talk.note_id, "Bob")
    await ann.append("Ann takes notes")

    def now():
        return notes_presence([talk.note_id])[talk.note_id]

    # The names people see in the editor: guests marked as guests by the server.
    both = Presence(names=("Ann (guest)", "Bob (guest)"), here=2, writing=1)
    await eventually(lambda: now() == both, within=5)
    strip = await database_sync_to_async(Client().get)(presence_url(talk))
    page = await database_sync_to_async(Client().get)(talk.get_absolute_url())

    html = strip.content.decode()
    assert strip.status_code == 200
    assert (
        '<strong class="follow-strip__counts" id="follow-counts">2 here · 1 writing</strong>'
        in html
    )
    assert '<span class="follow-strip__names">Ann (guest), Bob (guest)</span>' in html
    assert f'hx-get="{presence_url(talk)}" hx-trigger="every 10s"' in html
    assert 'id="follow-strip"' in page.content.decode()
    await ann.disconnect()
    await eventually(lambda: now() == Presence(names=("Bob (guest)",), here=1, writing=0), within=5)
    await bob.disconnect()
    await eventually(lambda: now() == NOBODY, within=5)


def test_summaries_of_several_processes_add_up_and_stale_ones_are_ignored(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    presence._store(7, "host:1:1", {"names": ["Ann"], "here": 2, "writing": 1, "at": 1e12})
    presence._store(7, "host:2:1", {"names": ["Bob", "Ann"], "here": 1, "writing": 1, "at": 1e12})
    presence._store(8, "host:2:1", {"names": ["Old"], "here": 1, "writing": 1, "at": 1e12})
    entry = cache.get("notes.presence.8")
    entry["host:2:1"]["at"] = 0  # a process that died long ago
    cache.set("notes.presence.8", entry)

    found = notes_presence([7, 8, 9])

    assert found == {
        7: Presence(names=("Ann", "Bob"), here=3, writing=2),
        8: NOBODY,
        9: NOBODY,
    }
    presence._store(7, "host:1:1", None)
    assert json.dumps(sorted(cache.get("notes.presence.7"))) == '["host:2:1"]'


@pytest.mark.django_db
def test_the_strip_is_only_on_a_running_sessions_page_and_stops_asking_after():
    grid = make_grid()  # a month from now: nothing runs
    later = make_talk(
        event=grid.event, title="Later", start=grid.slots[0].start, end=grid.slots[0].end
    )

    page = Client().get(later.get_absolute_url()).content.decode()
    strip = Client().get(presence_url(later)).content.decode()

    assert 'id="follow-strip"' not in page
    assert "hx-trigger" not in strip  # no longer running: the strip stops asking
    assert "0 here · 0 writing" in strip
    assert "Nobody has the notes open right now." in strip


@pytest.mark.django_db
def test_the_display_shows_notes_being_written_per_running_session(settings):
    grid = make_grid()
    topic = grid.placed(0, 0, title="Kanban")
    quiet = grid.placed(1, 0, title="Quiet")
    presence._store(topic.note_id, "p", {"names": ["Ann"], "here": 3, "writing": 2, "at": 1e12})
    url = reverse("sessions:board_display", args=[grid.event.slug])
    during = (grid.slots[0].start + timedelta(minutes=10)).astimezone(grid.event.tz)
    at = during.strftime("%Y-%m-%dT%H:%M")

    page = Client().get(url, {"at": at}).content.decode()
    poll = Client().get(url, {"at": at, "part": "writing"}).content.decode()

    kanban = f"writing-cell-{grid.rooms[0].pk}-{grid.slots[0].pk}"
    silent = f"writing-cell-{grid.rooms[1].pk}-{grid.slots[0].pk}"
    assert f'<p id="{kanban}" class="display-cell__writing is-writing">' in page
    assert "notes being written · 2 writing" in page
    assert f'<p id="{silent}" class="display-cell__writing">no one in the notes yet</p>' in page
    assert (
        f'hx-get="{url}?at={at.replace(":", "%3A")}&amp;part=writing" hx-trigger="every 10s" hx-swap="none"'
        in page
    )
    assert poll.strip().startswith(
        f'<p id="{kanban}" class="display-cell__writing is-writing" hx-swap-oob="true">'
    )
    assert f'<p id="{silent}" class="display-cell__writing" hx-swap-oob="true">' in poll
    assert quiet.title not in poll
