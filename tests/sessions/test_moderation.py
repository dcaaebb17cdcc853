"""Organizers lock a note, or archive their event: open editors follow at once."""

import pytest
from allauth.account.models import EmailAddress
from channels.db import database_sync_to_async
from django.db import transaction
from django.test import Client
from django.urls import reverse

from notes.models import Note, NoteUpdate
from sessions import team
from sessions.access import NOTES_ARCHIVED, NOTES_LOCKED
from sessions.board.identity import Actor
from sessions.models import Event, EventRole
from sessions.moderation import event_access_changed
from tests.factories import make_event, make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, room_flushed, session_cookie, stored_text

TEAM_ONLY = "Only this event's organizers and note-takers take notes."


class World:
    """An event that lets guests take notes, its organizer, a talk and an open space."""

    def __init__(self) -> None:
        self.event = make_event(notes_access="guests")
        self.organizer = make_user(username="orga")
        self.event.organizers.add(self.organizer)
        self.talk = make_talk(event=self.event, title="Keynote")
        self.open_space = make_open_space(event=self.event, title="Hallway")
        self.client = Client()
        self.client.force_login(self.organizer)

    def lock(self, *, locked: bool, write: bool = False) -> tuple[int, str]:
        url = reverse("sessions:note_lock", args=[self.event.slug, self.talk.note_id])
        data = {"locked": "true" if locked else "false"} | ({"write": "true"} if write else {})
        response = self.client.post(url, data)
        return response.status_code, response["Location"]


def update_rows(note_id: int) -> int:
    return NoteUpdate.objects.filter(note_id=note_id).count()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_organizers_lock_button_turns_live_editors_read_only_until_unlocked():
    world = await database_sync_to_async(World)()
    note_id = world.talk.note_id
    guest = await LiveClient(note_id, name="Gus").connect()
    await guest.append("Notes so far")
    await room_flushed(note_id)
    rows = await database_sync_to_async(update_rows)(note_id)

    answer = await database_sync_to_async(world.lock)(locked=True, write=True)
    await guest.until(lambda: guest.y.denied)
    await guest.append(" — vandalism")
    await room_flushed(note_id)

    assert answer == (302, f"{world.talk.get_absolute_url()}?write#notes")
    assert guest.y.denied == [NOTES_LOCKED.text]
    assert await stored_text(note_id) == "Notes so far"
    assert await database_sync_to_async(update_rows)(note_id) == rows

    await database_sync_to_async(world.lock)(locked=False)
    await guest.until(lambda: guest.y.granted)
    await guest.pump()
    await guest.send(guest.y.edit(lambda text: text.__delitem__(slice(12, len(text)))))
    await guest.append(", and more")
    await room_flushed(note_id)
    assert await stored_text(note_id) == "Notes so far, and more"
    assert not await database_sync_to_async(lambda: Note.objects.get(pk=note_id).locked)()
    await guest.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_archiving_an_event_turns_the_live_editors_of_all_its_notes_read_only():
    world = await database_sync_to_async(World)()
    talk_note, space_note = world.talk.note_id, world.open_space.note_id
    on_talk = await LiveClient(talk_note, name="Tess").connect()
    on_space = await LiveClient(space_note, name="Sam").connect()
    await on_talk.append("Talk notes")
    await on_space.append("Open space notes")
    for note_id in (talk_note, space_note):
        await room_flushed(note_id)

    def archive() -> None:
        with transaction.atomic():
            Event.objects.filter(pk=world.event.pk).update(archived=True)
            event_access_changed(event=world.event)

    await database_sync_to_async(archive)()
    for client in (on_talk, on_space):
        await client.until(lambda c=client: c.y.denied)
        await client.append(" (after the archive)")
    for note_id in (talk_note, space_note):
        await room_flushed(note_id)

    assert (on_talk.y.denied, on_space.y.denied) == ([NOTES_ARCHIVED.text], [NOTES_ARCHIVED.text])
    assert (await stored_text(talk_note), await stored_text(space_note)) == (
        "Talk notes",
        "Open space notes",
    )
    for client in (on_talk, on_space):
        await client.disconnect()


@pytest.mark.django_db
def test_the_note_page_offers_organizers_to_lock_and_then_to_unlock():
    world = World()
    page = world.talk.get_absolute_url() + "?write"

    before = world.client.get(page).content.decode()
    world.lock(locked=True, write=True)
    after = world.client.get(page).content.decode()
    guest_view = Client().get(page).content.decode()

    assert 'name="locked" value="true"' in before
    assert ">Lock notes</button>" in before
    assert 'name="locked" value="false"' in after
    assert ">Unlock notes</button>" in after
    assert f'<p class="meta" id="notes-read-only-reason">{NOTES_LOCKED.text}</p>' in after
    assert 'data-can-write="false"' in guest_view
    assert 'id="notes-lock-form"' not in guest_view


@pytest.mark.django_db
def test_a_note_of_another_event_cannot_be_locked_through_this_one():
    world = World()
    other = make_talk(event=make_event())
    url = reverse("sessions:note_lock", args=[world.event.slug, other.note_id])

    response = world.client.post(url, {"locked": "true"})

    assert (response.status_code, Note.objects.get(pk=other.note_id).locked) == (404, False)


@pytest.mark.django_db
def test_locking_needs_a_post_with_the_csrf_token():
    world = World()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.organizer)
    url = reverse("sessions:note_lock", args=[world.event.slug, world.talk.note_id])

    answers = (strict.get(url).status_code, strict.post(url, {"locked": "true"}).status_code)

    assert (answers, Note.objects.get(pk=world.talk.note_id).locked) == ((405, 403), False)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_archiving_in_the_admin_reaches_open_editors():
    world = await database_sync_to_async(World)()
    note_id = world.talk.note_id
    editor = await LiveClient(note_id, name="Eve").connect()

    def archive_in_the_admin() -> int:
        admin = make_user(username="admin", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(admin)
        event = world.event
        data = {
            "name": event.name,
            "slug": event.slug,
            "start_date": event.start_date.isoformat(),
            "end_date": event.end_date.isoformat(),
            "timezone": event.timezone,
            "visibility": event.visibility,
            "notes_access": event.notes_access,
            "archived": "on",
            "open_space_placement": event.open_space_placement,
            "proposals_open": "on",
            "rooms-TOTAL_FORMS": "0",
            "rooms-INITIAL_FORMS": "0",
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
        }
        return client.post(f"/admin/conf_sessions/event/{event.pk}/change/", data).status_code

    status = await database_sync_to_async(archive_in_the_admin)()
    await editor.until(lambda: editor.y.denied)

    assert (status, editor.y.denied) == (302, [NOTES_ARCHIVED.text])
    await editor.disconnect()


# --- The organizers' pages: event settings and team -------------------------------------


def settings_form(event: Event, **changes) -> dict:
    """The event settings form as the page sends it, with `changes`."""
    data = {
        "name": event.name,
        "slug": event.slug,
        "start_date": event.start_date.isoformat(),
        "end_date": event.end_date.isoformat(),
        "timezone": event.timezone,
        "visibility": event.visibility,
        "notes_access": event.notes_access,
        "open_space_placement": event.open_space_placement,
        "proposals_open": "on",
    }
    return data | changes


async def written_then_refused(client: LiveClient, note_id: int, change) -> tuple:
    """What `client` wrote before `change` (a function run in a thread) is stored, and
    what it writes after is not: (the reasons it was told, the stored text, whether the
    note's update log grew after the change)."""
    await client.append("Notes so far")
    await room_flushed(note_id)
    rows = await database_sync_to_async(update_rows)(note_id)
    await database_sync_to_async(change)()
    await client.until(lambda: client.y.denied)
    await client.append(" — written after the change")
    await room_flushed(note_id)
    grew = await database_sync_to_async(update_rows)(note_id) != rows
    return client.y.denied, await stored_text(note_id), grew


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"archived": "on"}, NOTES_ARCHIVED.text),
        ({"notes_access": "users"}, "Sign in to take notes."),
        ({"notes_access": "team"}, TEAM_ONLY),
    ],
    ids=["archived", "signed-in users only", "team only"],
)
async def test_the_event_settings_page_turns_a_guests_live_editor_read_only(changes, reason):
    world = await database_sync_to_async(World)()
    note_id = world.talk.note_id
    guest = await LiveClient(note_id, name="Gus").connect()
    url = reverse("sessions:event_settings", args=[world.event.slug])

    def save_settings() -> None:
        response = world.client.post(url, settings_form(world.event, **changes))
        assert (response.status_code, response["Location"]) == (302, url)

    seen = await written_then_refused(guest, note_id, save_settings)

    assert seen == ([reason], "Notes so far", False)
    await guest.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_removing_a_note_taker_from_the_team_turns_their_live_editor_read_only():
    world = await database_sync_to_async(World)()
    await database_sync_to_async(
        lambda: Event.objects.filter(pk=world.event.pk).update(notes_access="team")
    )()
    note_taker = await database_sync_to_async(make_user)(username="nt", first_name="Nat")
    role = await database_sync_to_async(EventRole.objects.create)(
        event=world.event, user=note_taker, role=EventRole.Role.NOTE_TAKER
    )
    note_id = world.talk.note_id
    editor = await LiveClient(note_id, cookie=await session_cookie(note_taker)).connect()
    url = reverse("sessions:team_remove", args=[world.event.slug, role.pk])

    def remove() -> None:
        response = world.client.post(url)
        assert response.status_code == 302

    seen = await written_then_refused(editor, note_id, remove)

    assert seen == ([TEAM_ONLY], "Notes so far", False)
    await editor.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_joining_the_team_by_invitation_makes_a_live_editor_writable():
    world = await database_sync_to_async(World)()
    await database_sync_to_async(
        lambda: Event.objects.filter(pk=world.event.pk).update(notes_access="team")
    )()
    user = await database_sync_to_async(make_user)(username="nat", email="nat@example.org")
    await database_sync_to_async(EmailAddress.objects.create)(
        user=user, email="nat@example.org", verified=True, primary=True
    )
    note_id = world.talk.note_id
    # Read-only at first (the page says why; the socket says so at the first refused edit).
    editor = await LiveClient(note_id, cookie=await session_cookie(user)).connect()

    def join() -> None:
        invite = team.invite_create(
            actor=Actor(user=world.organizer),
            event=world.event,
            email="nat@example.org",
            role=EventRole.Role.NOTE_TAKER,
            site="http://testserver",
        )
        team.invite_accept(token=team.invite_token(invite), user=user)

    await database_sync_to_async(join)()
    await editor.until(lambda: editor.y.granted)
    await editor.append("Taken by the team")
    await room_flushed(note_id)

    assert (editor.y.denied, editor.y.granted) == ([], 1)
    assert await stored_text(note_id) == "Taken by the team"
    await editor.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_removing_a_note_taker_in_the_admin_reaches_their_live_editor():
    world = await database_sync_to_async(World)()
    await database_sync_to_async(
        lambda: Event.objects.filter(pk=world.event.pk).update(notes_access="team")
    )()
    note_taker = await database_sync_to_async(make_user)(username="nt")
    role = await database_sync_to_async(EventRole.objects.create)(
        event=world.event, user=note_taker, role=EventRole.Role.NOTE_TAKER
    )
    note_id = world.talk.note_id
    editor = await LiveClient(note_id, cookie=await session_cookie(note_taker)).connect()

    def delete_in_the_admin() -> None:
        admin = make_user(username="admin", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(admin)
        url = f"/admin/conf_sessions/eventrole/{role.pk}/delete/"
        assert client.post(url, {"post": "yes"}).status_code == 302

    seen = await written_then_refused(editor, note_id, delete_in_the_admin)

    assert seen == ([TEAM_ONLY], "Notes so far", False)
    await editor.disconnect()
