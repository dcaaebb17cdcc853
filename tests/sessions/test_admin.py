import pytest
from django.test import Client

from sessions.models import Event, Talk
from tests.factories import make_event, make_room, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    make_user(username="boss", password="pw-confnotes-1", is_staff=True, is_superuser=True)
    client.login(username="boss", password="pw-confnotes-1")
    return client


def test_admin_talk_with_end_before_start_shows_field_error_and_saves_nothing(admin_client):
    event = make_event(slug="adm")

    response = admin_client.post(
        "/admin/conf_sessions/talk/add/",
        {
            "event": event.pk,
            "title": "Backwards",
            "slug": "",
            "kind": "talk",
            "speakers": "",
            "abstract": "",
            "room": "",
            "start_0": "2026-06-10",
            "start_1": "10:00",
            "end_0": "2026-06-10",
            "end_1": "09:00",
        },
    )

    assert response.status_code == 200
    assert "The talk must end after it starts." in response.content.decode()
    assert Talk.objects.count() == 0


def test_admin_talk_in_a_room_of_another_event_is_refused(admin_client):
    event, other = make_event(slug="adm"), make_event(slug="other")
    foreign_room = make_room(event=other, name="Foreign")

    response = admin_client.post(
        "/admin/conf_sessions/talk/add/",
        {"event": event.pk, "title": "Wrong room", "kind": "talk", "room": foreign_room.pk},
    )

    assert "This room belongs to another event." in response.content.decode()
    assert Talk.objects.count() == 0


def test_admin_event_with_rooms_inline_saves_everything_or_nothing(admin_client):
    data = {
        "name": "Inline Conf",
        "slug": "inline-conf",
        "start_date": "2026-06-10",
        "end_date": "2026-06-09",  # invalid: before the start
        "timezone": "Europe/Paris",
        "visibility": "public",
        "notes_access": "users",
        "open_space_placement": "organizers",
        "proposals_open": "on",
        "rooms-TOTAL_FORMS": "1",
        "rooms-INITIAL_FORMS": "0",
        "rooms-0-name": "Atlas",
        "rooms-0-capacity": "40",
        "rooms-0-position": "0",
        "slots-TOTAL_FORMS": "0",
        "slots-INITIAL_FORMS": "0",
    }

    response = admin_client.post("/admin/conf_sessions/event/add/", data)

    assert response.status_code == 200
    assert Event.objects.count() == 0
    assert response.context["adminform"].form.errors["end_date"] == [
        "The event must end on or after its first day."
    ]
    assert response.context["inline_admin_formsets"][0].formset.is_valid()

    data["end_date"] = "2026-06-11"
    response = admin_client.post("/admin/conf_sessions/event/add/", data)

    assert response.status_code == 302
    event = Event.objects.get(slug="inline-conf")
    assert [(r.name, r.capacity) for r in event.rooms.all()] == [("Atlas", 40)]


def test_admin_changelists_search_and_filter(admin_client):
    event = make_event(name="Searchable Conf", slug="searchable")
    Talk.objects.create(event=event, title="Needle in a haystack", speakers="Finder")

    Talk.objects.create(event=event, title="Other talk")

    talks = admin_client.get("/admin/conf_sessions/talk/?q=needle")
    by_kind = admin_client.get("/admin/conf_sessions/talk/?kind__exact=keynote")
    events = admin_client.get("/admin/conf_sessions/event/?q=searchable")

    assert [t.title for t in talks.context["cl"].result_list] == ["Needle in a haystack"]
    assert list(by_kind.context["cl"].result_list) == []
    assert [e.name for e in events.context["cl"].result_list] == ["Searchable Conf"]


def test_admin_staff_organizer_sees_only_their_events_and_talks(client: Client):
    from django.contrib.auth.models import Permission

    organizer = make_user(username="orga", password="pw-confnotes-1", is_staff=True)
    organizer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="conf_sessions")
    )
    mine, theirs = make_event(name="Mine", slug="mine"), make_event(name="Theirs", slug="theirs")
    mine.organizers.add(organizer)
    Talk.objects.create(event=mine, title="My talk")
    Talk.objects.create(event=theirs, title="Their talk")
    client.login(username="orga", password="pw-confnotes-1")

    events = client.get("/admin/conf_sessions/event/")
    talks = client.get("/admin/conf_sessions/talk/")
    foreign = client.get(f"/admin/conf_sessions/event/{theirs.pk}/change/")
    add_form = client.get("/admin/conf_sessions/talk/add/")

    assert [e.name for e in events.context["cl"].result_list] == ["Mine"]
    assert [t.title for t in talks.context["cl"].result_list] == ["My talk"]
    assert foreign.status_code == 302  # Django redirects a missing object to the changelist
    assert list(add_form.context["adminform"].form.fields["event"].queryset) == [mine]


def test_admin_note_edit_goes_through_the_live_document(admin_client):
    from notes.models import Note
    from notes.services import note_text

    talk = Talk.objects.create(event=make_event(slug="adm-note"), title="Noted")
    admin_client.post(f"/admin/notes/note/{talk.note_id}/change/", _note_form("- first"))

    response = admin_client.post(
        f"/admin/notes/note/{talk.note_id}/change/", _note_form("- second")
    )

    assert response.status_code == 302
    note = Note.objects.get(pk=talk.note_id)
    assert note.markdown == "- second"
    assert note_text(note=note) == "- second"
    assert list(note.revisions.values_list("markdown", flat=True)) == ["- first"]


def _note_form(markdown: str) -> dict:
    return {
        "markdown": markdown,
        "contributors-TOTAL_FORMS": "0",
        "contributors-INITIAL_FORMS": "0",
    }
