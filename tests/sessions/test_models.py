from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sessions.models import Event, OpenSpace
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
