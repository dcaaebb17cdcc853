"""Atom feeds of new and updated notes: the site's and each event's; settled notes only."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from notes.persistence import record_contributor
from sessions.archive.selectors import searchable_events, settled_entries
from sessions.board.identity import Actor
from sessions.models import Event, Series
from tests.factories import make_event, make_open_space, make_talk

from .search_helpers import write_notes, write_notes_at

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response) -> list[dict]:
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "id": entry.findtext(f"{ATOM}id"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "authors": [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")],
        }
        for entry in feed.findall(f"{ATOM}entry")
    ]


def minutes_ago(n: int):
    return timezone.now() - timedelta(minutes=n)


def test_site_feed_lists_settled_notes_newest_first(client: Client):
    event = make_event(name="Ops Days", slug="ops")
    older = make_talk(event=event, title="Canary releases")
    newer = make_open_space(event=event, title="On-call health")
    write_notes_at(older, "- the **canary** caught it", at=minutes_ago(30))
    write_notes_at(newer, "- rotations", at=minutes_ago(5))
    record_contributor(note_id=newer.note_id, user_id=None, name="Ann")

    items = entries(client.get("/notes.atom"))

    assert [(i["title"], i["link"]) for i in items] == [
        ("On-call health — Ops Days", f"http://testserver/events/ops/open-spaces/{newer.pk}/"),
        ("Canary releases — Ops Days", "http://testserver/events/ops/talks/canary-releases/"),
    ]
    assert items[0]["id"] == f"tag:testserver,2026:note:{newer.note_id}"
    assert items[0]["authors"] == ["Ann"]
    assert items[1]["summary"] == ("<ul>\n<li>the <strong>canary</strong> caught it</li>\n</ul>\n")


def test_notes_still_being_written_wait_until_they_settle(client: Client):
    talk = make_talk(event=make_event(), title="Live talk")
    write_notes(talk, "typing…")  # stored just now by the live engine

    assert entries(client.get("/notes.atom")) == []
    events = searchable_events(actor=Actor())
    later = timezone.now() + timedelta(minutes=3)
    assert [e.item.title for e in settled_entries(events=events, now=later)] == ["Live talk"]


def test_notes_emptied_to_white_space_leave_the_feed(client: Client):
    kept, emptied = make_talk(event=make_event(), title="Kept"), make_talk(event=make_event())
    write_notes_at(kept, "- notes", at=minutes_ago(30))
    write_notes_at(emptied, "- notes, then deleted", at=minutes_ago(20))

    write_notes_at(emptied, "\n \n", at=minutes_ago(10))  # an emptied editor keeps a newline

    assert [i["title"] for i in entries(client.get("/notes.atom"))] == ["Kept — Example Conf"]


def test_feed_item_comes_back_updated_after_another_pause(client: Client):
    talk = make_talk(event=make_event(), title="Talk")
    write_notes_at(talk, "first version", at=minutes_ago(60))
    first = entries(client.get("/notes.atom"))

    write_notes_at(talk, "second version", at=minutes_ago(3))
    second = entries(client.get("/notes.atom"))

    assert [i["id"] for i in first] == [i["id"] for i in second]
    assert second[0]["updated"] > first[0]["updated"]
    assert second[0]["summary"] == "<p>second version</p>\n"


def test_empty_notes_are_not_in_feeds(client: Client):
    talk = make_talk(event=make_event(), title="Talk")
    write_notes_at(talk, "something", at=minutes_ago(10))
    write_notes_at(talk, "", at=minutes_ago(9))

    assert entries(client.get("/notes.atom")) == []


def test_event_feed_lists_only_that_events_notes(client: Client):
    mine, other = make_event(name="Mine", slug="mine"), make_event(slug="other")
    write_notes_at(make_talk(event=mine, title="Mine talk"), "x", at=minutes_ago(10))
    write_notes_at(make_talk(event=other, title="Other talk"), "y", at=minutes_ago(10))

    response = client.get("/events/mine/notes.atom")
    feed = ElementTree.fromstring(response.content)

    assert [i["title"] for i in entries(response)] == ["Mine talk — Mine"]
    assert feed.findtext(f"{ATOM}title") == "Mine: new and updated notes"


def test_series_feed_lists_the_notes_of_its_events_only(client: Client):
    series = Series.objects.create(name="Ops Days", slug="ops-days")
    first = make_event(name="Ops 2024", slug="ops-2024", series=series)
    second = make_event(name="Ops 2025", slug="ops-2025", series=series)
    elsewhere = make_event(name="Other", slug="other")
    write_notes_at(make_talk(event=first, title="First talk"), "x", at=minutes_ago(30))
    write_notes_at(make_talk(event=second, title="Second talk"), "y", at=minutes_ago(10))
    write_notes_at(make_talk(event=elsewhere, title="Other talk"), "z", at=minutes_ago(10))

    response = client.get("/series/ops-days/notes.atom")
    feed = ElementTree.fromstring(response.content)

    assert [i["title"] for i in entries(response)] == [
        "Second talk — Ops 2025",
        "First talk — Ops 2024",
    ]
    assert feed.findtext(f"{ATOM}title") == "Ops Days: new and updated notes"
    assert client.get("/series/nope/notes.atom").status_code == 404


def test_unlisted_events_are_in_no_feed(client: Client):
    secret = make_event(slug="secret", visibility=Event.Visibility.UNLISTED)
    write_notes_at(make_talk(event=secret, title="Secret talk"), "x", at=minutes_ago(10))

    assert entries(client.get("/notes.atom")) == []
    assert client.get("/events/secret/notes.atom").status_code == 404
    assert client.get("/events/nope/notes.atom").status_code == 404


def test_feed_query_count_is_constant(client: Client, django_assert_num_queries):
    event = make_event()
    write_notes_at(make_talk(event=event, title="One"), "x", at=minutes_ago(10))
    with django_assert_num_queries(3):  # events, entries with their items, contributors
        client.get("/notes.atom")

    for n in range(20):
        talk = make_talk(event=event, title=f"Talk {n}")
        write_notes_at(talk, "x", at=minutes_ago(10))
        record_contributor(note_id=talk.note_id, user_id=None, name=f"Writer {n}")
    with django_assert_num_queries(3):
        response = client.get("/notes.atom")
    assert len(entries(response)) == 21


def test_pages_advertise_the_site_feed(client: Client):
    html = client.get("/").content.decode()

    assert (
        '<link rel="alternate" type="application/atom+xml" title="New notes" href="/notes.atom">'
        in html
    )
