"""Live notes end to end: the real app (uvicorn, Channels, the notes engine) in Debian's chromium.

Two people write in one talk's notes at once. One of them goes through a
proxy that the test cuts, so that person's connection is really lost (Playwright's
set_offline keeps open WebSockets alive): they type offline, reload the page on
the dead network (the service worker serves it, IndexedDB keeps the text), type
more, and reconnect. Everything typed by both must end up in both editors and,
once the server has refreshed the Markdown, on the reading page.
"""

import time
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from sessions.models import Event
from tests.factories import make_event, make_talk

from .editor_helpers import CSP_WATCH, STORED_TEXT, type_at, ytext
from .proxy import CuttableProxy

pytestmark = pytest.mark.e2e


def join_as_guest(page: Page, url: str, name: str) -> None:
    page.add_init_script(CSP_WATCH)
    page.goto(url)
    expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    page.locator("#note-guest-name").fill(name)
    page.locator("#note-guest-form button").click()


def wait_for(predicate, *, timeout: float = 15.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def proxy(asgi_live_server):
    port = int(asgi_live_server.rsplit(":", 1)[1])
    proxy = CuttableProxy(target_port=port)
    yield proxy
    proxy.stop()


def test_live_notes_two_writers_one_drops_offline_and_everything_converges(
    browser, asgi_live_server, proxy
):
    event = make_event(slug="e2e-live", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Resilient Notes")
    path = talk.get_absolute_url()
    alice_page = browser.new_context().new_page()
    bob_page = browser.new_context().new_page()  # Bob's network is the proxy
    join_as_guest(alice_page, f"{asgi_live_server}{path}?write", "Alice")
    join_as_guest(bob_page, f"{proxy.url}{path}?write", "Bob")

    # Both type at the same time, in different places: Alice at the top, Bob at the end.
    type_at(alice_page, "Control+Home", "# Resilient Notes\n")
    expect(bob_page.locator("#note-editor .cm-content")).to_contain_text("# Resilient Notes")
    for n in range(3):
        type_at(alice_page, "Control+Home", f"a{n} ")
        type_at(bob_page, "Control+End", f"b{n}.")
    expect(alice_page.locator("#note-editor .cm-content")).to_contain_text("b2")
    expect(bob_page.locator("#note-editor .cm-content")).to_contain_text("a2")
    expect(alice_page.locator(".cm-ySelectionInfo")).to_have_text("Bob (guest)")
    expect(bob_page.locator(".cm-ySelectionInfo")).to_have_text("Alice (guest)")
    expect(alice_page.locator("#note-presence-count")).to_have_text("2 people here")
    # Bob's page is kept by the service worker for offline use.
    bob_page.wait_for_function(
        "async () => navigator.serviceWorker.controller !== null"
        " && (await caches.match(location.href)) !== undefined"
    )

    proxy.cut()  # Bob's Wi-Fi dies: his WebSocket is closed, reconnects are refused
    try:
        expect(bob_page.locator("#note-status")).to_have_attribute("data-connection", "offline")
        expect(alice_page.locator("#note-presence-count")).to_have_text("1 person here")
        type_at(bob_page, "Control+End", "\nbob offline")
        type_at(alice_page, "Control+End", "\nalice meanwhile")
        bob_page.wait_for_function(
            STORED_TEXT, arg=[f"confnotes-note-{talk.note_id}", "bob offline"]
        )

        bob_page.reload()  # still offline: the service worker serves the page
        expect(bob_page.locator("#note-editor")).to_have_attribute("data-ready", "true")
        expect(bob_page.locator("#note-editor .cm-content")).to_contain_text("bob offline")
        type_at(bob_page, "Control+End", "\nbob after reload")
        expect(bob_page.locator("#note-status")).to_have_attribute("data-saved", "false")
    finally:
        proxy.restore()

    for page in (alice_page, bob_page):
        expect(page.locator("#note-status")).to_have_attribute("data-saved", "true", timeout=20_000)
    expect(alice_page.locator("#note-editor .cm-content")).to_contain_text("bob after reload")
    expect(bob_page.locator("#note-editor .cm-content")).to_contain_text("alice meanwhile")
    # The strict CSP holds: the editor's styles carry the response's nonce.
    assert alice_page.evaluate("window.__csp") == []
    assert bob_page.evaluate("window.__csp") == []
    assert alice_page.evaluate(
        "getComputedStyle(document.querySelector('.cm-content')).whiteSpace"
    ) in {"pre", "pre-wrap", "break-spaces"}
    final = ytext(alice_page)
    assert ytext(bob_page) == final
    lines = final.split("\n")
    assert lines[0] == "a2 a1 a0 # Resilient Notes"
    assert lines[1] == "b0.b1.b2."
    assert sorted(lines[2:]) == ["alice meanwhile", "bob after reload", "bob offline"]

    # The reading page shows the new Markdown once the server has refreshed it.
    def reading_page() -> str:
        with urllib.request.urlopen(f"{asgi_live_server}{path}") as response:
            return response.read().decode()

    wait_for(lambda: "bob after reload" in reading_page(), what="the refreshed Markdown")
    html = reading_page()
    assert "<h1>Resilient Notes</h1>" in html
    for line in ("alice meanwhile", "bob offline", "bob after reload", "b0.b1.b2."):
        assert line in html


# Records every state the status indicator goes through.
STATE_WATCH = """
window.__states = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("note-status");
  new MutationObserver(() => {
    const state = status.dataset.connection;
    if (window.__states[window.__states.length - 1] !== state) window.__states.push(state);
  }).observe(status, {attributes: true, attributeFilter: ["data-connection"]});
});
"""


def stored_text(note_id: int) -> str:
    from notes.models import Note
    from notes.services import note_text

    return note_text(note=Note.objects.get(pk=note_id))


def close_connections_of_note(note_id: int, code: int, reason: str) -> int:
    """Close every server-side connection to a note, as the server does on its own
    (e.g. a client that could not keep up), on the server's event loop."""
    from notes.room import all_registries

    closed = 0
    for registry in all_registries():
        room = registry.room_if_open(note_id)
        for conn in list(room.clients) if room is not None else []:
            registry.loop.call_soon_threadsafe(conn.close, code, reason)
            closed += 1
    return closed


def test_a_client_the_server_drops_as_too_slow_shows_resyncing_and_catches_up(
    browser, asgi_live_server
):
    event = make_event(slug="e2e-resync", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Slow Wi-Fi")
    path = f"{asgi_live_server}{talk.get_absolute_url()}?write"
    reader = browser.new_context().new_page()
    reader.add_init_script(STATE_WATCH)
    join_as_guest(reader, path, "Rita")
    writer = browser.new_context().new_page()
    join_as_guest(writer, path, "Walt")
    type_at(writer, "Control+End", "before ")
    expect(reader.locator("#note-editor .cm-content")).to_contain_text("before")

    assert close_connections_of_note(talk.note_id, 1013, "too slow to keep up") == 2
    type_at(writer, "Control+End", "after")

    expect(reader.locator("#note-editor .cm-content")).to_contain_text("before after")
    expect(reader.locator("#note-status")).to_have_attribute("data-connection", "connected")
    states = reader.evaluate("window.__states")
    assert "resyncing" in states
    assert states[-1] == "connected"
    assert ytext(reader) == ytext(writer) == "before after"


def test_a_locked_note_turns_the_open_editor_read_only_and_says_why_until_unlocked(
    browser, asgi_live_server
):
    from notes.services import note_set_locked
    from sessions.access import NOTES_LOCKED

    event = make_event(slug="e2e-lock", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Heated Debate")
    page = browser.new_context().new_page()
    join_as_guest(page, f"{asgi_live_server}{talk.get_absolute_url()}?write", "Gus")
    type_at(page, "Control+End", "calm notes")
    editor = page.locator("#note-editor")

    # What the organizers' lock button does (the server runs in this process).
    note_set_locked(note_id=talk.note_id, locked=True)

    expect(editor).to_have_attribute("data-read-only", "true")
    expect(page.locator("#note-editor-message")).to_have_text(NOTES_LOCKED.text)
    expect(page.locator("#note-editor .cm-content")).to_have_attribute("contenteditable", "false")

    note_set_locked(note_id=talk.note_id, locked=False)

    expect(editor).to_have_attribute("data-read-only", "false")
    expect(page.locator("#note-editor-message")).to_be_hidden()
    type_at(page, "Control+End", ", again")
    wait_for(lambda: _stored(talk.note_id) == "calm notes, again", what="the stored text")


def _stored(note_id: int) -> str:
    from notes.models import Note
    from notes.services import note_text

    return note_text(note=Note.objects.get(pk=note_id))


def test_a_server_going_away_shows_reconnecting_and_the_editor_comes_back(
    browser, asgi_live_server
):
    event = make_event(slug="e2e-going-away", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Rolling restart")
    path = f"{asgi_live_server}{talk.get_absolute_url()}?write"
    page = browser.new_context().new_page()
    page.add_init_script(STATE_WATCH)
    join_as_guest(page, path, "Rita")
    type_at(page, "Control+End", "before ")

    # A worker shutting down closes its sockets with 1001: reconnect (elsewhere).
    assert close_connections_of_note(talk.note_id, 1001, "server shutting down; reconnect") == 1
    type_at(page, "Control+End", "after")

    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    states = page.evaluate("window.__states")
    assert "reconnecting" in states
    assert states[-1] == "connected"
    wait_for(lambda: stored_text(talk.note_id) == "before after", what="the text stored")


def test_while_the_database_is_away_the_editor_says_reconnecting_and_keeps_the_edits(
    browser, asgi_live_server
):
    from notes.health import database_health

    event = make_event(slug="e2e-db-away", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Database away")
    path = f"{asgi_live_server}{talk.get_absolute_url()}?write"
    page = browser.new_context().new_page()
    page.add_init_script(STATE_WATCH)
    join_as_guest(page, path, "Rita")
    type_at(page, "Control+End", "typed ")
    wait_for(lambda: stored_text(talk.note_id) == "typed ", what="the first words stored")
    # The live engine takes the database for down (as after a failed call): new sockets
    # are refused with 1013 "database unavailable" until it answers again.
    database_health.down_since = time.monotonic()
    try:
        assert close_connections_of_note(talk.note_id, 1001, "server shutting down") == 1
        expect(page.locator("#note-status")).to_have_attribute("data-connection", "reconnecting")
        expect(page.locator("#note-connection")).to_have_text("Reconnecting…")
        type_at(page, "Control+End", "meanwhile")
        time.sleep(1.5)  # a few refused attempts (y-websocket retries with backoff)
        assert page.locator("#note-status").get_attribute("data-connection") == "reconnecting"
    finally:
        database_health.down_since = None

    expect(page.locator("#note-status")).to_have_attribute(
        "data-connection", "connected", timeout=15_000
    )
    wait_for(lambda: stored_text(talk.note_id) == "typed meanwhile", what="the edits stored")
