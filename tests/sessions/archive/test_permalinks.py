"""Permalinks never break: renamed talks and moved events answer at their old addresses
with a permanent redirect."""

import pytest
from django.test import Client

from sessions.models import EventOldSlug, Talk, TalkOldSlug
from tests.factories import make_event, make_open_space, make_talk, make_user

pytestmark = pytest.mark.django_db


def moved(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get("Location", "")


@pytest.fixture
def conf():
    event = make_event(name="Conf", slug="conf-2013")
    talk = make_talk(event=event, title="Deploy on Fridays")
    open_space = make_open_space(event=event, title="On-call")
    return event, talk, open_space


# Every page of an event, as (old address, new address) once the event moved from
# conf-2013 to devopsdays-paris-2013; `{os}` is the open space's primary key.
EVENT_PAGES = [
    ("/events/conf-2013/", "/events/devopsdays-paris-2013/"),
    ("/events/conf-2013/read/", "/events/devopsdays-paris-2013/read/"),
    ("/events/conf-2013/schedule.json", "/events/devopsdays-paris-2013/schedule.json"),
    ("/events/conf-2013/schedule.ics", "/events/devopsdays-paris-2013/schedule.ics"),
    ("/events/conf-2013/notes.md", "/events/devopsdays-paris-2013/notes.md"),
    ("/events/conf-2013/notes.org", "/events/devopsdays-paris-2013/notes.org"),
    ("/events/conf-2013/notes.zip", "/events/devopsdays-paris-2013/notes.zip"),
    (
        "/events/conf-2013/talks/deploy-on-fridays/",
        "/events/devopsdays-paris-2013/talks/deploy-on-fridays/",
    ),
    (
        "/events/conf-2013/talks/deploy-on-fridays/notes.md",
        "/events/devopsdays-paris-2013/talks/deploy-on-fridays/notes.md",
    ),
    ("/events/conf-2013/open-spaces/{os}/", "/events/devopsdays-paris-2013/open-spaces/{os}/"),
    (
        "/events/conf-2013/open-spaces/{os}/notes.md",
        "/events/devopsdays-paris-2013/open-spaces/{os}/notes.md",
    ),
    ("/events/conf-2013/open-spaces/", "/events/devopsdays-paris-2013/open-spaces/"),
    ("/events/conf-2013/board/", "/events/devopsdays-paris-2013/board/"),
    ("/events/conf-2013/board/display/", "/events/devopsdays-paris-2013/board/display/"),
]


@pytest.mark.parametrize(("old", "new"), EVENT_PAGES, ids=[old for old, _ in EVENT_PAGES])
def test_moved_event_redirects_every_page(client: Client, conf, old, new):
    event, _, open_space = conf
    event.slug = "devopsdays-paris-2013"
    event.save()

    answer = moved(client, old.format(os=open_space.pk))

    assert answer == (301, new.format(os=open_space.pk))
    assert client.get(answer[1]).status_code == 200


def test_renamed_talk_follows_its_title_and_redirects(client: Client, conf):
    _, talk, _ = conf

    talk.title = "Deploy on any day"
    talk.save()

    assert talk.slug == "deploy-on-any-day"
    assert moved(client, "/events/conf-2013/talks/deploy-on-fridays/") == (
        301,
        "/events/conf-2013/talks/deploy-on-any-day/",
    )
    assert moved(client, "/events/conf-2013/talks/deploy-on-fridays/notes.md") == (
        301,
        "/events/conf-2013/talks/deploy-on-any-day/notes.md",
    )
    assert client.get("/events/conf-2013/talks/deploy-on-any-day/").status_code == 200


def test_renamed_talk_and_moved_event_redirect_in_one_step(client: Client, conf):
    event, talk, _ = conf
    talk.title = "Deploy on any day"
    talk.save()
    event.slug = "dod-2013"
    event.save()
    talk.title = "Deploy whenever"
    talk.save()

    for old in ("deploy-on-fridays", "deploy-on-any-day", "deploy-whenever"):
        assert moved(client, f"/events/conf-2013/talks/{old}/?write") == (
            301,
            "/events/dod-2013/talks/deploy-whenever/?write",
        )


def test_a_hand_set_slug_stays_when_the_title_changes(conf):
    _, talk, _ = conf
    talk.slug = "fridays"
    talk.save()

    talk.title = "Deploy on any day"
    talk.save()

    assert Talk.objects.get(pk=talk.pk).slug == "fridays"
    assert list(TalkOldSlug.objects.values_list("slug", flat=True)) == ["deploy-on-fridays"]


def test_renamed_talk_saved_with_update_fields_moves_too(client: Client, conf):
    # The importer saves only the fields that changed.
    _, talk, _ = conf
    talk = Talk.objects.get(pk=talk.pk)

    talk.title = "Deploy on any day"
    talk.save(update_fields=["title"])

    assert Talk.objects.get(pk=talk.pk).slug == "deploy-on-any-day"
    assert moved(client, "/events/conf-2013/talks/deploy-on-fridays/")[0] == 301


def test_talk_moved_to_another_event_redirects(client: Client, conf):
    _, talk, _ = conf
    other = make_event(slug="other")

    talk.event = other
    talk.save()

    assert moved(client, "/events/conf-2013/talks/deploy-on-fridays/") == (
        301,
        "/events/other/talks/deploy-on-fridays/",
    )


def test_an_old_slug_taken_again_belongs_to_its_new_owner(client: Client, conf):
    event, _, _ = conf
    event.slug = "dod-2013"
    event.save()
    newcomer = make_event(slug="conf-2013", name="Newcomer")

    assert client.get("/events/conf-2013/").context["event"] == newcomer
    newcomer.slug = "newcomer"
    newcomer.save()
    assert moved(client, "/events/conf-2013/") == (301, "/events/newcomer/")
    assert list(EventOldSlug.objects.values_list("slug", "event__slug")) == [
        ("conf-2013", "newcomer")
    ]


def test_moving_back_to_an_old_slug_serves_it_again(client: Client, conf):
    event, _, _ = conf
    event.slug = "dod-2013"
    event.save()

    event.slug = "conf-2013"
    event.save()

    assert client.get("/events/conf-2013/").status_code == 200
    assert moved(client, "/events/dod-2013/") == (301, "/events/conf-2013/")
    assert list(EventOldSlug.objects.values_list("slug", flat=True)) == ["dod-2013"]


def test_what_never_existed_stays_not_found(client: Client, conf):
    event, _, open_space = conf
    event.slug = "dod-2013"
    event.save()

    assert moved(client, "/events/nope/")[0] == 404
    assert moved(client, "/events/conf-2013/talks/nope/")[0] == 404
    assert moved(client, f"/events/dod-2013/open-spaces/{open_space.pk + 100}/")[0] == 404
    assert moved(client, "/speakers/nobody/")[0] == 404
    assert moved(client, "/no/such/page/")[0] == 404


def test_posts_to_an_old_address_are_not_redirected(client: Client, conf):
    event, _, _ = conf
    event.slug = "dod-2013"
    event.save()

    response = client.post("/events/conf-2013/open-spaces/propose/", {"title": "Idea"})

    assert response.status_code == 404


def test_admin_slug_change_keeps_the_old_address(client: Client, conf):
    event, _, _ = conf
    admin = Client()
    admin.force_login(make_user(is_staff=True, is_superuser=True))
    data = {
        "name": "Conf",
        "slug": "renamed-conf",
        "series": "",
        "start_date": "2026-06-10",
        "end_date": "2026-06-11",
        "timezone": "Europe/Paris",
        "visibility": "public",
        "notes_access": "users",
        "open_space_placement": "organizers",
        "proposals_open": "on",
        "rooms-TOTAL_FORMS": "0",
        "rooms-INITIAL_FORMS": "0",
        "slots-TOTAL_FORMS": "0",
        "slots-INITIAL_FORMS": "0",
    }

    response = admin.post(f"/admin/conf_sessions/event/{event.pk}/change/", data)

    assert response.status_code == 302
    assert moved(client, "/events/conf-2013/") == (301, "/events/renamed-conf/")
