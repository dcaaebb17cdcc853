import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions.models import Event, OpenSpace, Talk
from tests.factories import (
    local,
    make_event,
    make_open_space,
    make_room,
    make_slot,
    make_talk,
    make_user,
)

pytestmark = pytest.mark.django_db


def titles_in(html: str, css_class: str = "event-card") -> list[str]:
    """Texts of the links inside <h3> of event cards, in page order."""
    return re.findall(r'<li class="card event-card"[^>]*>\s*<h3><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def known_event():
    """A two-day event in Paris with three rooms, talks and a placed open space."""
    event = make_event(
        name="Known Conf",
        slug="known-conf",
        venue="Le Centre",
        description="All about *knowing*.",
        start_date=date(2026, 6, 10),
        end_date=date(2026, 6, 11),
        timezone="Europe/Paris",
    )
    main = make_room(event=event, name="Main", position=0)
    side = make_room(event=event, name="Side", position=1)
    make_room(event=event, name="Lab", position=2)
    make_talk(
        event=event,
        title="Opening Keynote",
        kind=Talk.Kind.KEYNOTE,
        speakers="Ada Lovelace",
        room=main,
        start=local(event, 2026, 6, 10, 9, 0),
        end=local(event, 2026, 6, 10, 9, 45),
        abstract="Why we **gather**.",
    )
    make_talk(
        event=event,
        title="Side Story",
        speakers="Bob, Carol",
        room=side,
        start=local(event, 2026, 6, 10, 10, 0),
        end=local(event, 2026, 6, 10, 10, 40),
    )
    make_talk(
        event=event,
        title="Main Event",
        speakers="Dan",
        room=main,
        start=local(event, 2026, 6, 10, 10, 0),
        end=local(event, 2026, 6, 10, 10, 40),
    )
    make_talk(
        event=event,
        title="Day Two Talk",
        room=side,
        start=local(event, 2026, 6, 11, 14, 0),
        end=local(event, 2026, 6, 11, 14, 30),
    )
    slot = make_slot(
        event=event, start=local(event, 2026, 6, 11, 15, 0), end=local(event, 2026, 6, 11, 15, 45)
    )
    make_open_space(
        event=event,
        title="Pagers and Sleep",
        host="Erin",
        room=side,
        slot=slot,
        status=OpenSpace.Status.SCHEDULED,
    )
    make_talk(event=event, title="Unscheduled Musings")
    return event


def test_home_lists_events_by_period_in_order(client: Client):
    today = timezone.localdate()
    make_event(
        name="Past B", start_date=today - timedelta(days=40), end_date=today - timedelta(days=39)
    )
    make_event(
        name="Past A", start_date=today - timedelta(days=10), end_date=today - timedelta(days=9)
    )
    make_event(
        name="Now Conf", start_date=today - timedelta(days=1), end_date=today + timedelta(days=1)
    )
    make_event(
        name="Later", start_date=today + timedelta(days=30), end_date=today + timedelta(days=31)
    )
    make_event(
        name="Sooner", start_date=today + timedelta(days=5), end_date=today + timedelta(days=5)
    )
    make_event(
        name="Secret Conf",
        visibility=Event.Visibility.UNLISTED,
        start_date=today + timedelta(days=5),
        end_date=today + timedelta(days=5),
    )

    html = client.get("/").content.decode()

    now, upcoming, past = (
        html.split('id="h-now"')[1].split('id="h-upcoming"')[0],
        html.split('id="h-upcoming"')[1].split('id="h-past"')[0],
        html.split('id="h-past"')[1],
    )
    assert titles_in(now) == ["Now Conf"]
    assert titles_in(upcoming) == ["Sooner", "Later"]
    assert titles_in(past) == ["Past A", "Past B"]
    assert "Secret Conf" not in html


def test_home_empty_state_says_what_to_do(client: Client):
    html = client.get("/").content.decode()

    assert "No events yet" in html
    assert "import_notes" in html


def test_unlisted_event_is_reachable_by_url(client: Client):
    make_event(name="Hidden Gem", slug="hidden-gem", visibility=Event.Visibility.UNLISTED)

    response = client.get("/events/hidden-gem/")

    assert response.status_code == 200
    assert "<h1>Hidden Gem" in response.content.decode()


def test_event_page_shows_days_rooms_and_items_in_local_time(client: Client, known_event):
    html = client.get("/events/known-conf/").content.decode()

    assert "<h1>Known Conf" in html
    assert "<em>knowing</em>" in html
    day_one = html.split('id="day-2026-06-10"')[1].split('id="day-2026-06-11"')[0]
    day_two = html.split('id="day-2026-06-11"')[1]
    # Rooms used that day, in room order; times in Europe/Paris (UTC+2 in June).
    table_one = day_one.split("<table")[1].split("</table>")[0]
    assert re.findall(r'class="schedule__room"[^>]*>([^<]+)<', table_one) == ["Main", "Side"]
    assert re.findall(
        r'<th scope="row" class="schedule__time"><time [^>]+>([^<]+)<', table_one
    ) == [
        "09:00",
        "10:00",
    ]
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', table_one) == [
        "Opening Keynote",
        "Main Event",
        "Side Story",
    ]
    table_two = day_two.split("<table")[1].split("</table>")[0]
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', table_two) == [
        "Day Two Talk",
        "Pagers and Sleep",
    ]
    assert "Open space" in table_two
    unscheduled = html.split('id="h-unscheduled"')[1]
    assert "Unscheduled Musings" in unscheduled


def test_event_page_links_each_talk_and_open_space(client: Client, known_event):
    html = client.get("/events/known-conf/").content.decode()
    open_space = OpenSpace.objects.get(title="Pagers and Sleep")

    assert 'href="/events/known-conf/talks/opening-keynote/"' in html
    assert f'href="/events/known-conf/open-spaces/{open_space.pk}/"' in html


def test_event_page_now_next_strip_while_running(client: Client):
    today = timezone.localdate()
    event = make_event(slug="live-now", start_date=today, end_date=today, timezone="UTC")
    now = timezone.now()
    make_talk(
        event=event,
        title="Running Now",
        start=now - timedelta(minutes=10),
        end=now + timedelta(minutes=10),
    )
    make_talk(
        event=event,
        title="Coming Next",
        start=now + timedelta(minutes=20),
        end=now + timedelta(minutes=40),
    )
    make_talk(
        event=event,
        title="Much Later",
        start=now + timedelta(minutes=50),
        end=now + timedelta(minutes=60),
    )
    if not event.covers(now + timedelta(minutes=60)):
        pytest.skip("too close to midnight UTC for a same-day schedule")  # pragma: no cover

    html = client.get("/events/live-now/").content.decode()

    strip = html.split('id="now-next"')[1].split("</section>")[0]
    now_col, next_col = strip.split("<h2>Next</h2>")
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', now_col) == ["Running Now"]
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', next_col) == ["Coming Next"]


def test_event_page_without_schedule_has_empty_state(client: Client):
    make_event(slug="empty-conf")

    html = client.get("/events/empty-conf/").content.decode()

    assert "No schedule yet" in html


def test_talk_page_shows_speakers_time_room_abstract_and_notes(client: Client, known_event):
    talk = Talk.objects.get(title="Opening Keynote")
    talk.note.markdown = "- point one\n  - detail"
    talk.note.save()

    html = client.get("/events/known-conf/talks/opening-keynote/").content.decode()

    assert "<h1>Opening Keynote</h1>" in html
    assert '<p class="meta speakers">Ada Lovelace</p>' in html
    assert "Wednesday 10 June, 09:00</time>–<time" in html
    assert ">09:45</time> · Main</p>" in html
    assert "Why we <strong>gather</strong>." in html
    # Each line carries its anchor, for links to it (the outcomes page).
    assert '<li id="L1">point one\n<ul>\n<li id="L2">detail</li>' in html


def test_talk_page_empty_notes_state(client: Client, known_event):
    html = client.get("/events/known-conf/talks/side-story/").content.decode()

    assert "No notes yet." in html


def test_open_space_page_shows_host_slot_and_room(client: Client, known_event):
    open_space = OpenSpace.objects.get(title="Pagers and Sleep")

    html = client.get(f"/events/known-conf/open-spaces/{open_space.pk}/").content.decode()

    assert "<h1>Pagers and Sleep</h1>" in html
    assert "Hosted by Erin" in html
    assert "Thursday 11 June, 15:00</time>–<time" in html
    assert ">15:45</time> · Side</p>" in html


@pytest.mark.parametrize(
    "url",
    [
        "/events/no-such-event/",
        "/events/known-conf/talks/no-such-talk/",
        "/events/known-conf/open-spaces/999999/",
        "/events/no-such-event/schedule.json",
        "/events/no-such-event/schedule.ics",
    ],
)
def test_unknown_objects_give_styled_404(client: Client, known_event, url: str):
    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Not found</h1>" in html
    assert "Confnotes" in html


def test_open_space_of_another_event_is_404(client: Client, known_event):
    other = make_event(slug="other-conf")
    foreign = make_open_space(event=other, title="Elsewhere")

    response = client.get(f"/events/known-conf/open-spaces/{foreign.pk}/")

    assert response.status_code == 404


def test_event_page_query_count_does_not_grow_with_talks(client: Client, django_assert_num_queries):
    event = make_event(slug="counted")
    room = make_room(event=event, name="R")

    def add_talk(n: int) -> None:
        make_talk(
            event=event,
            title=f"T{n}",
            speakers="S",
            room=room,
            start=local(event, 2026, 6, 10, 9 + n),
            end=local(event, 2026, 6, 10, 9 + n, 30),
        )

    add_talk(0)
    with django_assert_num_queries(4):
        assert client.get("/events/counted/").status_code == 200
    add_talk(1)
    add_talk(2)
    with django_assert_num_queries(4):
        html = client.get("/events/counted/").content.decode()
    assert html.count('class="schedule__item kind--talk"') == 6  # table + list view


def test_xss_in_notes_and_titles_is_inert(client: Client):
    event = make_event(slug="xss-conf", name="<script>alert('event')</script>")
    talk = make_talk(event=event, title='<img src=x onerror="alert(1)">', speakers="<b>bold</b>")
    talk.note.markdown = (
        "<script>alert('note')</script>\n\n"
        "[click](javascript:alert(2))\n\n"
        '<a href="#" onclick="alert(3)">raw</a>\n\n'
        "![img](x onerror=alert(4))"
    )
    talk.note.save()

    html = client.get(talk.get_absolute_url()).content.decode()
    event_html = client.get("/events/xss-conf/").content.decode()

    assert "<script>alert" not in html
    assert """<p id="L1">&lt;script&gt;alert('note')&lt;/script&gt;</p>""" in html
    assert "<img src=x" not in html
    assert 'onerror="alert(1)"' not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="javascript:' not in html
    assert '<p id="L5">&lt;a href="#" onclick="alert(3)"&gt;raw&lt;/a&gt;</p>' in html
    assert '<a href="#" onclick' not in html
    assert "<script>alert('event')" not in event_html


def test_pages_send_a_strict_csp(client: Client, known_event):
    response = client.get("/events/known-conf/")

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp


def test_talk_urls_are_reversible(known_event):
    talk = Talk.objects.get(title="Side Story")

    assert talk.get_absolute_url() == reverse(
        "sessions:talk", kwargs={"slug": "known-conf", "talk_slug": "side-story"}
    )


def test_event_page_now_next_strip_refreshes_as_an_htmx_fragment(client: Client):
    today = timezone.localdate()
    event = make_event(
        slug="live-frag", start_date=today, end_date=today + timedelta(days=1), timezone="UTC"
    )
    now = timezone.now()
    make_talk(
        event=event,
        title="Running Now",
        start=now - timedelta(minutes=5),
        end=now + timedelta(minutes=5),
    )

    response = client.get("/events/live-frag/?part=now-next", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section class="now-next"')
    assert "<h1>" not in html
    assert re.findall(r'<a href="[^"]+">([^<]+)</a>', html) == ["Running Now"]
    assert "HX-Request" in [v.strip() for v in response["Vary"].split(",")]


def test_event_page_has_no_now_next_strip_when_not_running(client: Client, known_event):
    html = client.get("/events/known-conf/").content.decode()

    assert 'id="now-next"' not in html


def test_talk_page_write_view_embeds_the_live_editor_for_a_guest(client: Client, known_event):
    known_event.notes_access = Event.NotesAccess.GUESTS
    known_event.save()
    talk = Talk.objects.get(title="Side Story")

    read = client.get(talk.get_absolute_url()).content.decode()
    write = client.get(talk.get_absolute_url() + "?write").content.decode()

    assert 'id="note-editor"' not in read
    assert (
        f'href="{talk.get_absolute_url()}?write#notes" id="notes-write-link">Take notes</a>' in read
    )
    assert f'data-ws-path="/ws/notes/{talk.note_id}/"' in write
    assert 'data-can-write="true"' in write
    assert 'data-guest="true"' in write
    assert 'id="note-guest-form"' in write


def test_talk_page_write_view_is_read_only_for_anonymous_when_guests_may_not_write(
    client: Client, known_event
):
    talk = Talk.objects.get(title="Side Story")

    read = client.get(talk.get_absolute_url()).content.decode()
    write = client.get(talk.get_absolute_url() + "?write").content.decode()

    assert ">Follow live</a>" in read
    assert 'data-can-write="false"' in write
    assert "to take notes; you are following them live." in write


def test_talk_page_write_view_uses_the_signed_in_name(client: Client, known_event):
    make_user(username="ada", password="pw-confnotes-1", first_name="Ada", last_name="Lovelace")
    client.login(username="ada", password="pw-confnotes-1")
    talk = Talk.objects.get(title="Side Story")

    write = client.get(talk.get_absolute_url() + "?write").content.decode()

    assert 'data-user-name="Ada Lovelace"' in write
    assert 'data-guest="false"' in write
    assert 'data-can-write="true"' in write
    assert 'id="note-guest-form"' not in write


def test_archived_event_notes_are_read_only(client: Client, known_event):
    known_event.archived = True
    known_event.notes_access = Event.NotesAccess.GUESTS
    known_event.save()
    talk = Talk.objects.get(title="Side Story")

    write = client.get(talk.get_absolute_url() + "?write").content.decode()

    assert 'data-can-write="false"' in write
    assert "This event is archived: its notes are read-only." in write


def test_talk_page_write_view_gives_the_editor_the_csp_nonce_of_the_response(
    client: Client, known_event
):
    talk = Talk.objects.get(title="Side Story")

    response = client.get(talk.get_absolute_url() + "?write")

    [nonce] = re.findall(r'data-csp-nonce="([^"]+)"', response.content.decode())
    assert f"style-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert f'<script type="module" src="/static/build/editor.js" nonce="{nonce}">' in (
        response.content.decode()
    )


def test_talk_page_names_the_notes_contributors_in_order(client: Client, known_event):
    from notes.models import NoteContributor

    talk = Talk.objects.get(title="Side Story")
    talk.note.markdown = "- said"
    talk.note.save()
    NoteContributor.objects.create(note=talk.note, name="Zoe <b>")
    # An account is named by its current name, whatever it wrote under.
    NoteContributor.objects.create(note=talk.note, name="Ad", user=make_user(first_name="Adam"))

    html = client.get(talk.get_absolute_url()).content.decode()

    assert (
        '<p class="meta" id="notes-contributors">Written by Zoe &lt;b&gt; (guest), Adam</p>'
    ) in html


def test_a_guest_named_like_an_account_is_listed_as_a_guest(client: Client, known_event):
    from notes.persistence import record_contributor

    talk = Talk.objects.get(title="Side Story")
    talk.note.markdown = "- said"
    talk.note.save()
    organizer = make_user(first_name="Olga", last_name="Organizer")
    record_contributor(note_id=talk.note_id, user_id=organizer.pk, name="Olga Organizer")
    record_contributor(note_id=talk.note_id, user_id=None, name="Olga Organizer", guest_key="k1")

    html = client.get(talk.get_absolute_url()).content.decode()

    assert (
        "Written by Olga Organizer, Olga Organizer (guest)</p>" in html,
        list(talk.note.contributors.values_list("user", "name", "guest_key")),
    ) == (True, [(organizer.pk, "Olga Organizer", ""), (None, "Olga Organizer", "k1")])


def test_talk_page_offers_a_download_instead_of_rendering_hostile_notes(
    client: Client, known_event
):
    talk = Talk.objects.get(title="Side Story")
    hostile = "- " + "[" * 500_000
    talk.note.markdown = hostile
    talk.note.save()

    html = client.get(talk.get_absolute_url()).content.decode()
    download = client.get(reverse("sessions:talk_notes_md", args=["known-conf", "side-story"]))

    assert (
        '<p id="notes-too-large">These notes are too large to show here. '
        '<a href="/events/known-conf/talks/side-story/notes.md" download>'
        "Download them as Markdown</a>.</p>"
    ) in html
    assert "[[[" not in html
    assert hostile in download.content.decode()


def test_the_event_org_export_keeps_hostile_notes_as_markdown_source(client: Client, known_event):
    talk = Talk.objects.get(title="Side Story")
    hostile = "- " + "[" * 500_000 + "\n* not an Org heading"
    talk.note.markdown = hostile
    talk.note.save()

    org = client.get(reverse("sessions:event_notes_org", args=["known-conf"])).content.decode()

    block = "#+BEGIN_SRC markdown\n- " + "[" * 500_000 + "\n,* not an Org heading\n#+END_SRC\n"
    assert (org.count(block), org.count("[" * 500_000)) == (1, 1)
