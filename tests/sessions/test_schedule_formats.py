import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.test import Client

from sessions.models import OpenSpace, Talk
from tests.factories import local, make_event, make_open_space, make_room, make_slot, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_event(
        name="Frab Conf",
        slug="frab-conf",
        start_date=date(2026, 3, 28),
        end_date=date(2026, 3, 29),  # Europe/Paris switches to summer time on the 29th
        timezone="Europe/Paris",
    )
    hall = make_room(event=event, name="Hall", position=0, capacity=300)
    make_room(event=event, name="Unused", position=1)
    event.keynote = make_talk(
        event=event,
        title="Keynote",
        kind=Talk.Kind.KEYNOTE,
        speakers="Ada, Grace",
        abstract="The abstract.",
        room=hall,
        start=local(event, 2026, 3, 28, 9, 0),
        end=local(event, 2026, 3, 28, 10, 15),
    )
    slot = make_slot(
        event=event, start=local(event, 2026, 3, 29, 14, 0), end=local(event, 2026, 3, 29, 14, 45)
    )
    event.open_space = make_open_space(
        event=event,
        title="Unconference Chat",
        host="Erin",
        description="Let's talk.",
        room=hall,
        slot=slot,
        status=OpenSpace.Status.SCHEDULED,
    )
    make_talk(event=event, title="Not scheduled")
    return event


def test_schedule_json_is_frab_compatible_with_note_links(client: Client, event):
    response = client.get("/events/frab-conf/schedule.json")
    data = json.loads(response.content)

    assert response["Content-Type"] == "application/json"
    conference = data["schedule"]["conference"]
    assert conference["acronym"] == "frab-conf"
    assert conference["title"] == "Frab Conf"
    assert conference["start"] == "2026-03-28"
    assert conference["end"] == "2026-03-29"
    assert conference["daysCount"] == 2
    assert conference["time_zone_name"] == "Europe/Paris"
    assert [room["name"] for room in conference["rooms"]] == ["Hall"]
    day1, day2 = conference["days"]
    assert (day1["index"], day1["date"]) == (1, "2026-03-28")
    assert (day2["index"], day2["date"]) == (2, "2026-03-29")
    assert list(day1["rooms"]) == ["Hall"]
    [keynote] = day1["rooms"]["Hall"]
    assert keynote["title"] == "Keynote"
    assert keynote["type"] == "Keynote"
    assert keynote["date"] == "2026-03-28T09:00:00+01:00"
    assert keynote["start"] == "09:00"
    assert keynote["duration"] == "01:15"
    assert keynote["room"] == "Hall"
    assert keynote["abstract"] == "The abstract."
    assert keynote["persons"] == [
        {"name": "Ada", "public_name": "Ada"},
        {"name": "Grace", "public_name": "Grace"},
    ]
    assert keynote["note_id"] == event.keynote.note_id
    assert keynote["note_url"] == "http://testserver/events/frab-conf/talks/keynote/"
    assert keynote["note_ws"] == f"/ws/notes/{event.keynote.note_id}/"
    assert len(keynote["guid"]) == 36
    [open_space] = day2["rooms"]["Hall"]
    assert open_space["title"] == "Unconference Chat"
    assert open_space["type"] == "Open Space"
    assert open_space["date"] == "2026-03-29T14:00:00+02:00"  # summer time
    assert open_space["duration"] == "00:45"
    assert open_space["persons"] == [{"name": "Erin", "public_name": "Erin"}]
    assert open_space["note_ws"] == f"/ws/notes/{event.open_space.note_id}/"
    assert open_space["note_url"] == (
        f"http://testserver/events/frab-conf/open-spaces/{event.open_space.pk}/"
    )


def test_schedule_json_guids_are_stable(client: Client, event):
    first = json.loads(client.get("/events/frab-conf/schedule.json").content)
    second = json.loads(client.get("/events/frab-conf/schedule.json").content)

    guid = first["schedule"]["conference"]["days"][0]["rooms"]["Hall"][0]["guid"]
    assert guid == second["schedule"]["conference"]["days"][0]["rooms"]["Hall"][0]["guid"]


def test_schedule_ics_has_one_event_per_scheduled_item_in_local_time(client: Client, event):
    response = client.get("/events/frab-conf/schedule.ics")
    calendar = icalendar.Calendar.from_ical(response.content)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    vevents = calendar.walk("VEVENT")
    assert [str(v["SUMMARY"]) for v in vevents] == ["Keynote", "Unconference Chat"]
    keynote, open_space = vevents
    paris = ZoneInfo("Europe/Paris")
    assert keynote.decoded("DTSTART") == datetime(2026, 3, 28, 9, 0, tzinfo=paris)
    assert keynote.decoded("DTEND") == datetime(2026, 3, 28, 10, 15, tzinfo=paris)
    assert keynote["DTSTART"].params["TZID"] == "Europe/Paris"
    assert str(keynote["LOCATION"]) == "Hall"
    assert str(keynote["DESCRIPTION"]) == "Keynote — Ada, Grace"
    assert str(keynote["URL"]) == "http://testserver/events/frab-conf/talks/keynote/"
    assert open_space.decoded("DTSTART") == datetime(2026, 3, 29, 14, 0, tzinfo=paris)
    assert open_space.decoded("DTSTART").utcoffset().total_seconds() == 2 * 3600
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert len({str(v["UID"]) for v in vevents}) == 2
