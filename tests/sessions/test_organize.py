"""Organizers running an event in the app: creating it, its settings, its talks, its
team (invitations by email link), and hiding proposals."""

import html
import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from sessions.models import Event, EventInvite, EventRole, OpenSpace, Talk
from sessions.team import INVITE_MAX_AGE, INVITE_SALT
from tests.factories import local, make_open_space, make_talk, make_user
from tests.sessions.board.helpers import make_grid

HTMX = {"HX-Request": "true"}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def event_form(**changes) -> dict:
    data = {
        "name": "Ops Days",
        "slug": "ops-days",
        "start_date": "2026-09-01",
        "end_date": "2026-09-02",
        "timezone": "Europe/Paris",
        "venue": "Harbour Hall",
        "description": "Two days of *ops*.",
        "visibility": "public",
        "notes_access": "guests",
        "open_space_placement": "organizers",
        "proposals_open": "on",
    }
    return {**data, **changes}


def text(response) -> str:
    return html.unescape(response.content.decode())


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


# --- Creating an event ------------------------------------------------------------------


@pytest.mark.django_db
def test_any_signed_in_user_creates_an_event_and_organizes_it():
    user = make_user(username="ada")

    response = signed_in(user).post(reverse("sessions:event_create"), event_form())

    event = Event.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("sessions:board_setup", args=["ops-days"]),
    )
    assert (event.name, event.start_date, event.timezone, event.notes_access) == (
        "Ops Days",
        date(2026, 9, 1),
        "Europe/Paris",
        "guests",
    )
    assert list(EventRole.objects.values_list("user_id", "role")) == [(user.pk, "organizer")]


@pytest.mark.django_db
def test_event_creation_asks_visitors_to_sign_in(client):
    response = client.get(reverse("sessions:event_create"))

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={reverse('sessions:event_create')}",
    )


@pytest.mark.django_db
def test_a_setting_restricts_event_creation_to_staff(settings):
    settings.EVENT_CREATION = "staff"

    user = signed_in(make_user(username="u")).post(reverse("sessions:event_create"), event_form())
    staff = signed_in(make_user(username="s", is_staff=True)).post(
        reverse("sessions:event_create"), event_form()
    )

    assert user.status_code == 403
    assert "Only staff may create events on this site." in user.content.decode()
    assert staff.status_code == 302
    assert Event.objects.count() == 1


@pytest.mark.django_db
def test_event_form_errors_show_on_their_fields():
    client = signed_in(make_user(username="ada"))
    make_grid(slug="taken")

    response = client.post(
        reverse("sessions:event_create"),
        event_form(slug="taken", end_date="2026-08-01", timezone="Mars/Olympus"),
    )
    reserved = client.post(reverse("sessions:event_create"), event_form(slug="new"))

    assert response.status_code == 422
    assert field_errors(response, "timezone") == [
        "Select a valid choice. Mars/Olympus is not one of the available choices."
    ]
    fixed_tz = client.post(
        reverse("sessions:event_create"), event_form(slug="taken", end_date="2026-08-01")
    )
    assert fixed_tz.status_code == 422
    assert field_errors(fixed_tz, "slug") == ["Event with this Slug already exists."]
    assert field_errors(fixed_tz, "end_date") == ["The event must end on or after its first day."]
    assert field_errors(reserved, "slug") == ["“new” is reserved; choose another."]
    assert Event.objects.count() == 1


# --- Settings ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_organizers_change_the_events_settings():
    grid = make_grid()
    client = signed_in(grid.organizer.user)
    url = reverse("sessions:event_settings", args=[grid.event.slug])
    data = event_form(
        slug="renamed",
        start_date=grid.event.start_date.isoformat(),
        end_date=grid.event.end_date.isoformat(),
        visibility="unlisted",
        notes_access="team",
        open_space_placement="hosts",
        archived="on",
    )

    page = client.get(url)
    response = client.post(url, data)

    grid.event.refresh_from_db()
    assert page.status_code == 200
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("sessions:event_settings", args=["renamed"]),
    )
    assert (
        grid.event.slug,
        grid.event.visibility,
        grid.event.notes_access,
        grid.event.open_space_placement,
        grid.event.archived,
        grid.event.proposals_open,
    ) == ("renamed", "unlisted", "team", "hosts", True, True)


@pytest.mark.django_db
def test_settings_refuse_dates_that_leave_slots_and_talks_outside():
    grid = make_grid()  # slots on the first day
    make_talk(
        event=grid.event,
        start=local(grid.event, *grid.event.end_date.timetuple()[:3], 9),
        end=local(grid.event, *grid.event.end_date.timetuple()[:3], 10),
    )
    later = grid.event.start_date + timedelta(days=5)
    client = signed_in(grid.organizer.user)

    response = client.post(
        reverse("sessions:event_settings", args=[grid.event.slug]),
        event_form(slug=grid.event.slug, start_date=later.isoformat(), end_date=later.isoformat()),
    )

    grid.event.refresh_from_db()
    assert response.status_code == 422
    assert field_errors(response, "start_date") == [
        "2 open-space slot(s) and 1 talk(s) would fall outside the new dates: move or "
        "delete them first."
    ]
    assert grid.event.start_date != later


@pytest.mark.django_db
def test_settings_are_for_organizers_only(client):
    grid = make_grid()
    url = reverse("sessions:event_settings", args=[grid.event.slug])

    answers = [
        client.get(url)["Location"],
        signed_in(grid.other.user).get(url).status_code,
        signed_in(make_user(username="staff", is_staff=True)).get(url).status_code,
        signed_in(make_user(username="root", is_superuser=True)).get(url).status_code,
    ]

    assert answers == [f"{reverse('account_login')}?next={url}", 403, 403, 200]


# --- Talks --------------------------------------------------------------------------------


def talk_form(grid, **changes) -> dict:
    data = {
        "title": "Keynote",
        "speakers": "Ada Lovelace,  Grace  Hopper",
        "kind": "keynote",
        "room": str(grid.rooms[0].pk),
        "day": grid.event.start_date.isoformat(),
        "start": "09:00",
        "end": "09:45",
        "abstract": "",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_talk_editor_adds_a_talk_with_speakers_kind_room_and_time():
    grid = make_grid()
    client = signed_in(grid.organizer.user)

    response = client.post(
        reverse("sessions:board_talk_create", args=[grid.event.slug]), talk_form(grid), headers=HTMX
    )

    talk = Talk.objects.get()
    assert response.status_code == 200
    assert 'id="setup-talks"' in response.content.decode()
    assert (talk.title, talk.speakers, talk.kind, talk.room, talk.start, talk.end) == (
        "Keynote",
        "Ada Lovelace, Grace Hopper",
        "keynote",
        grid.rooms[0],
        local(grid.event, *grid.event.start_date.timetuple()[:3], 9),
        local(grid.event, *grid.event.start_date.timetuple()[:3], 9, 45),
    )


@pytest.mark.django_db
def test_talk_editor_shows_errors_on_the_fields():
    grid = make_grid()
    make_open_space(event=grid.event, room=grid.rooms[0], slot=grid.slots[0], status="scheduled")
    client = signed_in(grid.organizer.user)
    url = reverse("sessions:board_talk_create", args=[grid.event.slug])

    half = client.post(url, talk_form(grid, end=""))
    backwards = client.post(url, talk_form(grid, start="10:00", end="09:00"))
    outside = client.post(url, talk_form(grid, day="2020-01-01"))
    clash = client.post(url, talk_form(grid, start="14:10", end="14:30"))
    fragment = client.post(url, talk_form(grid, end=""), headers=HTMX)

    def errors(response):
        return response.context["talk_form"].errors

    assert [r.status_code for r in (half, backwards, outside, clash)] == [422] * 4
    assert errors(half) == {"end": ["Give a day, a start and an end, or none of them."]}
    assert errors(backwards) == {"end": ["The talk must end after it starts."]}
    assert errors(outside) == {"day": ["Choose a day of the event."]}
    assert errors(clash)["room"][0].startswith("The open space “")
    assert fragment.status_code == 422
    assert fragment.content.decode().lstrip().startswith('<section id="setup-talks"')
    assert (
        '<ul class="errorlist" id="talk_end_error"><li>Give a day, a start and an end, or none'
        in (fragment.content.decode())
    )
    assert Talk.objects.count() == 0


@pytest.mark.django_db
def test_talk_editor_edits_in_place_and_keeps_talks_with_notes():
    grid = make_grid()
    talk = make_talk(event=grid.event, title="Old")
    noted = make_talk(event=grid.event, title="Noted")
    noted.note.markdown = "- said things"
    noted.note.save()
    client = signed_in(grid.organizer.user)
    slug = grid.event.slug

    edit_form = client.get(reverse("sessions:board_talk_edit", args=[slug, talk.pk]), headers=HTMX)
    saved = client.post(
        reverse("sessions:board_talk_edit", args=[slug, talk.pk]),
        talk_form(grid, title="New", day="", start="", end="", room=""),
        headers=HTMX,
    )
    kept = client.post(reverse("sessions:board_talk_delete", args=[slug, noted.pk]), headers=HTMX)
    gone = client.post(reverse("sessions:board_talk_delete", args=[slug, talk.pk]), headers=HTMX)

    assert edit_form.status_code == 200
    assert f'id="talk-{talk.pk}" class="setup-row setup-row--editing"' in edit_form.content.decode()
    assert saved.status_code == 200
    assert (kept.status_code, gone.status_code) == (409, 200)
    assert "“Noted” has notes; they would be lost." in kept.content.decode()
    assert list(Talk.objects.values_list("title", flat=True)) == ["Noted"]


# --- Team ---------------------------------------------------------------------------------


def invite_link() -> str:
    return re.search(r"https?://[^/\s]+(/invites/\S+/)", mail.outbox[-1].body).group(1)


def verified(username: str, email: str):
    user = make_user(username=username, email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.mark.django_db(transaction=True)
def test_an_invited_note_taker_joins_by_the_emailed_link():
    grid = make_grid(name="Ops Days")
    organizer = signed_in(grid.organizer.user)

    response = organizer.post(
        reverse("sessions:team_invite", args=[grid.event.slug]),
        {"email": "Nora@Example.org", "role": "note_taker"},
    )
    link = invite_link()
    nora = signed_in(verified("nora", "nora@example.org"))
    page = nora.get(link)
    joined = nora.post(link)
    again = nora.post(link)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("sessions:team", args=[grid.event.slug]),
    )
    assert mail.outbox[-1].to == ["nora@example.org"]
    assert mail.outbox[-1].subject == "[Confnotes] Join the team of Ops Days"
    assert "Join as note-taker" in page.content.decode()
    assert (joined.status_code, joined["Location"]) == (302, grid.event.get_absolute_url())
    roles = EventRole.objects.filter(event=grid.event).values_list("user__username", "role")
    assert sorted(roles) == [("nora", "note_taker"), (grid.organizer.user.username, "organizer")]
    assert again.status_code == 410
    assert "This invitation was already used." in again.content.decode()


@pytest.mark.django_db(transaction=True)
def test_only_the_invited_verified_address_accepts():
    grid = make_grid()
    signed_in(grid.organizer.user).post(
        reverse("sessions:team_invite", args=[grid.event.slug]),
        {"email": "nora@example.org", "role": "organizer"},
    )
    link = invite_link()

    anonymous = Client().get(link)
    stranger = signed_in(verified("eve", "eve@example.org")).post(link)

    assert anonymous.status_code == 200
    assert "Sign in (or sign up) to accept this invitation." in anonymous.content.decode()
    assert stranger.status_code == 403
    assert "This invitation is for nora@example.org." in stranger.content.decode()
    assert not EventRole.objects.filter(role="organizer").exclude(user=grid.organizer.user)


@pytest.mark.django_db
def test_expired_forged_and_withdrawn_invitations_do_not_work(client, monkeypatch):
    grid = make_grid()
    invite = EventInvite.objects.create(event=grid.event, email="n@example.org", role="organizer")
    token = signing.dumps({"invite": invite.pk, "email": invite.email}, salt=INVITE_SALT)
    forged = signing.dumps({"invite": invite.pk, "email": invite.email}, salt="other")
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + INVITE_MAX_AGE + 10)
    expired = client.get(reverse("sessions:invite", args=[token]))
    monkeypatch.setattr(signing.time, "time", real_time)
    bad = client.get(reverse("sessions:invite", args=[forged]))
    invite.delete()
    withdrawn = client.get(reverse("sessions:invite", args=[token]))

    def message(response):
        return re.search(r'id="invite-invalid">(.*?)</p>', response.content.decode()).group(1)

    assert [r.status_code for r in (expired, bad, withdrawn)] == [410, 410, 410]
    assert [message(r) for r in (expired, bad, withdrawn)] == [
        "This invitation has expired: ask for a new one.",
        "This is not a valid invitation link.",
        "This invitation was withdrawn: ask for a new one.",
    ]


@pytest.mark.django_db
def test_organizers_remove_members_but_never_the_last_organizer():
    grid = make_grid()
    note_taker = make_user(username="nt")
    role = EventRole.objects.create(event=grid.event, user=note_taker, role="note_taker")
    organizer_role = EventRole.objects.get(user=grid.organizer.user)
    client = signed_in(grid.organizer.user)
    slug = grid.event.slug

    removed = client.post(reverse("sessions:team_remove", args=[slug, role.pk]), headers=HTMX)
    last = client.post(
        reverse("sessions:team_remove", args=[slug, organizer_role.pk]), headers=HTMX
    )

    assert removed.status_code == 200
    assert "is no longer in the team." in removed.content.decode()
    assert last.status_code == 409
    assert "This is the event's only organizer: invite another organizer first." in text(last)
    assert list(EventRole.objects.values_list("user_id", flat=True)) == [grid.organizer.user.pk]


@pytest.mark.django_db
def test_inviting_someone_already_in_the_team_is_refused_on_the_field():
    grid = make_grid()
    verified_member = verified("nt", "nt@example.org")
    EventRole.objects.create(event=grid.event, user=verified_member, role="organizer")

    response = signed_in(grid.organizer.user).post(
        reverse("sessions:team_invite", args=[grid.event.slug]),
        {"email": "nt@example.org", "role": "note_taker"},
    )

    assert response.status_code == 422
    assert response.context["invite_form"].errors == {
        "email": ["nt@example.org is already in the team (Organizer)."]
    }
    assert EventInvite.objects.count() == 0


# --- Moderation -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_organizers_hide_a_proposal_from_everyone_else():
    grid = make_grid()
    spam = make_open_space(
        event=grid.event,
        title="Buy now",
        room=grid.rooms[0],
        slot=grid.slots[0],
        status="scheduled",
    )
    organizer, visitor = signed_in(grid.organizer.user), Client()
    market = reverse("sessions:open_spaces", args=[grid.event.slug])

    hidden = organizer.post(reverse("sessions:open_space_hide", args=[grid.event.slug, spam.pk]))

    spam.refresh_from_db()
    assert (hidden.status_code, hidden["Location"]) == (302, market)
    assert (spam.hidden, spam.room_id, spam.slot_id, spam.status) == (True, None, None, "proposed")
    assert "Buy now" not in visitor.get(market).content.decode()
    assert (
        "Buy now"
        not in visitor.get(reverse("sessions:board", args=[grid.event.slug])).content.decode()
    )
    assert visitor.get(spam.get_absolute_url()).status_code == 404
    assert 'id="hidden-proposals"' in organizer.get(market).content.decode()
    assert organizer.get(spam.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_only_organizers_hide_and_show_again():
    grid = make_grid()
    topic = make_open_space(event=grid.event, host_user=grid.host.user)
    url = reverse("sessions:open_space_hide", args=[grid.event.slug, topic.pk])

    by_host = signed_in(grid.host.user).post(url)
    hidden = signed_in(grid.organizer.user).post(url, {"hidden": "1"})
    shown = signed_in(grid.organizer.user).post(url, {"hidden": "0"})

    topic.refresh_from_db()
    assert (by_host.status_code, hidden.status_code, shown.status_code) == (403, 302, 302)
    assert OpenSpace.objects.get(pk=topic.pk).hidden is False
