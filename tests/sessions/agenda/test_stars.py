"""Stars: on talks (Star rows) and open spaces (their interest votes), for users and guest
browsers, on every page that lists items, and merged when a guest signs in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from sessions.access import NotAllowed
from sessions.agenda.selectors import agenda_feed_of, starred_keys
from sessions.agenda.services import agenda_feed_reset, star_set
from sessions.board.identity import Actor
from sessions.board.queries import board_grid
from sessions.board.services import BoardError, open_space_withdraw
from sessions.guests import guest_merge
from sessions.models import AgendaFeed, Event, Interest, Star
from tests.factories import make_open_space, make_user
from tests.sessions.board.helpers import make_grid

from .helpers import HTMX, guest_browser, star_url, talk_at

PASSWORD = "pw-confnotes-1"


@pytest.mark.django_db
def test_a_user_stars_a_talk_once_and_unstars_it():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)

    first = star_set(actor=grid.host, item=talk, starred=True)
    again = star_set(actor=grid.host, item=talk, starred=True)
    other = star_set(actor=grid.other, item=talk)  # None: flip
    off = star_set(actor=grid.host, item=talk, starred=False)

    assert (first.starred, first.count, first.changed) == (True, 1, True)
    assert (again.starred, again.count, again.changed) == (True, 1, False)
    assert (other.starred, other.count, other.changed) == (True, 2, True)
    assert (off.starred, off.count, off.changed) == (False, 1, True)
    assert list(Star.objects.values_list("user_id", "guest_key")) == [(grid.other.user_id, "")]


@pytest.mark.django_db
def test_guests_star_with_their_browser_key():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)

    star_set(actor=grid.guest, item=talk, starred=True)
    star_set(actor=Actor(guest_key="another-browser"), item=talk, starred=True)

    assert sorted(Star.objects.values_list("user_id", "guest_key")) == [
        (None, "another-browser"),
        (None, grid.guest.guest_key),
    ]
    assert starred_keys(event=grid.event, actor=grid.guest) == {f"talk-{talk.pk}"}
    assert starred_keys(event=grid.event, actor=Actor()) == set()


@pytest.mark.django_db
def test_a_star_on_an_open_space_is_its_interest_and_shows_on_the_board():
    grid = make_grid()
    topic = grid.placed(0, 0, title="Kanban")  # Room A: 10 seats

    state = star_set(actor=grid.guest, item=topic, starred=True)
    star_set(actor=grid.host, item=topic, starred=True)

    assert (state.starred, state.count) == (True, 1)
    assert Interest.objects.filter(open_space=topic).count() == 2
    card = board_grid(event=grid.event).cards[topic.pk]
    assert (card.interest, card.capacity, card.over) == (2, 10, False)
    assert starred_keys(event=grid.event, actor=grid.guest) == {f"open-space-{topic.pk}"}
    star_set(actor=grid.guest, item=topic, starred=False)
    assert Interest.objects.filter(open_space=topic).count() == 1


@pytest.mark.django_db
def test_stars_are_refused_on_archived_events_and_withdrawn_topics():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    topic = make_open_space(event=grid.event, host_user=grid.host.user, host="Hana")
    open_space_withdraw(actor=grid.host, open_space=topic)
    topic.refresh_from_db()

    with pytest.raises(BoardError, match="withdrawn"):
        star_set(actor=grid.other, item=topic, starred=True)
    Event.objects.filter(pk=grid.event.pk).update(archived=True)
    talk.event.refresh_from_db()
    with pytest.raises(NotAllowed, match="archived"):
        star_set(actor=grid.other, item=talk, starred=True)
    with pytest.raises(NotAllowed, match="cookies to star"):
        star_set(actor=Actor(), item=make_grid().placed(0, 0), starred=True)
    assert Star.objects.count() == 0


@pytest.mark.django_db
def test_one_star_per_person_and_item_is_a_database_rule():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    Star.objects.create(talk=talk, user=grid.host.user)
    Star.objects.create(talk=talk, guest_key="g1")

    for fields in (
        {"user": grid.host.user},
        {"guest_key": "g1"},
        {},
        {"user": grid.other.user, "guest_key": "g2"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Star.objects.create(talk=talk, **fields)


@pytest.mark.django_db
def test_the_star_button_answers_htmx_with_itself_pressed():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    browser, key = guest_browser(grid.event)

    response = browser.post(star_url(talk), {"starred": "1"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith(f'<form class="star" method="post" action="{star_url(talk)}"')
    assert 'data-star="talk-' + str(talk.pk) + '"' in html
    assert '<input type="hidden" name="starred" value="0">' in html
    assert 'aria-pressed="true"' in html
    assert '<span class="star__label">Starred</span>' in html
    assert Star.objects.filter(talk=talk, guest_key=key).count() == 1


@pytest.mark.django_db
def test_the_star_form_works_without_javascript_and_goes_back_where_it_came_from():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    client = Client()  # no cookie yet: starring gives the browser its guest key
    schedule = grid.event.get_absolute_url()

    back = client.post(star_url(talk), {"starred": "1", "next": schedule})
    away = client.post(star_url(talk), {"starred": "0", "next": "https://evil.example/"})

    assert (back.status_code, back["Location"]) == (302, schedule)
    assert (away.status_code, away["Location"]) == (302, talk.get_absolute_url())
    assert Star.objects.count() == 0  # starred, then unstarred
    assert client.cookies["confnotes_guest"].value


@pytest.mark.django_db
def test_the_schedule_shows_each_persons_own_stars():
    grid = make_grid()
    keynote = talk_at(grid.event, title="Keynote", hour=9)
    lunch = talk_at(grid.event, title="Lunch talk", hour=12)
    topic = grid.placed(0, 0, title="Kanban")
    ada, bob = Client(), Client()
    ada.force_login(grid.host.user)
    bob.force_login(grid.other.user)
    star_set(actor=grid.host, item=keynote, starred=True)
    star_set(actor=grid.host, item=topic, starred=True)
    star_set(actor=grid.other, item=lunch, starred=True)

    def pressed(client) -> list[str]:
        html = client.get(grid.event.get_absolute_url()).content.decode()
        return sorted(
            set(
                re.findall(
                    r'data-star="([\w-]+)">(?:<input[^>]*>)*<button[^>]*aria-pressed="true"',
                    html,
                )
            )
        )

    assert pressed(ada) == sorted([f"talk-{keynote.pk}", f"open-space-{topic.pk}"])
    assert pressed(bob) == [f"talk-{lunch.pk}"]
    assert pressed(Client()) == []


@pytest.mark.django_db
def test_item_pages_the_board_and_the_marketplace_carry_the_star():
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    topic = grid.placed(0, 0, title="Kanban")
    client = Client()
    client.force_login(grid.host.user)
    star_set(actor=grid.host, item=topic, starred=True)

    talk_page = client.get(talk.get_absolute_url()).content.decode()
    topic_page = client.get(topic.get_absolute_url()).content.decode()
    board = client.get(reverse("sessions:board", args=[grid.event.slug])).content.decode()
    market = client.get(reverse("sessions:open_spaces", args=[grid.event.slug])).content.decode()

    assert f'action="{star_url(talk)}"' in talk_page
    assert ">0 starred</span>" in talk_page
    assert ">1 interested</span>" in topic_page
    assert f'action="{star_url(topic)}"' in topic_page
    assert 'aria-pressed="true"' in topic_page
    assert f'data-starred="{topic.pk}"' in board
    assert f'action="{star_url(topic)}"' in board
    assert '<meter class="board-card__meter" min="0" max="10" value="1"' in board
    # The marketplace's "I'm interested" is the same star.
    assert 'aria-pressed="true">★ Interested' in market


@pytest.mark.django_db
def test_signing_in_merges_talk_stars_once_and_keeps_the_guests_calendar_address():
    grid = make_grid()
    both = talk_at(grid.event, title="Both", hour=9)
    only_guest = talk_at(grid.event, title="Only the guest", hour=10)
    ada = make_user(username="ada", email="ada@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=ada, email=ada.email, verified=True, primary=True)
    star_set(actor=Actor(user=ada), item=both, starred=True)
    browser, key = guest_browser(grid.event)
    for talk in (both, only_guest):
        browser.post(star_url(talk), {"starred": "1"})
    feed = agenda_feed_reset(actor=Actor(guest_key=key), event=grid.event)

    browser.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})

    assert sorted(Star.objects.values_list("talk_id", "user_id", "guest_key")) == sorted(
        [(both.pk, ada.pk, ""), (only_guest.pk, ada.pk, "")]
    )
    assert agenda_feed_of(actor=Actor(user=ada)).token == feed.token
    assert AgendaFeed.objects.count() == 1


@pytest.mark.django_db
def test_an_account_keeps_its_own_calendar_address_when_a_guest_merges_in():
    grid = make_grid()
    ada = make_user(username="ada")
    mine = agenda_feed_reset(actor=Actor(user=ada), event=grid.event)
    agenda_feed_reset(actor=Actor(guest_key="browser"), event=grid.event)

    merged = guest_merge(guest_key="browser", user=ada)

    assert (merged.agenda.feed, list(AgendaFeed.objects.values_list("token", flat=True))) == (
        False,
        [mine.token],
    )


@pytest.mark.django_db
def test_stars_are_limited_per_identity(settings):
    settings.LIMITS = {**settings.LIMITS, "star": "3/m"}
    grid = make_grid()
    talk = talk_at(grid.event, title="Keynote", hour=9)
    browser, _ = guest_browser(grid.event)

    answers = [browser.post(star_url(talk), {"starred": str(n % 2)}).status_code for n in range(4)]
    refused = browser.post(star_url(talk), {"starred": "1"}, **HTMX)

    assert answers == [302, 302, 302, 429]
    assert refused.status_code == 429
    assert "That is 3 stars within a minute" in refused.content.decode()
