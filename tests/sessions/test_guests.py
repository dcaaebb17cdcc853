"""A guest who signs in becomes their account: votes (never twice), proposals, and the
names their notes were credited under."""

import pytest
from allauth.account.models import EmailAddress
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from notes.models import NoteContributor
from notes.selectors import note_contributor_names
from sessions.board.identity import GUEST_COOKIE, Actor, guest_key_from_cookie
from sessions.board.services import interest_toggle
from sessions.guests import guest_merge, guest_name_remember
from sessions.models import GuestNoteName, Interest, OpenSpace
from tests.factories import make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, eventually
from tests.sessions.board.helpers import make_grid

PASSWORD = "pw-confnotes-1"


def guest_browser(event) -> tuple[Client, str]:
    """A browser the marketplace has made a guest: its client and its key."""
    client = Client()
    client.get(reverse("sessions:open_spaces", args=[event.slug]))
    return client, guest_key_from_cookie(client.cookies[GUEST_COOKIE].value)


def verified_user(*, username: str, email: str, **extra):
    user = make_user(username=username, email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.mark.django_db
def test_signing_in_merges_votes_without_counting_anyone_twice():
    grid = make_grid()
    both, only_guest = (make_open_space(event=grid.event) for _ in range(2))
    ada = verified_user(username="ada", email="ada@example.org", first_name="Ada")
    interest_toggle(actor=Actor(user=ada), open_space=both, interested=True)
    browser, _ = guest_browser(grid.event)
    for topic in (both, only_guest):
        url = reverse("sessions:open_space_interest", args=[grid.event.slug, topic.pk])
        assert browser.post(url, {"interested": "1"}).status_code == 302

    response = browser.post(reverse("account_login"), {"login": "ada", "password": PASSWORD})

    assert response.status_code == 302
    votes = sorted(Interest.objects.values_list("open_space_id", "user_id", "guest_key"))
    assert votes == sorted([(both.pk, ada.pk, ""), (only_guest.pk, ada.pk, "")])


@pytest.mark.django_db
def test_signing_in_makes_the_guests_proposals_the_accounts():
    grid = make_grid()
    browser, _ = guest_browser(grid.event)
    browser.post(
        reverse("sessions:open_space_propose", args=[grid.event.slug]),
        {"title": "Pairing", "host": "Ada"},
    )
    ada = verified_user(username="ada", email="ada@example.org")

    browser.post(reverse("account_login"), {"login": "ada@example.org", "password": PASSWORD})

    topic = OpenSpace.objects.get(title="Pairing")
    assert (topic.host_user_id, topic.host_key, topic.host) == (ada.pk, "", "Ada")


@pytest.mark.django_db
def test_merge_credits_only_the_names_the_guest_wrote_under_where_it_wrote():
    grid = make_grid()
    mine, elsewhere = make_talk(event=grid.event), make_talk(event=grid.event)
    user = make_user(username="ada", first_name="Ada Lovelace")
    guest_name_remember(guest_key="key-1", note_id=mine.note_id, name="Al")
    NoteContributor.objects.create(note_id=mine.note_id, name="Al")
    NoteContributor.objects.create(note_id=mine.note_id, name="Bob")
    NoteContributor.objects.create(note_id=elsewhere.note_id, name="Al")  # another Al

    merged = guest_merge(guest_key="key-1", user=user)

    credited = NoteContributor.objects.filter(user=user).values_list("note_id", "name")
    assert merged.contributions == 1
    assert list(credited) == [(mine.note_id, "Al")]
    assert note_contributor_names(note=mine.note) == ["Ada Lovelace", "Bob"]
    assert GuestNoteName.objects.count() == 0


@pytest.mark.django_db
def test_an_account_that_wrote_under_two_names_is_listed_once():
    grid = make_grid()
    talk = make_talk(event=grid.event)
    user = make_user(username="ada", first_name="Ada")
    NoteContributor.objects.create(note_id=talk.note_id, name="Ada", user=user)
    guest_name_remember(guest_key="key-1", note_id=talk.note_id, name="ada (phone)")
    NoteContributor.objects.create(note_id=talk.note_id, name="ada (phone)")

    guest_merge(guest_key="key-1", user=user)

    assert note_contributor_names(note=talk.note) == ["Ada"]


@pytest.mark.django_db
def test_merge_without_a_guest_key_changes_nothing():
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    interest_toggle(actor=grid.guest, open_space=topic, interested=True)

    merged = guest_merge(guest_key="", user=grid.other.user)

    assert (merged.board.interests, merged.board.hosted, merged.contributions) == (0, 0, 0)
    assert Interest.objects.get().guest_key == grid.guest.guest_key


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_notes_socket_remembers_the_name_a_guest_writes_under():
    grid = await database_sync_to_async(make_grid)(notes_access="guests")
    talk = await database_sync_to_async(make_talk)(event=grid.event)
    browser, key = await database_sync_to_async(guest_browser)(grid.event)
    cookie = f"{GUEST_COOKIE}={browser.cookies[GUEST_COOKIE].value}".encode()
    client = LiveClient(talk.note_id, name="Al the guest", cookie=cookie)

    await client.connect()

    names = database_sync_to_async(
        lambda: list(GuestNoteName.objects.values_list("guest_key", "note_id", "name"))
    )
    assert await eventually(names) == [(key, talk.note_id, "Al the guest")]
    await client.disconnect()
