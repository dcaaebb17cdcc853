"""Rate limits: the requests under a limit succeed, the first one over it is refused
with 429 and says why, and nothing is stored for it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from sessions.limits import Rate
from sessions.models import Interest, OpenSpace
from tests.factories import make_open_space, make_user
from tests.sessions.board.helpers import make_grid


def limits(settings, **rates) -> None:
    settings.LIMITS = {**settings.LIMITS, **rates}


def refusal_text(response) -> str:
    return re.search(r'role="alert"><p>(.*?)</p>', response.content.decode()).group(1)


def test_rates_read_as_count_per_period():
    assert [Rate.parse(text) for text in ("10/m", "30/10m", "5/h", "2/30s")] == [
        Rate(10, 60),
        Rate(30, 600),
        Rate(5, 3600),
        Rate(2, 30),
    ]
    with pytest.raises(ValueError, match="not a rate"):
        Rate.parse("10 per minute")


@pytest.mark.django_db
def test_proposals_per_guest_are_limited(settings):
    limits(settings, propose="3/10m")
    grid = make_grid()
    browser = Client()
    url = reverse("sessions:open_space_propose", args=[grid.event.slug])

    statuses = [browser.post(url, {"title": f"T{n}", "host": "G"}).status_code for n in range(4)]

    assert statuses == [302, 302, 302, 429]
    assert OpenSpace.objects.count() == 3
    last = browser.post(url, {"title": "T5", "host": "G"})
    assert refusal_text(last) == (
        "You proposed 3 topics within 10 minutes: wait a little before proposing more."
    )


@pytest.mark.django_db
def test_proposal_limit_counts_each_user_apart_and_spares_organizers(settings):
    limits(settings, propose="1/h")
    grid = make_grid()
    url = reverse("sessions:open_space_propose", args=[grid.event.slug])
    clients = {}
    for name, user in (("a", grid.other.user), ("b", grid.host.user), ("org", grid.organizer.user)):
        clients[name] = Client()
        clients[name].force_login(user)

    answers = [
        clients[name].post(url, {"title": f"{name}{n}"}).status_code
        for name in ("a", "b", "org")
        for n in range(2)
    ]

    assert answers == [302, 429, 302, 429, 302, 302]


@pytest.mark.django_db
def test_interest_votes_are_limited_per_identity(settings):
    limits(settings, interest="4/m")
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    voter = Client()
    voter.force_login(make_user(username="voter"))
    url = reverse("sessions:open_space_interest", args=[grid.event.slug, topic.pk])

    statuses = [
        voter.post(url, {"interested": str((n % 2 == 0 and 1) or 0)}).status_code for n in range(5)
    ]

    assert statuses == [302, 302, 302, 302, 429]
    refused = voter.post(url, {"interested": "1"}, headers={"HX-Request": "true"})
    assert refused.status_code == 429
    assert "That is 4 votes within a minute: wait a moment, then try again." in (
        refused.content.decode()
    )
    assert Interest.objects.count() == 0  # the fourth vote took it back; the fifth never came


@pytest.mark.django_db
def test_new_guests_per_address_are_capped_and_cookieless_votes_refused(settings):
    limits(settings, guest_new_ip="3/10m", interest="100/m")
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    url = reverse("sessions:open_space_interest", args=[grid.event.slug, topic.pk])

    # A script that drops its cookie is a new guest each time.
    answers = [Client().post(url, {"interested": "1"}) for _ in range(4)]

    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert [GUEST in a.cookies for a in answers] == [True, True, True, False]
    assert refusal_text(answers[3]) == (
        "Too many new guests from your network within 10 minutes. "
        "Sign in, or try again in a few minutes."
    )
    assert Interest.objects.count() == 3


GUEST = "confnotes_guest"


@pytest.mark.django_db
def test_known_guests_and_users_are_not_held_by_the_new_guest_ceiling(settings):
    limits(settings, guest_new_ip="1/10m")
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    url = reverse("sessions:open_space_interest", args=[grid.event.slug, topic.pk])
    known = Client()
    known.get(reverse("sessions:open_spaces", args=[grid.event.slug]))  # the one new guest
    user = Client()
    user.force_login(make_user(username="u"))

    page_of_a_new_guest = Client().get(reverse("sessions:open_spaces", args=[grid.event.slug]))

    assert page_of_a_new_guest.status_code == 200
    assert GUEST not in page_of_a_new_guest.cookies  # over the ceiling: no new identity
    assert known.post(url, {"interested": "1"}).status_code == 302
    assert user.post(url, {"interested": "1"}).status_code == 302


@pytest.mark.django_db
def test_sign_ups_per_address_are_limited(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/10m/ip"}
    statuses = []
    for n in range(3):
        response = Client().post(
            reverse("account_signup"),
            {
                "display_name": f"P{n}",
                "email": f"p{n}@example.org",
                "password1": "pw-confnotes-1",
                "password2": "pw-confnotes-1",
            },
        )
        statuses.append(response.status_code)

    assert statuses == [302, 302, 429]
    assert "Too many requests" in response.content.decode()
