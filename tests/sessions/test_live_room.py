"""The organizers' live notes: every process's numbers added up per note, the chart, the
page and its htmx fragment, and the numbers of a real room as its ticker publishes them."""

import asyncio
import json
import re

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from notes.livestats import BUCKET_SECONDS, store
from sessions.live_room import event_live_room
from tests.factories import make_event, make_open_space, make_talk
from tests.notes.live import LiveClient, eventually
from tests.sessions.board.helpers import make_grid

NOW = 1_800_000_000.0  # a bucket boundary: 1_800_000_000 % 10 == 0


def publish(proc: str, note_id: int, **fields) -> None:
    entry = {
        "at": NOW - 1,
        "clients": 0,
        "writers": 0,
        "lag": 0.0,
        "queued": 0,
        "edits": [],
        "people": [],
        **fields,
    }
    store().publish(proc, {note_id: json.dumps(entry)}, ttl=30)


@pytest.mark.django_db
def test_the_live_room_adds_up_every_process_and_lists_only_notes_people_have_open():
    event = make_event(slug="live-conf")
    keynote = make_talk(event=event, title="Keynote")
    topic = make_open_space(event=event, title="Pairing")
    idle = make_talk(event=event, title="Nobody here")
    elsewhere = make_talk(event=make_event(slug="other-conf"), title="Other event")
    bucket = NOW - BUCKET_SECONDS  # the last full bucket
    publish("worker-a", keynote.note_id, clients=12, writers=10, lag=0.2, queued=3,
            edits=[[bucket, 40]], people=[[bucket, 12]])  # fmt: skip
    publish("worker-b", keynote.note_id, clients=8, writers=8, lag=3.5,
            edits=[[bucket, 20], [NOW, 5]], people=[[bucket, 8]])  # fmt: skip
    publish("worker-a", topic.note_id, clients=3, writers=3, edits=[[NOW - 120, 9]])
    publish("worker-b", idle.note_id, clients=0)  # loaded, nobody connected
    publish("worker-gone", topic.note_id, clients=50, **{"at": NOW - 60})  # a dead process
    publish("worker-a", elsewhere.note_id, clients=7)

    room = event_live_room(event=event, now=NOW)

    assert [(n.title, n.kind, n.people, n.writers, n.edits_per_minute) for n in room.notes] == [
        ("Keynote", "talk", 20, 18, 65),
        ("Pairing", "open space", 3, 3, 0),
    ]
    keynote_row = room.notes[0]
    assert (keynote_row.lag, keynote_row.queued, keynote_row.lagging) == (3.5, 3, True)
    assert keynote_row.url == keynote.get_absolute_url()
    assert (room.people, room.edits_per_minute, room.worst_lag) == (23, 65, 3.5)
    # The chart: 60 buckets; the last full one holds 60 edits (× 6 per minute) and 20
    # people, the highest points; the scales are rounded up to 500 and 20.
    chart = room.chart
    assert (chart.edits_max, chart.people_max, chart.minutes) == (500, 20, 10)
    edits = [tuple(map(float, p.split(","))) for p in chart.edits_points.split()]
    people = [tuple(map(float, p.split(","))) for p in chart.people_points.split()]
    assert len(edits) == len(people) == 60
    assert edits[-2] == (round(58 * 600 / 59, 1), round(120 - 360 / 500 * 116 - 2, 1))
    assert people[-2] == (round(58 * 600 / 59, 1), 2.0)
    assert people[0] == (0.0, 118.0)


@pytest.mark.django_db
def test_the_page_and_its_fragment_show_the_open_notes_without_inline_styles():
    grid = make_grid(rooms=1, slots=1)
    talk = make_talk(event=grid.event, title="Live <talk>")
    publish("worker-a", talk.note_id, clients=4, writers=2, lag=0.1, edits=[[NOW, 3]])
    client = Client()
    client.force_login(grid.organizer.user)
    url = reverse("sessions:event_live", args=[grid.event.slug])

    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})

    assert page.status_code == fragment.status_code == 200
    html = page.content.decode()
    assert "<html" in html
    assert "<html" not in fragment.content.decode()
    assert 'id="live-room"' in fragment.content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert "style=" not in html
    assert "<script>" not in html
    assert "Live &lt;talk&gt;" in html
    assert page["Cache-Control"] == "no-store"
    assert "HX-Request" in page["Vary"]


@pytest.mark.django_db
def test_the_page_says_when_nobody_has_a_note_open():
    grid = make_grid(rooms=1, slots=1)
    client = Client()
    client.force_login(grid.organizer.user)

    html = client.get(reverse("sessions:event_live", args=[grid.event.slug])).content.decode()

    assert "Nobody has a note of this event open right now." in html
    assert re.search(r'id="live-people">0<', html)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_room_in_use_appears_with_its_people_and_edits(settings):
    settings.NOTES_LIVE = {**settings.NOTES_LIVE, "STATS_INTERVAL": 0.1}
    event = await database_sync_to_async(make_event)(slug="in-use", notes_access="guests")
    talk = await database_sync_to_async(make_talk)(event=event, title="Busy talk")
    ann = await LiveClient(talk.note_id, name="Ann").connect()
    bob = await LiveClient(talk.note_id, name="Bob").connect()
    for word in ("one ", "two ", "three "):
        await ann.append(word)
    await bob.until_text("one two three ")

    async def busy():
        room = await database_sync_to_async(event_live_room)(event=event)
        return room.notes and (room.notes[0].people, room.notes[0].edits_per_minute) == (2, 3)

    await eventually(busy, within=5, message="the room's numbers are published")
    room = await database_sync_to_async(event_live_room)(event=event)
    assert [n.title for n in room.notes] == ["Busy talk"]
    await ann.disconnect()
    await bob.disconnect()
    await asyncio.sleep(0)
