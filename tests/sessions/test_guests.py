"""A guest who signs in becomes their account: votes (never twice), proposals, and the
notes their browser wrote in (credited to the account, never twice)."""

import pytest
from allauth.account.models import EmailAddress
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from notes.models import NoteContributor
from notes.persistence import record_contributor
from notes.selectors import note_contributor_names
from sessions.board.identity import GUEST_COOKIE, Actor, guest_key_from_cookie
from sessions.board.services import interest_toggle
from sessions.guests import guest_merge
from sessions.models import Interest, OpenSpace
from tests.factories import make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, room_flushed
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


def contributors(note_id: int) -> list[tuple]:
    rows = NoteContributor.objects.filter(note_id=note_id).order_by("pk")
    return list(rows.values_list("user_id", "name", "guest_key"))


@pytest.mark.django_db
def test_merge_credits_only_what_the_guests_browser_wrote():
    grid = make_grid()
    mine, elsewhere = make_talk(event=grid.event), make_talk(event=grid.event)
    user = make_user(username="ada", first_name="Ada Lovelace")
    record_contributor(note_id=mine.note_id, user_id=None, name="Al", guest_key="key-1")
    record_contributor(note_id=mine.note_id, user_id=None, name="Bob", guest_key="key-2")
    # Another browser that also calls itself Al: not the same person.
    record_contributor(note_id=elsewhere.note_id, user_id=None, name="Al", guest_key="key-3")

    merged = guest_merge(guest_key="key-1", user=user)

    assert merged.contributions == 1
    assert contributors(mine.note_id) == [(user.pk, "Ada Lovelace", ""), (None, "Bob", "key-2")]
    assert contributors(elsewhere.note_id) == [(None, "Al", "key-3")]
    assert note_contributor_names(note=mine.note) == ["Ada Lovelace", "Bob (guest)"]


@pytest.mark.django_db
def test_an_account_that_also_wrote_as_a_guest_is_listed_once():
    grid = make_grid()
    talk = make_talk(event=grid.event)
    user = make_user(username="ada", first_name="Ada")
    record_contributor(note_id=talk.note_id, user_id=user.pk, name="Ada")
    record_contributor(note_id=talk.note_id, user_id=None, name="ada (phone)", guest_key="k1")
    record_contributor(note_id=talk.note_id, user_id=None, name="ada (tablet)", guest_key="k1")

    merged = guest_merge(guest_key="k1", user=user)

    assert (merged.contributions, contributors(talk.note_id)) == (0, [(user.pk, "Ada", "")])
    assert note_contributor_names(note=talk.note) == ["Ada"]


@pytest.mark.django_db
def test_a_guest_named_like_an_account_stays_a_guest_after_the_account_signs_in():
    grid = make_grid()
    talk = make_talk(event=grid.event)
    olga = make_user(username="olga", first_name="Olga")
    record_contributor(note_id=talk.note_id, user_id=olga.pk, name="Olga")
    record_contributor(note_id=talk.note_id, user_id=None, name="Olga", guest_key="not-olga")

    guest_merge(guest_key="olgas-own-browser", user=olga)

    assert note_contributor_names(note=talk.note) == ["Olga", "Olga (guest)"]


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
async def test_notes_written_as_a_guest_are_the_accounts_after_signing_in():
    """End to end: a guest browser writes on the notes socket, then signs in from the
    same browser; the note credits the account, once, under its name."""
    grid = await database_sync_to_async(make_grid)(notes_access="guests")
    talk = await database_sync_to_async(make_talk)(event=grid.event)
    ada = await database_sync_to_async(verified_user)(
        username="ada", email="ada@example.org", first_name="Ada Lovelace"
    )
    browser, key = await database_sync_to_async(guest_browser)(grid.event)
    cookie = f"{GUEST_COOKIE}={browser.cookies[GUEST_COOKIE].value}".encode()
    other_browser, other_key = await database_sync_to_async(guest_browser)(grid.event)
    other_cookie = f"{GUEST_COOKIE}={other_browser.cookies[GUEST_COOKIE].value}".encode()
    guest = await LiveClient(talk.note_id, name="Al the guest", cookie=cookie).connect()
    stranger = await LiveClient(talk.note_id, name="Ada Lovelace", cookie=other_cookie).connect()
    await guest.append("from the guest ")
    await stranger.until(lambda: "guest" in stranger.text)
    await stranger.append("from a stranger")
    await room_flushed(talk.note_id)
    await guest.disconnect()
    await stranger.disconnect()
    before = await database_sync_to_async(contributors)(talk.note_id)

    signed_in = await database_sync_to_async(browser.post)(
        reverse("account_login"), {"login": "ada", "password": PASSWORD}
    )

    after = await database_sync_to_async(contributors)(talk.note_id)
    names = await database_sync_to_async(note_contributor_names)(note=talk.note)
    assert signed_in.status_code == 302
    assert before == [(None, "Al the guest", key), (None, "Ada Lovelace", other_key)]
    assert after == [(ada.pk, "Ada Lovelace", ""), (None, "Ada Lovelace", other_key)]
    assert names == ["Ada Lovelace", "Ada Lovelace (guest)"]
