"""Ticking a checklist item in a note's reading view: one CRDT change of one character,
made by the live engine, that everyone connected receives; typing meanwhile survives."""

import asyncio
import re
import secrets
import urllib.parse
import urllib.request

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse
from pycrdt import Doc, Text

from notes import persistence
from notes.models import NoteUpdate
from notes.protocol import KIND_UPDATE
from notes.services import note_text
from notes.tasks import task_key
from sessions.models import Event
from tests.factories import make_event, make_talk
from tests.notes.live import eventually, stored_text
from tests.notes.servers import WsClient

from .helpers import HTMX

NOTE = "# Retro\n\n- [ ] call Bob\n- [ ] book the room\n"


def tick_url(talk) -> str:
    return reverse("sessions:talk_tick", args=[talk.event.slug, talk.pk])


def tick_form(line: int, source: str, done: bool = True) -> dict:
    return {"line": line, "key": task_key(source), "done": "1" if done else "0"}


def guest_talk(markdown: str = NOTE, **event_fields):
    event_fields.setdefault("notes_access", Event.NotesAccess.GUESTS)
    event = make_event(**event_fields)
    talk = make_talk(event=event, title="Retro")
    talk.note.markdown = markdown
    talk.note.save(update_fields=["markdown"])
    return talk


class LiveServer:
    """What WsClient needs of a server: the asgi_live_server's port and note URLs."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.port = int(base_url.rsplit(":", 1)[1])

    def url(self, note_id: int, name: str = "Ann") -> str:
        return f"ws://127.0.0.1:{self.port}/ws/notes/{note_id}/?name={urllib.parse.quote(name)}"

    def post(self, path: str, form: dict, *, htmx: bool = False) -> tuple[int, str]:
        """A browser's POST: the CSRF cookie and header, as htmx sends them."""
        token = secrets.token_hex(16)
        headers = {"Cookie": f"csrftoken={token}", "X-CSRFToken": token}
        if htmx:
            headers["HX-Request"] = "true"
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(form).encode(), headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_tick_reaches_every_connected_editor_as_one_change(asgi_live_server):
    talk = await database_sync_to_async(guest_talk)()
    server = LiveServer(asgi_live_server)
    ann = await WsClient(server, talk.note_id, "Ann").connect()
    bob = await WsClient(server, talk.note_id, "Bob").connect()
    await ann.append("- [ ] more, typed live\n")
    await bob.until(lambda: bob.text.endswith("typed live\n"))

    # The live line stored first (a micro-batch goes in within PERSIST_INTERVAL), so
    # that the rows counted next are all there were before the tick.
    async def live_line_stored() -> bool:
        return "typed live" in await stored_text(talk.note_id)

    await eventually(live_line_stored, within=10)
    rows = await database_sync_to_async(NoteUpdate.objects.filter(note=talk.note).count)()
    updates_before = bob.y.received.count(KIND_UPDATE)

    status, html = await asyncio.to_thread(
        server.post, tick_url(talk), tick_form(3, "- [ ] call Bob"), htmx=True
    )

    expected = "# Retro\n\n- [x] call Bob\n- [ ] book the room\n- [ ] more, typed live\n"
    await ann.until(lambda: ann.text == expected)
    await bob.until(lambda: bob.text == expected)
    assert status == 200
    assert html.strip().startswith('<div id="notes-body">')
    assert '<li id="L3"><input type="checkbox" disabled="" checked=""> call Bob</li>' in html
    assert '<li id="L5"><input type="checkbox" disabled=""> more, typed live</li>' in html
    assert re.search(r'data-tasks="3:[0-9a-f]{16} 4:[0-9a-f]{16} 5:[0-9a-f]{16}"', html)
    # One change: one update row stored, one update frame to each client.
    assert (
        await database_sync_to_async(NoteUpdate.objects.filter(note=talk.note).count)() == rows + 1
    )
    assert bob.y.received.count(KIND_UPDATE) == updates_before + 1
    await ann.close()
    await bob.close()


@pytest.mark.django_db
def test_a_tick_keeps_what_an_offline_editor_typed_on_the_same_line():
    talk = guest_talk()
    offline = Doc()
    offline.apply_update(persistence.load_note_doc(note_id=talk.note_id).get_update())
    text = offline.get(persistence.CONTENT, type=Text)
    line_end = str(text).index("call Bob") + len("call Bob")
    with offline.transaction():
        text.insert(len(str(text)[:line_end].encode()), " tomorrow")
    typed_offline = offline.get_update()

    response = Client().post(tick_url(talk), tick_form(3, "- [ ] call Bob"))
    doc = persistence.load_note_doc(note_id=talk.note_id)
    doc.apply_update(typed_offline)  # the offline editor comes back

    assert response.status_code == 302
    assert response["Location"] == talk.get_absolute_url() + "#notes"
    assert str(doc.get(persistence.CONTENT, type=Text)) == (
        "# Retro\n\n- [x] call Bob tomorrow\n- [ ] book the room\n"
    )
    talk.note.refresh_from_db()
    assert talk.note.markdown == "# Retro\n\n- [x] call Bob\n- [ ] book the room\n"


@pytest.mark.django_db
def test_a_tick_finds_an_item_that_moved_and_refuses_one_it_cannot_find():
    talk = guest_talk("- [ ] call Bob\n- [ ] twice\n- [ ] twice\n")
    client = Client()

    moved = client.post(tick_url(talk), tick_form(7, "- [ ] call Bob"), **HTMX)
    ambiguous = client.post(tick_url(talk), tick_form(9, "- [ ] twice"), **HTMX)
    already = client.post(tick_url(talk), tick_form(1, "- [x] call Bob"), **HTMX)
    malformed = client.post(tick_url(talk), {"line": "x", "key": "zz", "done": "1"}, **HTMX)

    assert moved.status_code == 200
    assert (ambiguous.status_code, malformed.status_code) == (409, 400)
    assert "This item changed since you opened the notes" in ambiguous.content.decode()
    assert already.status_code == 200  # ticked already: nothing to change
    assert note_text(note=talk.note) == "- [x] call Bob\n- [ ] twice\n- [ ] twice\n"


@pytest.mark.django_db
def test_only_those_who_may_write_tick_and_their_reading_view_offers_it():
    talk = guest_talk(notes_access=Event.NotesAccess.USERS)
    reader = Client()

    refused = reader.post(tick_url(talk), tick_form(3, "- [ ] call Bob"))
    page = reader.get(talk.get_absolute_url()).content.decode()

    assert refused.status_code == 403
    assert note_text(note=talk.note) == NOTE
    assert "data-tick-url" not in page
    assert "checklists.js" not in page
    Event.objects.filter(pk=talk.event_id).update(notes_access=Event.NotesAccess.GUESTS)
    writable = reader.get(talk.get_absolute_url()).content.decode()
    assert f'data-tick-url="{tick_url(talk)}"' in writable
    assert (
        f'data-tasks="3:{task_key("- [ ] call Bob")} 4:{task_key("- [ ] book the room")}"'
        in writable
    )
    assert '<script src="/static/js/checklists.js" defer></script>' in writable


@pytest.mark.django_db
def test_ticks_are_limited_per_identity(settings):
    settings.LIMITS = {**settings.LIMITS, "tick": "2/m"}
    talk = guest_talk()
    client = Client()

    answers = [
        client.post(tick_url(talk), tick_form(3, "- [ ] call Bob", done=n % 2 == 0)).status_code
        for n in range(3)
    ]

    assert answers == [302, 302, 429]
