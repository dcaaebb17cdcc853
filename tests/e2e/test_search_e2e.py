"""Search in a real browser (Debian's chromium): type a query, see highlighted results
update as you type, open one. Leaves a screenshot of the results page in test-results/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from notes.models import Note
from tests.factories import make_event, make_talk

from .editor_helpers import CSP_WATCH

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "test-results" / "search-results.png"


def test_type_a_query_see_highlighted_results_and_open_one(browser, asgi_live_server):
    event = make_event(name="Harbourside Ops Days", slug="harbourside")
    talk = make_talk(event=event, title="Canary releases", speakers="Ann Lee")
    Note.objects.filter(pk=talk.note_id).update(
        markdown="- the **canary** caught the bad build before the blast radius grew\n"
    )
    make_talk(event=event, title="Kubernetes operators", abstract="A canary on Kubernetes")
    make_talk(event=event, title="Unrelated talk")
    page = browser.new_context().new_page()
    page.add_init_script(CSP_WATCH)
    page.goto(f"{asgi_live_server}/search/")
    page.evaluate("window.notReloaded = true")

    page.locator("#search-q").press_sequentially("canary -kubernetes", delay=40)

    results = page.locator("#search-results .search-hit")
    expect(results).to_have_count(1)
    expect(results.first.locator(".search-hit__title mark")).to_have_text("Canary")
    expect(results.first.locator(".search-hit__passage")).to_have_text(
        "the canary caught the bad build before the blast radius grew"
    )
    expect(results.first.locator(".search-hit__passage mark")).to_have_text("canary")
    expect(page.locator("#search-count")).to_have_text("1 result for canary -kubernetes")
    # The address follows the query (hx-push-url): it can be shared or reloaded.
    expect(page).to_have_url(re.compile(r"/search/\?q=canary(%20|\+)-kubernetes&"))
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the results in place
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    results.first.locator(".search-hit__title a").click()

    expect(page.locator("h1")).to_have_text("Canary releases")
    expect(page).to_have_url(f"{asgi_live_server}/events/harbourside/talks/canary-releases/")
    page.go_back()
    expect(page.locator("#search-results .search-hit")).to_have_count(1)
    assert page.evaluate("window.__csp") == []
