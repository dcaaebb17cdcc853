"""The pages of the marketplace, board, display and set-up, used as a browser without
JavaScript would (plain GET and POST) and as htmx does (HX-Request)."""

import json
import re

import pytest
import segno
from django.test import Client
from django.urls import reverse

from sessions.board.identity import GUEST_COOKIE, guest_key_from_cookie
from sessions.models import Event, Interest, OpenSpace, Room, Slot
from tests.factories import make_open_space
from tests.sessions.board.helpers import at, hosted_by, make_grid

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, event: Event, *args) -> str:
    return reverse(f"sessions:{name}", args=[event.slug, *args])


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def titles(html: str, pattern: str = r'class="proposal__title"><a href="[^"]+">([^<]+)</a>'):
    return re.findall(pattern, html)


# --- Marketplace ---------------------------------------------------------------------------


def test_market_sorts_by_interest_then_by_newest():
    grid = make_grid()
    quiet = make_open_space(event=grid.event, title="Quiet")
    popular = make_open_space(event=grid.event, title="Popular")
    newest = make_open_space(event=grid.event, title="Newest")
    Interest.objects.create(open_space=popular, guest_key="a")
    Interest.objects.create(open_space=popular, guest_key="b")
    Interest.objects.create(open_space=quiet, guest_key="a")
    assert newest.pk > popular.pk > quiet.pk

    by_interest = Client().get(url("open_spaces", grid.event))
    by_newest = Client().get(url("open_spaces", grid.event) + "?sort=newest")

    assert titles(by_interest.content.decode()) == ["Popular", "Quiet", "Newest"]
    assert titles(by_newest.content.decode()) == ["Newest", "Popular", "Quiet"]


def test_market_gives_guests_a_signed_browser_key():
    grid = make_grid()

    response = Client().get(url("open_spaces", grid.event))

    cookie = response.cookies[GUEST_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert len(guest_key_from_cookie(cookie.value)) == 32
    assert guest_key_from_cookie(cookie.value[:-1] + "x") == ""


def test_propose_without_javascript_creates_topic_and_redirects():
    grid = make_grid()
    client = signed_in(grid.host.user)

    response = client.post(
        url("open_space_propose", grid.event), {"title": "Pairing", "host": "", "description": ""}
    )

    topic = OpenSpace.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{url('open_spaces', grid.event)}#proposal-{topic.pk}"
    assert (topic.title, topic.host, topic.host_user) == ("Pairing", "Hana Host", grid.host.user)


def test_propose_with_bad_input_shows_field_errors_and_creates_nothing():
    grid = make_grid()

    response = Client().post(
        url("open_space_propose", grid.event), {"title": "", "host": "", "description": "x"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert html.count("This field is required.") == 2  # title, and host for a guest
    assert OpenSpace.objects.count() == 0


def test_propose_with_htmx_returns_a_fresh_form_and_sets_guest_cookie():
    grid = make_grid()
    client = Client()

    response = client.post(
        url("open_space_propose", grid.event),
        {"title": "Guest idea", "host": "Gus", "description": ""},
        **HTMX,
    )

    topic = OpenSpace.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<form id="propose-form"')
    assert "Proposed “Guest idea”." in html
    assert topic.host_key == guest_key_from_cookie(response.cookies[GUEST_COOKIE].value)


def test_propose_when_closed_is_forbidden():
    grid = make_grid(proposals_open=False)

    response = Client().post(url("open_space_propose", grid.event), {"title": "x", "host": "y"})

    assert response.status_code == 403
    assert "Proposals are closed for this event." in response.content.decode()
    assert OpenSpace.objects.count() == 0


def test_post_without_csrf_token_is_refused():
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    client = Client(enforce_csrf_checks=True)
    client.force_login(grid.organizer.user)

    propose = client.post(url("open_space_propose", grid.event), {"title": "x", "host": "y"})
    place = client.post(
        url("board_place", grid.event),
        {"open_space": topic.pk, "cell": f"{grid.rooms[0].pk}-{grid.slots[0].pk}"},
    )

    assert (propose.status_code, place.status_code) == (403, 403)
    assert OpenSpace.objects.filter(slot__isnull=False).count() == 0
    assert OpenSpace.objects.count() == 1


def test_interest_is_one_per_guest_browser_and_the_button_says_so():
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Pairing")
    client = Client()
    client.get(url("open_spaces", grid.event))  # receives the browser key

    first = client.post(
        url("open_space_interest", grid.event, topic.pk), {"interested": "1"}, **HTMX
    )
    again = client.post(
        url("open_space_interest", grid.event, topic.pk), {"interested": "1"}, **HTMX
    )

    html = again.content.decode()
    assert first.status_code == again.status_code == 200
    assert 'aria-pressed="true"' in html
    assert (
        f'<span id="interest-count-{topic.pk}" class="interest__count">1 interested</span>' in html
    )
    key = guest_key_from_cookie(client.cookies[GUEST_COOKIE].value)
    assert list(Interest.objects.values_list("guest_key", flat=True)) == [key]


def test_interest_without_javascript_redirects_back_to_the_topic():
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Pairing")
    client = signed_in(grid.other.user)

    response = client.post(url("open_space_interest", grid.event, topic.pk), {"interested": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{url('open_spaces', grid.event)}#proposal-{topic.pk}"
    assert Interest.objects.get().user == grid.other.user


def test_edit_page_lets_host_change_own_topic():
    grid = make_grid()
    topic = hosted_by(grid.host, event=grid.event, title="Old")
    client = signed_in(grid.host.user)

    page = client.get(url("open_space_edit", grid.event, topic.pk))
    saved = client.post(
        url("open_space_edit", grid.event, topic.pk),
        {"title": "New", "host": "Hana H.", "description": "Details"},
    )

    topic.refresh_from_db()
    assert page.status_code == 200
    assert saved.status_code == 302
    assert (topic.title, topic.host, topic.description) == ("New", "Hana H.", "Details")


def test_edit_by_someone_else_is_forbidden_and_changes_nothing():
    grid = make_grid()
    topic = hosted_by(grid.host, event=grid.event, title="Old")
    client = signed_in(grid.other.user)

    page = client.get(url("open_space_edit", grid.event, topic.pk))
    post = client.post(url("open_space_edit", grid.event, topic.pk), {"title": "Hijack"})

    topic.refresh_from_db()
    assert (page.status_code, post.status_code) == (403, 403)
    assert topic.title == "Old"


def test_withdraw_by_host_with_htmx_confirms_in_status():
    grid = make_grid()
    topic = hosted_by(grid.host, event=grid.event, title="Going")

    response = signed_in(grid.host.user).post(
        url("open_space_withdraw", grid.event, topic.pk), **HTMX
    )

    topic.refresh_from_db()
    assert response.status_code == 200
    assert "Withdrew “Going”." in response.content.decode()
    assert topic.status == OpenSpace.Status.WITHDRAWN


# --- Board ----------------------------------------------------------------------------------


def test_board_shows_grid_cells_unplaced_column_and_over_capacity():
    grid = make_grid(rooms=2, slots=1)  # Room A holds 10, Room B 20
    placed = grid.placed(0, 0, title="Crowded")
    for n in range(11):
        Interest.objects.create(open_space=placed, guest_key=f"g{n}")
    waiting = make_open_space(event=grid.event, title="Waiting")

    html = Client().get(url("board", grid.event)).content.decode()

    cell_a = f'id="cell-{grid.rooms[0].pk}-{grid.slots[0].pk}"'
    cell_b = f'id="cell-{grid.rooms[1].pk}-{grid.slots[0].pk}"'
    assert f'<td {cell_a} class="cell cell--taken cell--over"' in html
    assert f'<td {cell_b} class="cell cell--free"' in html
    assert '<span class="board-card__count">11</span> interested · 10 seats' in html
    assert "over capacity" in html
    assert f'<li id="unplaced-{waiting.pk}"' in html
    assert f'href="{placed.get_absolute_url()}"' in html  # the notes are one click away
    assert 'draggable="true"' not in html  # a visitor gets no controls


def test_board_gives_organizers_drag_and_drop_and_place_links():
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Waiting")

    html = signed_in(grid.organizer.user).get(url("board", grid.event)).content.decode()

    assert f'draggable="true" data-open-space="{topic.pk}"' in html
    assert f'href="{url("board_place_form", grid.event, topic.pk)}"' in html
    assert 'class="board board--dnd"' in html
    assert re.search(
        rf'ws-connect="/ws/events/{grid.event.slug}/board/\?view=board&amp;since=\d{{13}}"', html
    )


def test_board_with_htmx_returns_only_the_live_region():
    grid = make_grid()

    response = Client().get(url("board", grid.event), **HTMX)

    assert response.content.decode().lstrip().startswith('<div id="live-region"')
    assert response["Vary"].count("HX-Request") == 1


def test_board_shows_host_double_booking_warning():
    grid = make_grid()
    grid.placed(0, 0, title="One", host=grid.host)
    grid.placed(1, 0, title="Two", host=grid.host)

    html = Client().get(url("board", grid.event)).content.decode()

    assert "Host double-booked: also “Two” in Room B" in html
    assert "Host double-booked: also “One” in Room A" in html


@pytest.mark.parametrize("rooms", [1, 3])
def test_board_page_queries_do_not_grow_with_rooms(rooms, django_assert_num_queries):
    grid = make_grid(rooms=rooms, slots=3)
    for room in grid.rooms:
        for slot in grid.slots:
            topic = make_open_space(event=grid.event, room=room, slot=slot, status="scheduled")
            Interest.objects.create(open_space=topic, guest_key="someone")
    for _ in range(rooms):
        make_open_space(event=grid.event)
    client = signed_in(grid.organizer.user)

    # session, user, event, is_organizer, then rooms, slots, open spaces + interest, talks,
    # and the viewer's stars (their interests)
    with django_assert_num_queries(9):
        response = client.get(url("board", grid.event))

    assert response.content.decode().count('class="card board-card') == rooms * 3 + rooms


def test_place_form_without_javascript_lists_every_cell_with_its_state():
    grid = make_grid(rooms=2, slots=1)
    grid.placed(0, 0, title="Holder")
    topic = make_open_space(event=grid.event, title="Waiting")

    response = signed_in(grid.organizer.user).get(url("board_place_form", grid.event, topic.pk))

    options = re.findall(
        r'<option value="([^"]+)"[^>]*>([^<]+)</option>', response.content.decode()
    )
    assert response.status_code == 200
    assert options == [
        ("unplaced", "Not placed — back to the list"),
        (f"{grid.rooms[0].pk}-{grid.slots[0].pk}", "14:00–14:45 · Room A — taken by “Holder”"),
        (f"{grid.rooms[1].pk}-{grid.slots[0].pk}", "14:00–14:45 · Room B — free"),
    ]


def test_place_form_is_forbidden_to_visitors():
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    response = Client().get(url("board_place_form", grid.event, topic.pk))

    assert response.status_code == 403


def test_place_without_javascript_redirects_to_board_with_message():
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Waiting")
    client = signed_in(grid.organizer.user)

    response = client.post(
        url("board_place", grid.event),
        {"open_space": topic.pk, "cell": f"{grid.rooms[1].pk}-{grid.slots[0].pk}"},
        follow=True,
    )

    topic.refresh_from_db()
    assert response.redirect_chain == [(url("board", grid.event), 302)]
    assert (topic.room, topic.slot) == (grid.rooms[1], grid.slots[0])
    day = grid.slots[0].start.astimezone(grid.event.tz).strftime("%a")
    assert f"Placed “Waiting” in Room B, {day} 14:00." in response.content.decode()


def test_place_into_occupied_cell_with_htmx_answers_409_and_offers_swap():
    grid = make_grid()
    holder = grid.placed(0, 0, title="Holder")
    topic = make_open_space(event=grid.event, title="Newcomer")
    target = f"{grid.rooms[0].pk}-{grid.slots[0].pk}"

    response = signed_in(grid.organizer.user).post(
        url("board_place", grid.event), {"open_space": topic.pk, "cell": target}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "is already taken by “Holder”. Nothing was changed." in html
    assert f'<input type="hidden" name="swap_with" value="{holder.pk}">' in html
    assert "Swap “Newcomer” and “Holder”" in html
    holder.refresh_from_db()
    assert (holder.room, holder.slot) == (grid.rooms[0], grid.slots[0])


def test_place_swap_post_exchanges_topics():
    grid = make_grid()
    holder = grid.placed(0, 0, title="Holder")
    topic = grid.placed(1, 1, title="Newcomer")

    response = signed_in(grid.organizer.user).post(
        url("board_place", grid.event),
        {
            "open_space": topic.pk,
            "cell": f"{grid.rooms[0].pk}-{grid.slots[0].pk}",
            "swap_with": holder.pk,
        },
        **HTMX,
    )

    holder.refresh_from_db()
    topic.refresh_from_db()
    assert response.status_code == 200
    assert (topic.room, topic.slot) == (grid.rooms[0], grid.slots[0])
    assert (holder.room, holder.slot) == (grid.rooms[1], grid.slots[1])


def test_place_by_visitor_is_forbidden_and_changes_nothing():
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    response = signed_in(grid.other.user).post(
        url("board_place", grid.event),
        {"open_space": topic.pk, "cell": f"{grid.rooms[0].pk}-{grid.slots[0].pk}"},
    )

    topic.refresh_from_db()
    assert response.status_code == 403
    assert "Only the organizers place sessions on this board." in response.content.decode()
    assert topic.slot is None


@pytest.mark.parametrize("cell", ["", "abc", "1-", "999999-999999"])
def test_place_with_bad_cell_is_a_bad_request(cell):
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    response = signed_in(grid.organizer.user).post(
        url("board_place", grid.event), {"open_space": topic.pk, "cell": cell}
    )

    topic.refresh_from_db()
    assert response.status_code == 400
    assert topic.slot is None


def test_placed_open_space_is_on_schedule_json_and_ics():
    grid = make_grid()
    topic = make_open_space(event=grid.event, title="Chaos Day", host="Ana")
    client = signed_in(grid.organizer.user)
    client.post(
        url("board_place", grid.event),
        {"open_space": topic.pk, "cell": f"{grid.rooms[1].pk}-{grid.slots[0].pk}"},
    )

    schedule = json.loads(client.get(url("schedule_json", grid.event)).content)
    ics = client.get(url("schedule_ics", grid.event)).content.decode()
    page = client.get(grid.event.get_absolute_url()).content.decode()

    days = schedule["schedule"]["conference"]["days"]
    talks = [t for day in days for room in day["rooms"].values() for t in room]
    assert [(t["title"], t["room"], t["start"]) for t in talks] == [
        ("Chaos Day", "Room B", "14:00")
    ]
    assert "SUMMARY:Chaos Day" in ics
    assert f'href="{topic.get_absolute_url()}"' in page


# --- Display ------------------------------------------------------------------------------


def test_display_marks_now_and_next_and_shows_qr_to_notes_of_running_sessions():
    grid = make_grid(rooms=1, slots=2)
    running = grid.placed(0, 0, title="Running")
    grid.placed(0, 1, title="Later")
    moment = at(grid.event, 0, 14, 20).strftime("%Y-%m-%dT%H:%M")

    response = Client().get(url("board_display", grid.event) + f"?at={moment}")

    html = response.content.decode()
    notes_url = f"http://testserver{running.get_absolute_url()}?write#notes"
    expected_qr = segno.make(notes_url, error="m").svg_inline(scale=4, border=2)
    assert response.status_code == 200
    assert re.findall(r'class="display-row display-row--(\w+)"', html) == ["now", "next"]
    assert html.count("<svg") == 1
    assert expected_qr in html
    assert "<form" not in html
    assert "<button" not in html


def test_display_of_a_board_without_slots_says_so():
    grid = make_grid(rooms=1, slots=0)

    html = Client().get(url("board_display", grid.event)).content.decode()

    assert "The open-space board is still empty." in html


# --- Set-up -------------------------------------------------------------------------------------


def test_setup_sends_visitors_to_sign_in_and_refuses_non_organizers():
    grid = make_grid()

    anonymous = Client().get(url("board_setup", grid.event))
    other = signed_in(grid.other.user).get(url("board_setup", grid.event))
    organizer = signed_in(grid.organizer.user).get(url("board_setup", grid.event))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login") + "?next=")
    assert other.status_code == 403
    assert organizer.status_code == 200


def test_setup_room_inline_edit_with_htmx():
    grid = make_grid(rooms=1)
    room = grid.rooms[0]
    client = signed_in(grid.organizer.user)

    editor = client.get(url("board_room_edit", grid.event, room.pk), **HTMX)
    saved = client.post(
        url("board_room_edit", grid.event, room.pk),
        {"name": "Garden", "capacity": "30", "position": "2"},
        **HTMX,
    )

    room.refresh_from_db()
    assert editor.content.decode().startswith(
        f'<li id="room-{room.pk}" class="setup-row setup-row--editing">'
    )
    assert saved.status_code == 200
    assert saved.content.decode().startswith(f'<li id="room-{room.pk}" class="setup-row">')
    assert (room.name, room.capacity, room.position) == ("Garden", 30, 2)


def test_setup_room_edit_with_bad_input_shows_errors_and_changes_nothing():
    grid = make_grid(rooms=1)
    room = grid.rooms[0]

    response = signed_in(grid.organizer.user).post(
        url("board_room_edit", grid.event, room.pk),
        {"name": "", "capacity": "-3", "position": "0"},
        **HTMX,
    )

    html = response.content.decode()
    room.refresh_from_db()
    assert response.status_code == 422
    assert "This field is required." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert (room.name, room.capacity) == ("Room A", 10)


def test_setup_add_room_without_javascript():
    grid = make_grid(rooms=0)

    response = signed_in(grid.organizer.user).post(
        url("board_room_create", grid.event), {"name": "Loft", "capacity": "12", "position": ""}
    )

    assert response.status_code == 302
    assert list(Room.objects.filter(event=grid.event).values_list("name", "capacity")) == [
        ("Loft", 12)
    ]


def test_setup_room_delete_refused_without_javascript_returns_with_the_reason():
    grid = make_grid(rooms=1)
    grid.placed(0, 0)
    client = signed_in(grid.organizer.user)

    response = client.post(url("board_room_delete", grid.event, grid.rooms[0].pk))

    page = client.get(response["Location"]).content.decode()
    assert (response.status_code, response["Location"]) == (302, url("board_setup", grid.event))
    assert "“Room A” still holds 1 session(s); move them elsewhere first." in page
    assert Room.objects.filter(pk=grid.rooms[0].pk).exists()


def test_setup_slot_delete_refused_with_htmx_explains_in_the_slots_fragment():
    grid = make_grid(slots=1)
    grid.placed(0, 0)

    response = signed_in(grid.organizer.user).post(
        url("board_slot_delete", grid.event, grid.slots[0].pk), **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "still holds 1 session(s); move them elsewhere first." in html
    assert 'role="alert"' in html
    assert Slot.objects.filter(pk=grid.slots[0].pk).exists()


def test_setup_generate_slots_with_htmx_reports_what_it_did():
    grid = make_grid(slots=0)
    day = grid.event.start_date.isoformat()

    response = signed_in(grid.organizer.user).post(
        url("board_slots_generate", grid.event),
        {"day": day, "start": "14:00", "end": "17:00", "length": "45", "gap": "15"},
        **HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="setup-slots"')
    assert "Created 3 slot(s)." in html
    starts = [
        s.start.astimezone(grid.event.tz).strftime("%H:%M")
        for s in Slot.objects.filter(event=grid.event)
    ]
    assert starts == ["14:00", "15:00", "16:00"]


def test_setup_slot_edit_rejects_end_before_start():
    grid = make_grid(slots=1)
    slot = grid.slots[0]

    response = signed_in(grid.organizer.user).post(
        url("board_slot_edit", grid.event, slot.pk),
        {"day": grid.event.start_date.isoformat(), "start": "15:00", "end": "14:00"},
        **HTMX,
    )

    slot.refresh_from_db()
    assert response.status_code == 422
    assert "The slot must end after it starts." in response.content.decode()
    assert slot.start == at(grid.event, 0, 14)


def test_setup_settings_switch_to_self_scheduling():
    grid = make_grid()

    response = signed_in(grid.organizer.user).post(
        url("board_setup_settings", grid.event),
        {"open_space_placement": "hosts", "proposals_open": ""},
        **HTMX,
    )

    grid.event.refresh_from_db()
    assert response.status_code == 200
    assert "Settings saved." in response.content.decode()
    assert (grid.event.open_space_placement, grid.event.proposals_open) == ("hosts", False)


def test_event_page_links_to_marketplace_and_board():
    grid = make_grid()

    html = Client().get(grid.event.get_absolute_url()).content.decode()

    assert f'href="{url("open_spaces", grid.event)}">Open-space marketplace</a>' in html
    assert f'href="{url("board", grid.event)}">Open-space board</a>' in html
