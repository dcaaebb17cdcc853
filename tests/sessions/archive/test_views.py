"""The search page: a plain GET form, the htmx fragment, pagination, query counts."""

import re
from datetime import date

import pytest
from django.test import Client

from sessions.models import Event, Series
from tests.factories import make_event, make_talk

from .search_helpers import write_notes

pytestmark = pytest.mark.django_db


def hits(html: str) -> list[str]:
    """The result titles of a page, as text, in order."""
    titles = re.findall(r'<h2 class="search-hit__title"><a href="[^"]+">(.*?)</a></h2>', html)
    return [re.sub(r"</?mark>", "", title) for title in titles]


def test_search_page_without_query_shows_the_form_only(client: Client):
    response = client.get("/search/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form id="search-form"' in html
    assert 'method="get" action="/search/"' in html
    assert hits(html) == []
    assert 'id="search-count"' not in html


def test_search_page_answers_a_plain_get_with_highlighted_results(client: Client):
    event = make_event(name="Ops Days")
    talk = make_talk(event=event, title="Canary releases", speakers="Ann Lee")
    write_notes(talk, "- the canary caught it")

    response = client.get("/search/", {"q": "canary"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert hits(html) == ["Canary releases"]
    assert f'<a href="{talk.get_absolute_url()}"><mark>Canary</mark> releases</a>' in html
    assert '<p class="search-hit__passage">the <mark>canary</mark> caught it</p>' in html
    assert '<span class="search-hit__people">Ann Lee</span>' in html
    assert f'<a href="{event.get_absolute_url()}">Ops Days</a>' in html
    assert "1 result for <strong>canary</strong>" in html
    assert 'value="canary"' in html  # the box keeps the query


def test_htmx_request_gets_the_results_fragment_only(client: Client):
    make_talk(event=make_event(), title="Canary releases")

    response = client.get("/search/", {"q": "canary"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="search-results"')
    assert "<html" not in html
    assert hits(html) == ["Canary releases"]
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(client: Client):
    response = client.get(
        "/search/",
        {"q": "canary"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in response.content.decode()


def test_search_form_is_wired_for_htmx_and_works_without_it(client: Client):
    html = client.get("/search/").content.decode()

    form = re.search(r'<form id="search-form"[^>]*>', html, re.S)[0]
    assert 'hx-get="/search/"' in form
    assert 'hx-trigger="input delay:300ms, submit"' in form
    assert 'hx-push-url="true"' in form
    assert 'hx-target="#search-results"' in form
    assert 'action="/search/"' in form


def test_filters_offer_only_listed_events_and_refuse_others(client: Client):
    make_event(name="Public Conf", slug="public-conf")
    secret = make_event(
        name="Secret Conf", slug="secret-conf", visibility=Event.Visibility.UNLISTED
    )
    make_talk(event=secret, title="Secret canary")

    page = client.get("/search/").content.decode()
    filtered = client.get("/search/", {"q": "canary", "event": "secret-conf"}).content.decode()

    assert '<option value="public-conf">' in page
    assert "secret-conf" not in page
    assert "Secret" not in filtered.replace("secret-conf", "")
    assert "Select a valid choice." in filtered
    assert hits(filtered) == []


def test_hostile_queries_over_http_answer_normally(client: Client):
    make_talk(event=make_event(), title="Canary releases")

    for text in ['"', "&|!():*", "x" * 1000, '"canary', "-canary", ""]:
        response = client.get("/search/", {"q": text})
        assert response.status_code == 200
    assert hits(client.get("/search/", {"q": '"canary'}).content.decode()) == ["Canary releases"]
    only_excluded = client.get("/search/", {"q": "-canary"}).content.decode()
    assert "excluded words alone find nothing" in only_excluded
    punctuation = client.get("/search/", {"q": "&|!"}).content.decode()
    assert "Type a word to search for." in punctuation


def test_pagination_links_keep_the_query_and_filters(client: Client):
    event = make_event(slug="ops")
    for n in range(23):
        make_talk(event=event, title=f"Incident {n:02}")

    first = client.get("/search/", {"q": "incident", "event": "ops"}).content.decode()
    second = client.get("/search/", {"q": "incident", "event": "ops", "page": 2}).content.decode()

    assert len(hits(first)) == 20
    assert len(hits(second)) == 3
    assert set(hits(first)).isdisjoint(hits(second))
    assert 'href="?q=incident&amp;event=ops&amp;page=2"' in first
    assert "23 results for <strong>incident</strong>, 1–20 shown" in first
    assert "Page 2 of 2" in second


def test_results_page_query_count_is_constant(client: Client, django_assert_num_queries):
    event = make_event()
    make_talk(event=event, title="Lonely canary")
    other = make_event()
    for n in range(30):
        talk = make_talk(event=other, title=f"Crowd {n}")
        write_notes(talk, "a canary in the crowd")

    # Events the reader may search, which events are in scope, one ranked and counted
    # page with its items.
    expected = 3
    with django_assert_num_queries(expected):
        one = client.get("/search/", {"q": "lonely"})
    with django_assert_num_queries(expected):
        many = client.get("/search/", {"q": "canary"})
    with django_assert_num_queries(expected):
        client.get("/search/", {"q": "canary", "page": 2})

    assert len(hits(one.content.decode())) == 1
    assert len(hits(many.content.decode())) == 20


@pytest.mark.parametrize("path", ["/", "/search/?q=x", "/events/{slug}/"])
def test_every_page_has_the_search_box_in_its_header(client: Client, path):
    event = make_event()

    html = client.get(path.format(slug=event.slug)).content.decode()

    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    assert 'action="/search/"' in header
    assert '<input id="site-search-q" type="search" name="q"' in header


def test_count_past_the_result_limit_reads_more_than(client: Client, settings):
    settings.SEARCH_RESULT_LIMIT = 5
    event = make_event()
    for n in range(7):
        make_talk(event=event, title=f"Incident {n}")

    html = client.get("/search/", {"q": "incident"}).content.decode()

    assert "More than 5 results for <strong>incident</strong>, 1–5 shown" in html
    assert len(hits(html)) == 5


def test_filters_keep_their_values_on_the_results_page(client: Client):
    series = Series.objects.create(name="Ops Days", slug="ops-days")
    make_event(
        name="Ops",
        slug="ops-2013",
        start_date=date(2013, 10, 1),
        end_date=date(2013, 10, 2),
        series=series,
    )

    html = client.get(
        "/search/",
        {"q": "x", "event": "ops-2013", "series": "ops-days", "year": 2013, "kind": "ignite"},
    )

    selected = re.findall(r'<option value="([^"]*)" selected>', html.content.decode())
    assert selected == ["ops-2013", "ops-days", "2013", "ignite"]


def test_page_past_the_end_or_not_a_number_shows_a_real_page(client: Client):
    event = make_event()
    for n in range(23):
        make_talk(event=event, title=f"Incident {n:02}")

    past = client.get("/search/", {"q": "incident", "page": 99}).content.decode()
    junk = client.get("/search/", {"q": "incident", "page": "x"}).content.decode()

    assert len(hits(past)) == 3
    assert "Page 2 of 2" in past
    assert len(hits(junk)) == 20
