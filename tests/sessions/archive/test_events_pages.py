"""/events/, series pages and the home page."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sessions.archive import browse_selectors
from sessions.models import Event, OpenSpace, Series
from tests.factories import make_event, make_open_space, make_talk
from tests.sessions.archive.helpers import card_titles, make_spoken_talk, texts, write_notes

pytestmark = pytest.mark.django_db


def years_in(html: str) -> list[str]:
    return texts(html, r'<h2 id="h-year-\d+">(\d+)</h2>')


def section(html: str, start: str, end: str | None = None) -> str:
    part = html.split(start, 1)[1]
    return part.split(end, 1)[0] if end else part


def test_events_lists_public_events_by_year_newest_first(client: Client):
    make_event(name="Old", start_date=date(2013, 3, 7), end_date=date(2013, 3, 8))
    make_event(name="Later 2024", start_date=date(2024, 10, 1), end_date=date(2024, 10, 2))
    make_event(name="Early 2024", start_date=date(2024, 2, 1), end_date=date(2024, 2, 1))
    make_event(name="Future", start_date=date(2031, 1, 5), end_date=date(2031, 1, 6))
    make_event(
        name="Hidden",
        visibility=Event.Visibility.UNLISTED,
        start_date=date(2024, 5, 1),
        end_date=date(2024, 5, 1),
    )

    html = client.get("/events/").content.decode()

    assert years_in(html) == ["2031", "2024", "2013"]
    assert card_titles(section(html, 'id="h-year-2024"', 'id="h-year-2013"')) == [
        "Later 2024",
        "Early 2024",
    ]
    assert card_titles(html) == ["Future", "Later 2024", "Early 2024", "Old"]
    assert texts(html, r'<p class="meta" id="events-count">(.*?)</p>') == [
        "4 events, newest first."
    ]
    assert "Hidden" not in html


def test_events_shows_notes_counts_of_each_event(client: Client):
    event = make_event(name="Counted", slug="counted")
    make_spoken_talk(event=event, speakers=["Ada"], notes="- said things")
    make_spoken_talk(event=event, speakers=["Bob"], notes="  \n")  # only white space
    make_talk(event=event)
    written = make_open_space(event=event, status=OpenSpace.Status.HELD)
    write_notes(written.note, "decided")
    withdrawn = make_open_space(event=event, status=OpenSpace.Status.WITHDRAWN)
    write_notes(withdrawn.note, "never happened")
    hidden = make_open_space(event=event, status=OpenSpace.Status.HELD, hidden=True)
    write_notes(hidden.note, "moderated away")
    make_event(name="Empty")

    html = client.get("/events/").content.decode()

    assert texts(html, r'<p class="meta event-card__notes">(.*?)</p>') == [
        "2 of 4 sessions with notes",
        "No sessions yet",
    ]
    assert '<a href="/events/counted/read/">2 of 4 sessions with notes</a>' in html


def test_events_filtered_by_series(client: Client):
    paris = Series.objects.create(name="DevOpsDays Paris", slug="dod-paris")
    other = Series.objects.create(name="Other", slug="other")
    make_event(
        name="DOD 2013", series=paris, start_date=date(2013, 3, 7), end_date=date(2013, 3, 8)
    )
    make_event(
        name="DOD 2014", series=paris, start_date=date(2014, 3, 7), end_date=date(2014, 3, 8)
    )
    make_event(
        name="DOD secret",
        series=paris,
        visibility=Event.Visibility.UNLISTED,
        start_date=date(2015, 3, 7),
        end_date=date(2015, 3, 8),
    )
    make_event(name="Else", series=other)

    html = client.get("/events/", {"series": "dod-paris"}).content.decode()

    assert card_titles(html) == ["DOD 2014", "DOD 2013"]
    assert '<option value="dod-paris" selected>DevOpsDays Paris</option>' in html
    assert texts(html, r'<p class="meta" id="events-count">(.*?)</p>') == [
        "2 events in DevOpsDays Paris, newest first."
    ]


def test_events_unknown_series_is_not_found(client: Client):
    assert client.get("/events/", {"series": "nope"}).status_code == 404


def test_events_paginates_and_keeps_the_filter(client: Client, monkeypatch):
    monkeypatch.setattr(browse_selectors, "EVENTS_PER_PAGE", 2)
    series = Series.objects.create(name="S", slug="s")
    for n in range(5):
        make_event(
            name=f"E{n}",
            series=series,
            start_date=date(2020 + n, 1, 1),
            end_date=date(2020 + n, 1, 1),
        )

    pages = [
        client.get("/events/", {"series": "s", "page": page}).content.decode()
        for page in (1, 2, 3, 99, "x")
    ]

    assert [card_titles(html) for html in pages] == [
        ["E4", "E3"],
        ["E2", "E1"],
        ["E0"],
        ["E0"],  # past the end: the last page
        ["E4", "E3"],  # not a number: the first page
    ]
    assert '<a href="?series=s&amp;page=3" rel="next">Older →</a>' in pages[1]
    assert '<a href="?series=s&amp;page=1" rel="prev">← Newer</a>' in pages[1]
    assert 'aria-current="page">Page 2 of 3</span>' in pages[1]


def test_events_empty_state(client: Client):
    html = client.get("/events/").content.decode()

    assert "<h2>No events yet</h2>" in html
    assert 'id="events-filter"' not in html  # no series to filter by


def _many_events(count: int) -> None:
    series = Series.objects.create(name=f"Series {count}", slug=f"series-{count}")
    for n in range(count):
        event = make_event(
            name=f"Event {n}",
            series=series if n % 2 else None,
            start_date=date(2010 + n % 12, 1 + n % 12, 1),
            end_date=date(2010 + n % 12, 1 + n % 12, 2),
        )
        make_spoken_talk(event=event, speakers=["Ada"], notes="notes")
        make_open_space(event=event)


@pytest.mark.parametrize("count", [2, 30, 65])
def test_events_query_count_is_constant(client: Client, django_assert_num_queries, count):
    _many_events(count)

    # The page's count, the page (its events with their series), their notes counts, the
    # series of the filter; filtering by series adds the lookup of that series.
    with django_assert_num_queries(4):
        response = client.get("/events/")
    with django_assert_num_queries(4):
        last = client.get("/events/", {"page": 99})
    with django_assert_num_queries(5):
        filtered = client.get("/events/", {"series": f"series-{count}", "page": 2})

    html = response.content.decode()
    in_series = count // 2  # the odd ones
    assert len(card_titles(html)) == min(count, 30)
    years = years_in(html)
    assert years == sorted(set(years), reverse=True)  # one heading per year, newest first
    assert len(years) == {2: 2, 30: 12, 65: 6}[count]
    assert len(card_titles(last.content.decode())) == {2: 2, 30: 30, 65: 5}[count]
    # Page 2 of the series, or its only page when it has one.
    assert len(card_titles(filtered.content.decode())) == {1: 1, 15: 15, 32: 2}[in_series]


@pytest.mark.parametrize("count", [1, 12])
def test_series_page_lists_its_public_events_in_constant_queries(
    client: Client, django_assert_num_queries, count
):
    series = Series.objects.create(
        name="DevOpsDays Paris", slug="dod-paris", description="*Yearly*."
    )
    for n in range(count):
        make_event(
            name=f"DOD {2013 + n}",
            series=series,
            start_date=date(2013 + n, 3, 7),
            end_date=date(2013 + n, 3, 8),
        )
    make_event(name="DOD unlisted", series=series, visibility=Event.Visibility.UNLISTED)
    make_event(name="Not in the series")

    with django_assert_num_queries(3):  # the series, its events, their notes counts
        html = client.get("/series/dod-paris/").content.decode()

    assert card_titles(html) == [f"DOD {2013 + n}" for n in reversed(range(count))]
    assert "<h1>DevOpsDays Paris</h1>" in html
    assert "<p><em>Yearly</em>.</p>" in html
    assert "Series: " not in html  # its own name is not repeated on each card


def test_series_page_empty_state_and_missing_series(client: Client):
    Series.objects.create(name="Brand new", slug="brand-new")

    html = client.get("/series/brand-new/").content.decode()

    assert "<h2>No events in this series yet</h2>" in html
    assert client.get("/series/nope/").status_code == 404


def test_event_page_links_its_series_and_read_it_all(client: Client):
    series = Series.objects.create(name="DevOpsDays Paris", slug="dod-paris")
    make_event(slug="dod13", series=series)

    html = client.get("/events/dod13/").content.decode()

    assert '<a href="/series/dod-paris/" id="event-series">DevOpsDays Paris</a>' in html
    assert 'href="/events/dod13/read/" id="read-it-all">Read it all</a>' in html


# --- Home ------------------------------------------------------------------------------


def test_home_shows_now_coming_up_and_recent_with_notes_counts(client: Client, monkeypatch):
    monkeypatch.setattr(browse_selectors, "HOME_UPCOMING", 2)
    monkeypatch.setattr(browse_selectors, "HOME_PAST", 2)
    today = timezone.localdate()

    def event(name: str, start: int, end: int, **extra) -> Event:
        return make_event(
            name=name,
            start_date=today + timedelta(days=start),
            end_date=today + timedelta(days=end),
            **extra,
        )

    oldest = event("Oldest", -400, -399)
    make_spoken_talk(event=oldest, speakers=["Ada"], notes="old notes")
    recent = event("Recent", -10, -9)
    make_spoken_talk(event=recent, speakers=["Ada"], notes="fresh")
    make_spoken_talk(event=recent, speakers=["Bob"])
    event("Last year", -300, -300)
    event("Running", -1, 1)
    event("Soonest", 3, 3)
    event("Next", 30, 31)
    event("Much later", 300, 301)
    event("Unlisted now", 0, 0, visibility=Event.Visibility.UNLISTED)
    event("Unlisted past", -5, -5, visibility=Event.Visibility.UNLISTED)

    html = client.get("/").content.decode()

    now = section(html, 'id="h-now"', 'id="h-upcoming"')
    upcoming = section(html, 'id="h-upcoming"', 'id="h-past"')
    past = section(html, 'id="h-past"')
    assert card_titles(now) == ["Running"]
    assert card_titles(upcoming) == ["Soonest", "Next"]
    assert card_titles(past) == ["Recent", "Last year"]
    assert texts(past, r'<p class="meta event-card__notes">(.*?)</p>') == [
        "1 of 2 sessions with notes",
        "No sessions yet",
    ]
    assert 'class="event-card__notes"' not in now + upcoming
    assert "Unlisted" not in html
    assert '<a href="/events/" id="all-events">' in html


def test_home_has_a_search_box_targeting_search(client: Client):
    make_event()

    html = client.get("/").content.decode()

    assert '<form class="search-form" method="get" action="/search/" role="search">' in html
    assert '<input type="search" id="home-search-q" name="q"' in html
    assert '<label for="home-search-q" class="visually-hidden">' in html


@pytest.mark.parametrize("count", [1, 8])
def test_home_query_count_is_constant(client: Client, django_assert_num_queries, count):
    today = timezone.localdate()
    for n in range(count):
        for offset in (-30 - n, 0, 30 + n):
            event = make_event(
                start_date=today + timedelta(days=offset), end_date=today + timedelta(days=offset)
            )
            make_spoken_talk(event=event, speakers=["Ada"], notes="x")

    with django_assert_num_queries(4):  # now, coming up, recent, their notes counts
        client.get("/")


def test_header_links_every_event(client: Client):
    html = client.get("/events/").content.decode()

    assert '<a href="/events/">Events</a>' in html
