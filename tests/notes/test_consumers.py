import pytest
from asgiref.sync import sync_to_async

from tests.factories import make_event, make_talk
from tests.notes.live import LiveClient, room_flushed, stored_text

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@sync_to_async
def guest_note(**event_fields) -> int:
    event = make_event(notes_access="guests", **event_fields)
    return make_talk(event=event).note_id


async def test_two_clients_converge():
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    bob = await LiveClient(note_id, name="Bob").connect()

    await ann.append("Hello")
    await bob.until_text("Hello")
    await bob.append(" world")
    await ann.until_text("Hello world")

    await room_flushed(note_id)
    assert await stored_text(note_id) == "Hello world"
    await ann.disconnect()
    await bob.disconnect()
