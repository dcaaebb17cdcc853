"""The writes of the marketplace and the board: what they change, and what they refuse."""

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import RestrictedError
from django.utils import timezone

from sessions.board import services
from sessions.board.identity import Actor
from sessions.models import Event, Interest, OpenSpace, Room, Slot
from tests.factories import make_open_space, make_talk
from tests.sessions.board.helpers import at, hosted_by, make_grid

pytestmark = pytest.mark.django_db


def cell(open_space: OpenSpace) -> tuple[int, int] | None:
    open_space.refresh_from_db()
    return (open_space.room_id, open_space.slot_id) if open_space.slot_id else None


# --- Propose ---------------------------------------------------------------------------


def test_propose_by_user_hosts_it_with_their_name():
    grid = make_grid()

    open_space = services.open_space_propose(
        actor=grid.host, event=grid.event, title="  Chaos   engineering ", description="Why?"
    )

    assert (open_space.title, open_space.host, open_space.host_user, open_space.host_key) == (
        "Chaos engineering",
        "Hana Host",
        grid.host.user,
        "",
    )
    assert (open_space.status, open_space.room, open_space.slot) == ("proposed", None, None)
    assert open_space.note_id is not None


def test_propose_by_guest_is_remembered_by_browser_key():
    grid = make_grid()

    open_space = services.open_space_propose(
        actor=grid.guest, event=grid.event, title="SRE", host="Gus"
    )

    assert (open_space.host, open_space.host_user, open_space.host_key) == (
        "Gus",
        None,
        grid.guest.guest_key,
    )


def test_propose_by_guest_without_host_name_is_refused_and_changes_nothing():
    grid = make_grid()

    with pytest.raises(ValidationError) as info:
        services.open_space_propose(actor=grid.guest, event=grid.event, title="SRE", host="  ")

    assert info.value.message_dict == {"host": ["This field is required."]}
    assert OpenSpace.objects.count() == 0


def test_propose_when_proposals_closed_is_refused_except_for_organizers():
    grid = make_grid(proposals_open=False)

    with pytest.raises(services.NotAllowed) as info:
        services.open_space_propose(actor=grid.host, event=grid.event, title="Late idea")
    organizer_topic = services.open_space_propose(
        actor=grid.organizer, event=grid.event, title="From a post-it", host="Someone"
    )

    assert info.value.message == "Proposals are closed for this event."
    assert list(OpenSpace.objects.values_list("title", flat=True)) == ["From a post-it"]
    assert organizer_topic.host == "Someone"


def test_propose_on_archived_event_is_refused():
    grid = make_grid(archived=True)

    with pytest.raises(services.NotAllowed):
        services.open_space_propose(actor=grid.organizer, event=grid.event, title="Too late")

    assert OpenSpace.objects.count() == 0


# --- Interest ----------------------------------------------------------------------------


def test_interest_toggle_counts_one_per_user():
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    first = services.interest_toggle(actor=grid.other, open_space=topic)
    again = services.interest_toggle(actor=grid.other, open_space=topic, interested=True)
    host = services.interest_toggle(actor=grid.host, open_space=topic)

    assert (first.interested, first.count, first.changed) == (True, 1, True)
    assert (again.interested, again.count, again.changed) == (True, 1, False)
    assert (host.interested, host.count) == (True, 2)
    assert Interest.objects.filter(open_space=topic).count() == 2


def test_interest_toggle_twice_removes_it():
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    services.interest_toggle(actor=grid.other, open_space=topic)
    second = services.interest_toggle(actor=grid.other, open_space=topic)

    assert (second.interested, second.count, second.changed) == (False, 0, True)
    assert Interest.objects.count() == 0


def test_interest_of_guests_is_one_per_browser_key():
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    other_guest = Actor(guest_key="another-browser")

    services.interest_toggle(actor=grid.guest, open_space=topic, interested=True)
    services.interest_toggle(actor=grid.guest, open_space=topic, interested=True)
    state = services.interest_toggle(actor=other_guest, open_space=topic, interested=True)

    assert state.count == 2
    assert sorted(Interest.objects.values_list("guest_key", flat=True)) == [
        "another-browser",
        grid.guest.guest_key,
    ]


def test_interest_without_identity_is_refused():
    grid = make_grid()
    topic = make_open_space(event=grid.event)

    with pytest.raises(services.NotAllowed):
        services.interest_toggle(actor=Actor(), open_space=topic)

    assert Interest.objects.count() == 0


def test_interest_in_withdrawn_topic_is_refused():
    grid = make_grid()
    topic = make_open_space(event=grid.event, status=OpenSpace.Status.WITHDRAWN)

    with pytest.raises(services.BoardError) as info:
        services.interest_toggle(actor=grid.other, open_space=topic)

    assert info.value.message == "This topic was withdrawn."
    assert Interest.objects.count() == 0


# --- Place, move, unplace, swap ---------------------------------------------------------------


def test_place_puts_topic_in_free_cell():
    grid = make_grid()
    topic = make_open_space(event=grid.event)
    room, slot = grid.rooms[1], grid.slots[0]

    result = services.open_space_place(actor=grid.organizer, open_space=topic, room=room, slot=slot)

    assert (result.changed, result.warnings) == (True, [])
    assert cell(topic) == (room.pk, slot.pk)
    assert topic.status == OpenSpace.Status.SCHEDULED


def test_place_into_occupied_cell_is_refused_and_overwrites_nothing():
    grid = make_grid()
    room, slot = grid.rooms[0], grid.slots[0]
    holder = make_open_space(
        event=grid.event, title="Holder", room=room, slot=slot, status="scheduled"
    )
    topic = make_open_space(event=grid.event, title="Newcomer")

    with pytest.raises(services.CellOccupied) as info:
        services.open_space_place(actor=grid.organizer, open_space=topic, room=room, slot=slot)

    assert info.value.occupant == holder
    assert "is already taken by “Holder”. Nothing was changed." in info.value.message
    assert cell(holder) == (room.pk, slot.pk)
    assert cell(topic) is None
    assert topic.status == OpenSpace.Status.PROPOSED


def test_place_into_cell_of_a_talk_is_refused():
    grid = make_grid()
    room, slot = grid.rooms[0], grid.slots[0]
    make_talk(event=grid.event, title="Keynote", room=room, start=slot.start, end=slot.end)
    topic = make_open_space(event=grid.event)

    with pytest.raises(services.BoardError) as info:
        services.open_space_place(actor=grid.organizer, open_space=topic, room=room, slot=slot)

    assert "is taken by the talk “Keynote”" in info.value.message
    assert cell(topic) is None


def test_place_into_other_events_room_is_refused():
    grid = make_grid()
    elsewhere = make_grid()
    topic = make_open_space(event=grid.event)

    with pytest.raises(services.BoardError):
        services.open_space_place(
            actor=grid.organizer, open_space=topic, room=elsewhere.rooms[0], slot=grid.slots[0]
        )

    assert cell(topic) is None


def test_move_to_free_cell_frees_the_old_one():
    grid = make_grid()
    old_room, old_slot = grid.rooms[0], grid.slots[0]
    topic = make_open_space(event=grid.event, room=old_room, slot=old_slot, status="scheduled")

    services.open_space_move(
        actor=grid.organizer, open_space=topic, room=grid.rooms[1], slot=grid.slots[1]
    )

    assert cell(topic) == (grid.rooms[1].pk, grid.slots[1].pk)
    assert not OpenSpace.objects.filter(room=old_room, slot=old_slot).exists()


def test_move_to_occupied_cell_is_refused():
    grid = make_grid()
    a = grid.placed(0, 0)
    b = grid.placed(1, 0)

    with pytest.raises(services.CellOccupied):
        services.open_space_move(
            actor=grid.organizer, open_space=a, room=grid.rooms[1], slot=grid.slots[0]
        )

    assert (cell(a), cell(b)) == (
        (grid.rooms[0].pk, grid.slots[0].pk),
        (grid.rooms[1].pk, grid.slots[0].pk),
    )


def test_unplace_returns_topic_to_the_list():
    grid = make_grid()
    topic = grid.placed(0, 0)

    result = services.open_space_unplace(actor=grid.organizer, open_space=topic)

    assert result.changed is True
    assert cell(topic) is None
    assert topic.status == OpenSpace.Status.PROPOSED


def test_swap_exchanges_two_placed_topics():
    grid = make_grid()
    a = grid.placed(0, 0)
    b = grid.placed(1, 1)

    services.open_space_swap(
        actor=grid.organizer,
        open_space=a,
        other=b,
        expected_cell=(grid.rooms[1].pk, grid.slots[1].pk),
    )

    assert cell(a) == (grid.rooms[1].pk, grid.slots[1].pk)
    assert cell(b) == (grid.rooms[0].pk, grid.slots[0].pk)


def test_swap_with_unplaced_topic_sends_occupant_to_the_list():
    grid = make_grid()
    newcomer = make_open_space(event=grid.event)
    holder = grid.placed(0, 0)

    services.open_space_swap(
        actor=grid.organizer,
        open_space=newcomer,
        other=holder,
        expected_cell=(grid.rooms[0].pk, grid.slots[0].pk),
    )

    assert cell(newcomer) == (grid.rooms[0].pk, grid.slots[0].pk)
    assert cell(holder) is None
    assert holder.status == OpenSpace.Status.PROPOSED


def test_swap_after_the_board_changed_is_refused():
    grid = make_grid()
    a = grid.placed(0, 0)
    b = grid.placed(1, 1)

    with pytest.raises(services.BoardError) as info:
        services.open_space_swap(
            actor=grid.organizer,
            open_space=a,
            other=b,
            expected_cell=(grid.rooms[1].pk, grid.slots[0].pk),
        )

    assert info.value.message == f"“{b.title}” has moved meanwhile; look at the board again."
    assert (cell(a), cell(b)) == (
        (grid.rooms[0].pk, grid.slots[0].pk),
        (grid.rooms[1].pk, grid.slots[1].pk),
    )


def test_place_warns_when_host_is_double_booked():
    grid = make_grid()
    first = grid.placed(0, 0, title="First", host=grid.host)
    second = hosted_by(grid.host, event=grid.event, title="Second")

    result = services.open_space_place(
        actor=grid.organizer, open_space=second, room=grid.rooms[1], slot=grid.slots[0]
    )

    assert result.warnings == ["Hana also hosts “First” in Room A at 14:00: double-booked."]
    assert cell(first) == (grid.rooms[0].pk, grid.slots[0].pk)
    assert cell(second) == (grid.rooms[1].pk, grid.slots[0].pk)


# --- Permissions for each placement setting ----------------------------------------------------


def test_organizers_only_setting_refuses_hosts():
    grid = make_grid(open_space_placement=Event.Placement.ORGANIZERS)
    topic = hosted_by(grid.host, event=grid.event)

    with pytest.raises(services.NotAllowed) as info:
        services.open_space_place(
            actor=grid.host, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
        )

    assert info.value.message == "Only the organizers place sessions on this board."
    assert cell(topic) is None


def test_self_scheduling_lets_host_place_own_topic():
    grid = make_grid(open_space_placement=Event.Placement.HOSTS)
    topic = hosted_by(grid.host, event=grid.event)

    services.open_space_place(
        actor=grid.host, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
    )

    assert cell(topic) == (grid.rooms[0].pk, grid.slots[0].pk)


def test_self_scheduling_lets_guest_host_place_own_topic_by_browser_key():
    grid = make_grid(open_space_placement=Event.Placement.HOSTS)
    topic = hosted_by(grid.guest, event=grid.event)

    services.open_space_place(
        actor=grid.guest, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
    )

    assert cell(topic) == (grid.rooms[0].pk, grid.slots[0].pk)


def test_self_scheduling_refuses_placing_someone_elses_topic():
    grid = make_grid(open_space_placement=Event.Placement.HOSTS)
    topic = hosted_by(grid.host, event=grid.event)

    with pytest.raises(services.NotAllowed) as info:
        services.open_space_place(
            actor=grid.other, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
        )
    with pytest.raises(services.NotAllowed):
        services.open_space_place(
            actor=Actor(guest_key="stranger"),
            open_space=topic,
            room=grid.rooms[0],
            slot=grid.slots[0],
        )

    assert info.value.message == "You may only place the topics you host."
    assert cell(topic) is None


def test_self_scheduling_host_cannot_swap_with_someone_elses_topic():
    grid = make_grid(open_space_placement=Event.Placement.HOSTS)
    mine = hosted_by(grid.host, event=grid.event, title="Mine")
    theirs = grid.placed(0, 0, title="Theirs", host=grid.other)

    with pytest.raises(services.NotAllowed):
        services.open_space_swap(
            actor=grid.host,
            open_space=mine,
            other=theirs,
            expected_cell=(grid.rooms[0].pk, grid.slots[0].pk),
        )

    assert (cell(mine), cell(theirs)) == (None, (grid.rooms[0].pk, grid.slots[0].pk))


def test_host_cannot_move_own_topic_once_held():
    grid = make_grid(open_space_placement=Event.Placement.HOSTS)
    started = Slot.objects.create(
        event=grid.event,
        start=timezone.now() - timedelta(minutes=10),
        end=timezone.now() + timedelta(minutes=35),
    )
    Event.objects.filter(pk=grid.event.pk).update(
        start_date=timezone.localdate() - timedelta(days=1)
    )
    topic = hosted_by(
        grid.host, event=grid.event, room=grid.rooms[0], slot=started, status="scheduled"
    )

    with pytest.raises(services.NotAllowed) as info:
        services.open_space_move(
            actor=grid.host, open_space=topic, room=grid.rooms[1], slot=grid.slots[0]
        )
    services.open_space_move(
        actor=grid.organizer, open_space=topic, room=grid.rooms[1], slot=started
    )

    assert info.value.message == "This session has already started; ask an organizer to move it."
    assert cell(topic) == (grid.rooms[1].pk, started.pk)


def test_archived_event_refuses_placement_even_by_organizers():
    grid = make_grid(archived=True)
    topic = make_open_space(event=grid.event)

    with pytest.raises(services.NotAllowed):
        services.open_space_place(
            actor=grid.organizer, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
        )

    assert cell(topic) is None


# --- Edit and withdraw -------------------------------------------------------------------------


def test_host_edits_own_topic():
    grid = make_grid()
    topic = hosted_by(grid.host, event=grid.event, title="Old")

    services.open_space_update(
        actor=grid.host, open_space=topic, title="New", host="", description="More"
    )

    topic.refresh_from_db()
    assert (topic.title, topic.host, topic.description) == ("New", "Hana", "More")


def test_other_user_cannot_edit_or_withdraw():
    grid = make_grid()
    topic = hosted_by(grid.host, event=grid.event, title="Old")

    with pytest.raises(services.NotAllowed) as edit:
        services.open_space_update(
            actor=grid.other, open_space=topic, title="Hijack", host="", description=""
        )
    with pytest.raises(services.NotAllowed):
        services.open_space_withdraw(actor=grid.guest, open_space=topic)

    topic.refresh_from_db()
    assert edit.value.message == "Only the host or an organizer may change this topic."
    assert (topic.title, topic.status) == ("Old", "proposed")


def test_guest_host_withdraws_own_topic_from_same_browser():
    grid = make_grid()
    topic = grid.placed(0, 0, host=grid.guest)

    services.open_space_withdraw(actor=grid.guest, open_space=topic)

    topic.refresh_from_db()
    assert (topic.status, topic.room_id, topic.slot_id) == ("withdrawn", None, None)


def test_withdrawn_cell_can_be_taken_again():
    grid = make_grid()
    gone = grid.placed(0, 0)
    services.open_space_withdraw(actor=grid.organizer, open_space=gone)
    topic = make_open_space(event=grid.event)

    services.open_space_place(
        actor=grid.organizer, open_space=topic, room=grid.rooms[0], slot=grid.slots[0]
    )

    assert cell(topic) == (grid.rooms[0].pk, grid.slots[0].pk)


def test_held_topic_cannot_be_withdrawn():
    grid = make_grid()
    topic = make_open_space(
        event=grid.event, status=OpenSpace.Status.HELD, room=grid.rooms[0], slot=grid.slots[0]
    )

    with pytest.raises(services.NotAllowed) as info:
        services.open_space_withdraw(actor=grid.organizer, open_space=topic)

    assert info.value.message == "This session has already started; it can no longer be changed."
    topic.refresh_from_db()
    assert topic.status == OpenSpace.Status.HELD


# --- Set-up -----------------------------------------------------------------------------------


def test_room_create_appends_column_and_refuses_duplicate_names():
    grid = make_grid(rooms=2)

    room = services.room_create(actor=grid.organizer, event=grid.event, name="Garden", capacity=25)
    with pytest.raises(ValidationError) as info:
        services.room_create(actor=grid.organizer, event=grid.event, name="garden", capacity=5)

    assert (room.name, room.capacity, room.position) == ("Garden", 25, 2)
    assert info.value.message_dict == {"name": ["Another room of this event has this name."]}
    assert Room.objects.filter(event=grid.event).count() == 3


def test_room_create_by_non_organizer_is_refused():
    grid = make_grid(rooms=0)

    with pytest.raises(services.NotAllowed):
        services.room_create(actor=grid.host, event=grid.event, name="Garden", capacity=25)

    assert Room.objects.filter(event=grid.event).count() == 0


def test_room_delete_refuses_room_with_sessions():
    grid = make_grid()
    grid.placed(0, 0)

    with pytest.raises(services.BoardError) as info:
        services.room_delete(actor=grid.organizer, room=grid.rooms[0])
    services.room_delete(actor=grid.organizer, room=grid.rooms[1])

    assert info.value.message == "“Room A” still holds 1 session(s); move them elsewhere first."
    assert list(Room.objects.filter(event=grid.event).values_list("name", flat=True)) == ["Room A"]


def test_slots_generate_makes_a_day_of_slots_and_skips_overlaps():
    grid = make_grid(slots=1)  # an existing slot 14:00–14:45 on day 0
    day = grid.event.start_date

    result = services.slots_generate(
        actor=grid.organizer,
        event=grid.event,
        day=day,
        start=time(13, 0),
        end=time(17, 0),
        length=timedelta(minutes=45),
        gap=timedelta(minutes=15),
    )

    starts = [s.start.astimezone(grid.event.tz).strftime("%H:%M") for s in result.created]
    assert starts == ["13:00", "15:00", "16:00"]
    assert [(s.astimezone(grid.event.tz).strftime("%H:%M")) for s, _ in result.skipped] == ["14:00"]
    assert Slot.objects.filter(event=grid.event).count() == 4


def test_slots_generate_outside_event_days_is_refused():
    grid = make_grid(slots=0)

    with pytest.raises(ValidationError) as info:
        services.slots_generate(
            actor=grid.organizer,
            event=grid.event,
            day=grid.event.end_date + timedelta(days=1),
            start=time(9, 0),
            end=time(12, 0),
            length=timedelta(minutes=30),
            gap=timedelta(0),
        )

    assert info.value.message_dict == {"day": ["Choose a day of the event."]}
    assert Slot.objects.count() == 0


def test_slot_create_refuses_overlap():
    grid = make_grid(slots=1)

    with pytest.raises(ValidationError) as info:
        services.slot_create(
            actor=grid.organizer,
            event=grid.event,
            start=at(grid.event, 0, 14, 30),
            end=at(grid.event, 0, 15, 30),
        )

    assert list(info.value.message_dict) == ["start"]
    assert info.value.message_dict["start"][0].startswith("This overlaps the slot ")
    assert Slot.objects.filter(event=grid.event).count() == 1


def test_settings_update_switches_to_self_scheduling():
    grid = make_grid()

    services.event_board_settings_update(
        actor=grid.organizer, event=grid.event, placement="hosts", proposals_open=False
    )

    grid.event.refresh_from_db()
    assert (grid.event.open_space_placement, grid.event.proposals_open) == ("hosts", False)


def test_settings_update_by_host_is_refused():
    grid = make_grid()

    with pytest.raises(services.NotAllowed):
        services.event_board_settings_update(
            actor=grid.host, event=grid.event, placement="hosts", proposals_open=True
        )

    grid.event.refresh_from_db()
    assert grid.event.open_space_placement == "organizers"


def test_event_with_placed_open_spaces_can_be_deleted_whole():
    grid = make_grid()
    grid.placed(0, 0)

    grid.event.delete()

    assert (Event.objects.count(), Room.objects.count(), OpenSpace.objects.count()) == (0, 0, 0)


def test_room_holding_an_open_space_cannot_be_deleted_on_its_own():
    grid = make_grid()
    grid.placed(0, 0)

    with pytest.raises(RestrictedError):
        grid.rooms[0].delete()
    with pytest.raises(RestrictedError):
        grid.slots[0].delete()

    assert OpenSpace.objects.filter(room=grid.rooms[0], slot=grid.slots[0]).count() == 1
