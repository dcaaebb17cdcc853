"""My agenda: starred items in time order with clashes marked, the notes I wrote in, and
the personal calendar feed (parsed back; a reset ends the old address; moves show)."""

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notes.models import NoteContributor
from sessions.agenda.selectors import agenda
from sessions.agenda.services import agenda_feed_reset, star_set
from sessions.board.identity import Actor
from sessions.board.services import open_space_move
from sessions.models import AgendaFeed
from tests.factories import make_open_space, make_talk
from tests.sessions.board.helpers import at, make_grid

from .helpers import guest_browser, talk_at


def agenda_url(event) -> str:
    return reverse("sessions:agenda", args=[event.slug])


@pytest.fixture
def day(db):
    """A grid (slots 14:00–14:45 and 15:00–15:45 in rooms A and B) and talks around it."""
    grid = make_grid()
    event = grid.event
    return {
        "grid": grid,
        "keynote": talk_at(event, title="Keynote", hour=9, minutes=60, room=grid.rooms[0]),
        "clash": talk_at(event, title="Overlapping talk", hour=9, minute=30, room=grid.rooms[1]),
        "lunch": talk_at(event, title="Lunch talk", hour=12),
        "topic": grid.placed(0, 0, title="Kanban"),
        "later": grid.placed(1, 1, title="On-call"),
        "loose": make_open_space(event=event, title="Unplaced idea"),
        "unscheduled": make_talk(event=event, title="Talk without a time"),
    }


def test_the_agenda_lists_stars_in_time_order_and_marks_clashes(day):
    me = day["grid"].host
    for name in ("later", "lunch", "clash", "topic", "keynote", "loose", "unscheduled"):
        star_set(actor=me, item=day[name], starred=True)

    mine = agenda(event=day["grid"].event, actor=me)

    assert [e.item.title for e in mine.scheduled] == [
        "Keynote",
        "Overlapping talk",
        "Lunch talk",
        "Kanban",
        "On-call",
    ]
    assert [[o.title for o in e.clashes] for e in mine.scheduled] == [
        ["Overlapping talk"],
        ["Keynote"],
        [],
        [],
        [],
    ]
    assert mine.clash_count == 2
    assert [i.title for i in mine.unscheduled] == ["Talk without a time", "Unplaced idea"]
    assert agenda(event=day["grid"].event, actor=day["grid"].other).scheduled == []


def test_the_agenda_lists_the_notes_i_wrote_in_as_a_user_and_as_a_guest(day):
    grid = day["grid"]
    NoteContributor.objects.create(note=day["lunch"].note, user=grid.host.user, name="Hana")
    NoteContributor.objects.create(note=day["topic"].note, name="Someone else")
    NoteContributor.objects.create(
        note=day["topic"].note, name="Gus", guest_key=grid.guest.guest_key
    )

    assert [i.title for i in agenda(event=grid.event, actor=grid.host).contributed] == [
        "Lunch talk"
    ]
    assert [i.title for i in agenda(event=grid.event, actor=grid.guest).contributed] == ["Kanban"]
    assert agenda(event=grid.event, actor=Actor()).contributed == []


def test_the_agenda_page_shows_times_clashes_and_the_empty_state(day):
    grid = day["grid"]
    browser, key = guest_browser(grid.event)
    empty = browser.get(agenda_url(grid.event)).content.decode()
    for name in ("keynote", "clash", "topic"):
        star_set(actor=Actor(guest_key=key), item=day[name], starred=True)

    html = browser.get(agenda_url(grid.event)).content.decode()

    assert 'id="agenda-empty"' in empty
    assert "2 of your sessions overlap another: you cannot be at both." in html
    keynote, clash, topic = (f"agenda-talk-{day['keynote'].pk}", f"agenda-talk-{day['clash'].pk}",
                             f"agenda-open-space-{day['topic'].pk}")  # fmt: skip
    assert html.index(keynote) < html.index(clash) < html.index(topic)
    assert f'class="agenda-item agenda-item--clash" id="{keynote}"' in html
    assert f'class="agenda-item" id="{topic}"' in html
    assert '<time datetime="' in html
    assert ">09:30</time>–<time" in html
    assert "Clashes with <a href=" in html
    assert "(09:00–10:00, Room A)" in html
    assert 'id="agenda-feed-create"' in html


def test_the_agenda_page_reads_a_constant_number_of_queries(day):
    grid = day["grid"]
    client = Client()
    client.force_login(grid.host.user)
    star_set(actor=grid.host, item=day["keynote"], starred=True)
    with CaptureQueriesContext(connection) as few:
        client.get(agenda_url(grid.event))
    for name in ("clash", "lunch", "topic", "later", "loose", "unscheduled"):
        star_set(actor=grid.host, item=day[name], starred=True)
        NoteContributor.objects.create(note=day[name].note, user=grid.host.user, name="Hana")

    with CaptureQueriesContext(connection) as many:
        response = client.get(agenda_url(grid.event))

    assert response.status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The calendar feed ------------------------------------------------------------------


def feed_events(client: Client, url: str) -> dict[str, tuple]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["REFRESH-INTERVAL"].to_ical().decode()) == "PT15M"
    return {
        str(e["SUMMARY"]): (e.decoded("DTSTART").isoformat(), str(e.get("LOCATION", "")))
        for e in calendar.walk("VEVENT")
    }


def test_the_calendar_feed_is_my_agenda_and_follows_open_spaces_that_move(day):
    grid = day["grid"]
    browser, key = guest_browser(grid.event)
    me = Actor(guest_key=key)
    for name in ("keynote", "topic", "unscheduled"):
        star_set(actor=me, item=day[name], starred=True)
    star_set(actor=grid.other, item=day["lunch"], starred=True)  # someone else's
    browser.post(reverse("sessions:agenda_feed_reset", args=[grid.event.slug]))
    token = AgendaFeed.objects.get(guest_key=key).token
    url = reverse("sessions:agenda_ics", args=[grid.event.slug, token])
    anyone = Client()  # a calendar app: no cookie, no session

    before = feed_events(anyone, url)
    open_space_move(
        actor=grid.organizer, open_space=day["topic"], room=grid.rooms[0], slot=grid.slots[1]
    )
    after = feed_events(anyone, url)

    event = grid.event
    assert before == {
        "Keynote": (at(event, 0, 9).isoformat(), "Room A"),
        "Kanban": (at(event, 0, 14).isoformat(), "Room A"),
    }
    assert after["Kanban"] == (at(event, 0, 15).isoformat(), "Room A")
    assert f"{token}.ics" in browser.get(agenda_url(grid.event)).content.decode()


def test_a_reset_gives_a_new_address_and_the_old_one_stops_answering(day):
    grid = day["grid"]
    client = Client()
    client.force_login(grid.host.user)
    star_set(actor=grid.host, item=day["keynote"], starred=True)
    reset = reverse("sessions:agenda_feed_reset", args=[grid.event.slug])
    client.post(reset)
    old = AgendaFeed.objects.get(user=grid.host.user).token

    response = client.post(reset)

    new = AgendaFeed.objects.get(user=grid.host.user).token
    assert response.status_code == 302
    assert response["Location"] == agenda_url(grid.event) + "#calendar"
    assert new != old
    assert len(new) == 43
    assert (
        Client().get(reverse("sessions:agenda_ics", args=[grid.event.slug, old])).status_code == 404
    )
    assert list(
        feed_events(Client(), reverse("sessions:agenda_ics", args=[grid.event.slug, new]))
    ) == ["Keynote"]


def test_feed_addresses_are_limited_per_identity(settings, day):
    settings.LIMITS = {**settings.LIMITS, "agenda_feed": "2/h"}
    grid = day["grid"]
    reset = reverse("sessions:agenda_feed_reset", args=[grid.event.slug])
    client = Client()
    client.force_login(grid.host.user)

    answers = [client.post(reset).status_code for _ in range(3)]

    assert answers == [302, 302, 429]


def test_agenda_feed_reset_service_creates_then_replaces_one_feed_per_person(day):
    grid = day["grid"]

    first = agenda_feed_reset(actor=grid.host, event=grid.event).token
    second = agenda_feed_reset(actor=grid.host, event=grid.event).token

    assert first != second
    assert list(AgendaFeed.objects.values_list("user_id", "token")) == [(grid.host.user_id, second)]
