"""The built editor bundle (static/build/editor.js) in Debian's chromium.

The page is the real template fragment (templates/notes/_editor.html) under
the app's real Content-Security-Policy; the server is a small in-memory
y-websocket server that keeps the contract the editor relies on
(contract_server.py). The end-to-end test against the Django live server
belongs with the server; this one pins down the browser side.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from csp.constants import NONCE
from django.conf import settings
from django.template.loader import render_to_string
from playwright.sync_api import Page, expect

from .contract_server import ContractServer, static_pages
from .editor_helpers import CSP_WATCH, STORED_TEXT, type_at, ytext

pytestmark = pytest.mark.e2e

STATIC = Path(settings.BASE_DIR) / "static"
READ_ONLY_NOTE = 901


def csp_header(nonce: str) -> str:
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    return "; ".join(
        " ".join([name, *(f"'nonce-{nonce}'" if value == NONCE else value for value in values)])
        for name, values in directives.items()
    )


def note_page(path: str):
    url = urlsplit(path)
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    note_id = int(url.path.strip("/").split("/")[-1])
    nonce = secrets.token_urlsafe(16)
    fragment = render_to_string(
        "notes/_editor.html",
        {
            "note": {"pk": note_id},
            "can_write": query.get("write", "1") == "1",
            "user_name": query.get("name", ""),
            "is_guest": query.get("guest") == "1",
            "markdown": query.get("text", ""),
            "csp_nonce": nonce,
        },
    )
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Note {note_id}</title></head><body><main>{fragment}</main></body></html>"
    )
    return "text/html; charset=utf-8", html.encode(), {"Content-Security-Policy": csp_header(nonce)}


def service_worker(_path: str):
    body = (STATIC / "build" / "sw.js").read_bytes()
    return (
        "application/javascript",
        body,
        {"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@pytest.fixture(scope="module")
def server():
    routes = {"/sw.js": service_worker}
    for note_id in (1, 2, 3, 4, 403, 404, READ_ONLY_NOTE):
        routes[f"/notes/{note_id}/"] = note_page
    contract = ContractServer(static_pages(STATIC, routes), read_only={READ_ONLY_NOTE})
    contract.start()
    yield contract
    contract.close()


@pytest.fixture
def open_note(browser, server):
    contexts = []

    def open_(note_id: int, **query: str) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(CSP_WATCH)
        qs = "&".join(f"{key}={value}" for key, value in query.items())
        page.goto(f"http://127.0.0.1:{server.port}/notes/{note_id}/?{qs}")
        return page

    yield open_
    for context in contexts:
        context.close()


def expect_saved(page: Page) -> None:
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    expect(page.locator("#note-status")).to_have_attribute("data-saved", "true", timeout=10_000)
    expect(page.locator("#note-saved")).to_have_text("All changes saved")


def test_editor_two_people_type_converge_and_see_each_other(open_note, server):
    alice = open_note(1, name="Alice")
    guest = open_note(1, guest="1")
    for page in (alice, guest):
        expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
        expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")

    expect(guest.locator("#note-guest-form")).to_be_visible()
    guest.locator("#note-guest-name").fill("Bob the guest")
    guest.locator("#note-guest-form button").click()

    type_at(alice, "Control+End", "# Keynote\nAlice was here.")
    expect(guest.locator("#note-editor .cm-content")).to_contain_text("Alice was here.")
    type_at(guest, "Control+End", "\nBob too.")

    expected = "# Keynote\nAlice was here.\nBob too."
    expect(alice.locator("#note-editor .cm-content")).to_contain_text("Bob too.")
    assert ytext(alice) == expected
    assert ytext(guest) == expected
    for page in (alice, guest):
        expect_saved(page)
    assert server.text(1) == expected

    # Presence and remote cursor labels carry the names.
    for page in (alice, guest):
        expect(page.locator("#note-presence-count")).to_have_text("2 people here")
    expect(alice.locator("#note-presence-list")).to_contain_text("Bob the guest")
    expect(alice.locator(".cm-ySelectionInfo")).to_have_text("Bob the guest (guest)")
    expect(guest.locator(".cm-ySelectionInfo")).to_have_text("Alice")
    assert guest.evaluate("localStorage.getItem('confnotes-guest-name')") == "Bob the guest"
    # Markdown highlighting is on (the heading is styled by a highlight class).
    assert alice.locator("#note-editor .cm-line").first.locator("span").count() >= 1

    # A person leaving disappears at once.
    guest.context.close()
    expect(alice.locator("#note-presence-count")).to_have_text("1 person here")
    assert alice.evaluate("window.__csp") == []


def test_editor_offline_edits_survive_reload_and_reach_the_server(open_note, server):
    page = open_note(2, name="Carol", text="")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    type_at(page, "Control+End", "online line")
    expect_saved(page)
    # The service worker controls the page and has kept it for offline use.
    page.wait_for_function(
        "async () => navigator.serviceWorker.controller !== null"
        " && (await caches.match(location.href)) !== undefined"
        " && (await caches.match(document.querySelector('script[type=module]').src)) !== undefined"
    )

    server.stop()  # the network is gone: sockets closed, connections refused
    try:
        expect(page.locator("#note-status")).to_have_attribute("data-connection", "offline")
        type_at(page, "Control+End", "\noffline line")
        expect(page.locator("#note-status")).to_have_attribute("data-saved", "false")
        expect(page.locator("#note-saved")).to_contain_text("Unsaved changes")
        # IndexedDB writes are asynchronous: a reload in the same millisecond
        # as the last keystroke may abort the write of that keystroke.
        page.wait_for_function(STORED_TEXT, arg=["confnotes-note-2", "offline line"])

        page.reload()  # served by the service worker; the text comes from IndexedDB
        expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
        expect(page.locator("#note-editor .cm-content")).to_contain_text("offline line")
        type_at(page, "Control+End", "\nafter reload")
        expect(page.locator("#note-status")).to_have_attribute("data-saved", "false")
    finally:
        server.start()
    expect_saved(page)
    assert server.text(2) == "online line\noffline line\nafter reload"
    assert page.evaluate("window.__csp") == []


def test_editor_deletion_counts_as_saved_only_once_the_server_has_it(open_note, server):
    # Deleting moves no state vector: "saved" must wait for the server's answer.
    page = open_note(4, name="Hal")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    type_at(page, "Control+End", "keep drop")
    expect_saved(page)

    for _ in range(5):
        page.keyboard.press("Backspace")
    expect(page.locator("#note-status")).to_have_attribute("data-saved", "false")

    expect_saved(page)
    assert server.text(4) == "keep"


def test_editor_reader_sees_live_updates_read_only(open_note, server):
    writer = open_note(3, name="Dan")
    reader = open_note(3, write="0", name="Erin")
    expect(reader.locator("#note-editor")).to_have_attribute("data-read-only", "true")
    expect(reader.locator("#note-editor .cm-content")).to_have_attribute("contenteditable", "false")
    type_at(writer, "Control+End", "live for readers")
    expect(reader.locator("#note-editor .cm-content")).to_contain_text("live for readers")
    expect(reader.locator("#note-saved")).to_have_text("Read-only")


def test_editor_server_read_only_switches_editor_to_read_only(open_note, server):
    page = open_note(READ_ONLY_NOTE, name="Fay")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    type_at(page, "Control+End", "x")
    message = page.locator("#note-editor-message")
    expect(message).to_have_attribute("data-reason", "read-only")
    expect(message).to_contain_text("read-only")
    expect(page.locator("#note-editor")).to_have_attribute("data-read-only", "true")
    expect(page.locator("#note-editor .cm-content")).to_have_attribute("contenteditable", "false")


@pytest.mark.parametrize(
    ("note_id", "reason", "text"),
    [
        (404, "not-found", "This note does not exist."),
        (403, "forbidden", "You may not edit this note."),
    ],
)
def test_editor_refused_connection_stops_and_explains(open_note, server, note_id, reason, text):
    page = open_note(note_id, name="Gil")
    message = page.locator("#note-editor-message")
    expect(message).to_have_attribute("data-reason", reason)
    expect(message).to_have_text(text)
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "closed")
    attempts = sum(1 for path in server.requests if path == f"/ws/notes/{note_id}/")
    page.wait_for_timeout(1500)  # y-websocket would have retried within 0.2–1 s
    assert sum(1 for path in server.requests if path == f"/ws/notes/{note_id}/") == attempts
