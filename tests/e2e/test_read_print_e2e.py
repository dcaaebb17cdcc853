""" "Read it all" in a real browser (Debian's chromium): the contents lead to each item
by keyboard, and printed, the page is proceedings — no site chrome, links with their
addresses, contents on a page of their own."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_event
from tests.sessions.archive.helpers import make_spoken_talk

pytestmark = pytest.mark.e2e


def test_read_it_all_contents_and_print(asgi_live_server, page):
    event = make_event(name="Print Conf", slug="print-conf")
    make_spoken_talk(
        event=event,
        title="Canaries",
        speakers=["Ada Lovelace"],
        notes="- ship a little\n- see [the runbook](https://example.org/runbook)",
    )
    second = make_spoken_talk(event=event, title="Quiet talk", speakers=["Bob"])
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if m.type == "error" else None)

    page.goto(f"{asgi_live_server}/events/print-conf/read/")
    page.locator("#contents").get_by_role("link", name="Quiet talk").focus()
    page.keyboard.press("Enter")

    assert page.evaluate("location.hash") == f"#talk-{second.pk}"
    expect(page.locator(f"#talk-{second.pk} .read-item__empty")).to_have_text("No notes yet.")
    expect(page.locator(".site-header")).to_be_visible()

    page.emulate_media(media="print")

    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".proceedings .actions")).to_be_hidden()
    expect(page.locator(".read-source")).to_be_visible()
    after = page.evaluate(
        """() => getComputedStyle(
            document.querySelector('.notes-rendered a[href^="https"]'), '::after').content"""
    )
    assert after == '" <https://example.org/runbook>"'
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.read-toc')).breakAfter") == "page"
    )
    assert csp_errors == []
