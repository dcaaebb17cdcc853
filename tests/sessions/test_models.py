from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sessions.models import Event, OpenSpace, Slot
from tests.factories import local, make_event, make_open_space, make_room, make_slot, make_talk

pytestmark = pytest.mark.django_db


def test_event_end_before_start_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        make_event(start_date=date(2026, 6, 11), end_date=date(2026, 6, 10))
    assert Event.objects.count() == 0


def test_open_space_one_per_room_and_slot():
    event = make_event()
    room = make_room(event=event)
    slot = make_slot(
        event=event, start=local(event, 2026, 6, 10, 14), end=local(event, 2026, 6, 10, 15)
    )
    make_open_space(event=event, room=room, slot=slot, status=OpenSpace.Status.SCHEDULED)

    with pytest.raises(IntegrityError), transaction.atomic():
        make_open_space(event=event, room=room, slot=slot, status=OpenSpace.Status.SCHEDULED)

    assert OpenSpace.objects.filter(room=room, slot=slot).count() == 1


def test_talk_and_open_space_get_their_own_note():
    event = make_event()
    talk = make_talk(event=event, title="Hello")
    open_space = make_open_space(event=event)

    assert talk.note_id is not None
    assert open_space.note_id is not None
    assert talk.note_id != open_space.note_id
    assert talk.slug == "hello"


def test_talk_clean_rejects_end_before_start_with_exact_error():
    event = make_event()
    talk = make_talk(event=event)
    talk.start = local(event, 2026, 6, 10, 10)
    talk.end = local(event, 2026, 6, 10, 9)

    with pytest.raises(ValidationError) as info:
        talk.full_clean()

    assert info.value.message_dict == {"end": ["The talk must end after it starts."]}


def test_talk_clean_rejects_times_outside_the_event():
    event = make_event(start_date=date(2026, 6, 10), end_date=date(2026, 6, 11))
    talk = make_talk(event=event)
    talk.start = local(event, 2026, 6, 12, 9)
    talk.end = local(event, 2026, 6, 12, 10)

    with pytest.raises(ValidationError) as info:
        talk.full_clean()

    assert info.value.message_dict == {
        "start": ["The talk must take place within the event's dates."]
    }


def test_talk_clean_rejects_a_room_of_another_event():
    event, other = make_event(), make_event()
    talk = make_talk(event=event)
    talk.room = make_room(event=other)

    with pytest.raises(ValidationError) as info:
        talk.full_clean()

    assert info.value.message_dict == {"room": ["This room belongs to another event."]}


def test_talk_clean_needs_both_start_and_end():
    event = make_event()
    talk = make_talk(event=event)
    talk.start = local(event, 2026, 6, 10, 9)

    with pytest.raises(ValidationError) as info:
        talk.full_clean()

    assert info.value.message_dict == {"end": ["Give both a start and an end, or neither."]}


def test_talk_end_before_start_is_refused_by_the_database():
    event = make_event()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_talk(
            event=event, start=local(event, 2026, 6, 10, 10), end=local(event, 2026, 6, 10, 9)
        )


def test_slot_clean_rejects_slot_outside_event_and_backwards():
    event = make_event(start_date=date(2026, 6, 10), end_date=date(2026, 6, 11))
    slot = Slot(event=event, start=local(event, 2026, 6, 9, 10), end=local(event, 2026, 6, 9, 9))

    with pytest.raises(ValidationError) as info:
        slot.full_clean()

    assert info.value.message_dict == {
        "start": ["The slot must be within the event's dates."],
        "end": ["The slot must end after it starts."],
    }


def test_open_space_clean_rejects_room_without_slot_and_foreign_slot():
    event, other = make_event(), make_event()
    open_space = make_open_space(event=event)
    open_space.room = make_room(event=event)

    with pytest.raises(ValidationError) as info:
        open_space.full_clean()
    assert info.value.message_dict == {"slot": ["Give both a room and a slot, or neither."]}

    open_space.slot = make_slot(
        event=other, start=local(other, 2026, 6, 10, 14), end=local(other, 2026, 6, 10, 15)
    )
    with pytest.raises(ValidationError) as info:
        open_space.full_clean()
    assert info.value.message_dict == {"slot": ["This slot belongs to another event."]}


def test_open_space_room_without_slot_is_refused_by_the_database():
    event = make_event()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_open_space(event=event, room=make_room(event=event))


def test_event_rejects_unknown_time_zone():
    event = Event(
        name="X",
        slug="x",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, 1),
        timezone="Mars/Olympus",
    )

    with pytest.raises(ValidationError) as info:
        event.full_clean()

    assert info.value.message_dict == {
        "timezone": ["“Mars/Olympus” is not a known time zone (e.g. Europe/Paris)."]
    }


def test_room_names_are_unique_per_event():
    event = make_event()
    make_room(event=event, name="Atlas")
    make_room(event=make_event(), name="Atlas")  # another event may reuse it

    with pytest.raises(IntegrityError), transaction.atomic():
        make_room(event=event, name="Atlas")


def test_talk_slugs_are_unique_per_event():
    event = make_event()

    first, second = make_talk(event=event, title="Same"), make_talk(event=event, title="Same")

    assert (first.slug, second.slug) == ("same", "same-2")
