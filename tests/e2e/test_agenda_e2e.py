"""Attendees and note-takers in Debian's chromium, against the real app (uvicorn):
star from the schedule and find it under "my agenda"; type in split view and see the
preview follow (also what someone else types); the phone's tabs; the formatting
shortcuts and the Markdown help; ticking a checklist item in the reading view reaches an
open editor; the outcomes page.

With CONFNOTES_SHOTS=<dir> set, the tests also save screenshots there (agenda.png,
split-desktop.png, split-phone.png, outcomes.png).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sessions.agenda.services import star_set
from sessions.board.identity import Actor
from sessions.models import Event
from tests.factories import make_event, make_open_space, make_room, make_slot, make_talk

from .editor_helpers import CSP_WATCH, shoot, type_at, ytext

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def conference() -> dict:
    """A two-day event starting today that lets guests write, with talks and open spaces."""
    today = timezone.localdate()
    event = make_event(
        name="DevOpsDays Paris",
        slug="devopsdays",
        start_date=today,
        end_date=today + timedelta(days=1),
        notes_access=Event.NotesAccess.GUESTS,
        venue="Espace Charenton",
    )
    tz = event.tz
    day = today + timedelta(days=1)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)

    main, side = (
        make_room(event=event, name="Main hall", position=0, capacity=300),
        make_room(event=event, name="Room B", position=1, capacity=12),
    )
    keynote = make_talk(
        event=event, title="Keynote: Culture eats pipelines", speakers="Patrick Debois",
        start=at(9), end=at(9, 45), room=main,
    )  # fmt: skip
    clash = make_talk(
        event=event, title="Monitoring without tears", speakers="Ada Lovelace",
        start=at(9, 30), end=at(10, 15), room=side,
    )  # fmt: skip
    ignite = make_talk(
        event=event, title="Ignite: Five years of on-call", kind="ignite", speakers="Grace Hopper",
        start=at(11), end=at(11, 5), room=main,
    )  # fmt: skip
    slot = make_slot(event=event, start=at(14), end=at(14, 45))
    kanban = make_open_space(
        event=event, title="Kanban for ops teams", host="Gus", room=side, slot=slot,
        status="scheduled",
    )  # fmt: skip
    return {"event": event, "keynote": keynote, "clash": clash, "ignite": ignite, "kanban": kanban}


def test_star_from_the_schedule_and_find_it_under_my_agenda(browser, asgi_live_server):
    c = conference()
    event = c["event"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.add_init_script(CSP_WATCH)
    page.goto(f"{asgi_live_server}{event.get_absolute_url()}")

    for item in ("keynote", "clash", "kanban"):
        star = page.locator(
            f'.schedule-table form.star[data-star$="-{c[item].pk}"]'
            f'[data-star^="{"open-space" if item == "kanban" else "talk"}"] button'
        )
        expect(star).to_have_attribute("aria-pressed", "false")
        star.click()
        expect(star).to_have_attribute("aria-pressed", "true")
        expect(star).to_contain_text("Starred")
    page.get_by_role("link", name="My agenda").click()

    items = page.locator("#agenda-scheduled .agenda-item .agenda-item__title")
    expect(items).to_have_text(
        ["Keynote: Culture eats pipelines", "Monitoring without tears", "Kanban for ops teams"]
    )
    expect(page.locator("#agenda-clashes")).to_have_text(
        "2 of your sessions overlap another: you cannot be at both."
    )
    expect(page.locator(f"#agenda-talk-{c['keynote'].pk} .agenda-item__clash")).to_contain_text(
        "Clashes with Monitoring without tears"
    )
    # Unstarring from the agenda, then a reload: the person's stars live on the server.
    page.locator(f"#agenda-talk-{c['clash'].pk} form.star button").click()
    expect(page.locator(f"#agenda-talk-{c['clash'].pk} form.star button")).to_have_attribute(
        "aria-pressed", "false"
    )
    star_again = page.locator(f"#agenda-talk-{c['clash'].pk} form.star button")
    star_again.click()
    expect(star_again).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Get my calendar address").click()
    expect(page.locator("#agenda-feed-url")).to_have_value(
        re.compile(rf"^{re.escape(asgi_live_server)}/events/{event.slug}/my/[\w-]{{43}}\.ics$")
    )
    page.reload()
    expect(items).to_have_count(3)
    assert page.evaluate("window.__csp") == []
    shoot(page, "agenda.png", full_page=True)
    context.close()


def append_text(page: Page, text: str) -> None:
    """Add text at the end of the page's shared text (its Y.Text), as an editor's edit.
    Typed, Enter in a list item would continue the list (CodeMirror's Markdown keymap),
    which is not what these tests are about."""
    page.evaluate(
        "(text) => { const y = document.getElementById('note-editor').confnotes.ytext;"
        " y.insert(y.length, text); }",
        text,
    )


def open_editor(browser, url: str, name: str, **context_options) -> Page:
    page = browser.new_context(**context_options).new_page()
    page.add_init_script(CSP_WATCH)
    page.goto(url)
    expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    page.locator("#note-guest-name").fill(name)
    page.locator("#note-guest-form button").click()
    return page


def test_split_view_preview_follows_everyone_typing_and_is_remembered(browser, asgi_live_server):
    c = conference()
    url = f"{asgi_live_server}{c['keynote'].get_absolute_url()}?write"
    alice = open_editor(browser, url, "Alice", viewport={"width": 1366, "height": 900})
    bob = open_editor(browser, url, "Bob", viewport={"width": 1366, "height": 900})

    toggle = alice.locator("#note-split-toggle")
    expect(toggle).to_be_visible()
    expect(alice.locator("#note-tabs")).to_be_hidden()
    expect(alice.locator("#note-preview")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(alice.locator("#note-panes")).to_have_attribute("data-split", "true")
    type_at(alice, "Control+End", "# Culture eats pipelines\n\n")  # typed, key by key
    append_text(alice, "Decision: blameless retros from now on\n- [ ] Alice: share the slides\n")
    preview = alice.locator("#note-preview")
    expect(preview.locator("h1")).to_have_text("Culture eats pipelines")
    expect(preview.locator("#L3")).to_have_text("Decision: blameless retros from now on")
    expect(preview.locator('li input[type="checkbox"]')).to_have_count(1)

    # Someone else types: the preview follows too.
    bob.locator("#note-split-toggle").click()
    append_text(bob, "- [x] Bob: book the *follow-up* room\n\n> Culture is what you do.\n")
    expect(preview.locator("em")).to_have_text("follow-up")
    expect(preview.locator("blockquote")).to_contain_text("Culture is what you do.")
    expect(preview.locator('input[type="checkbox"]:checked')).to_have_count(1)
    expect(bob.locator("#note-preview h1")).to_have_text("Culture eats pipelines")

    # Remembered: the split is back after a reload.
    alice.reload()
    expect(alice.locator("#note-editor")).to_have_attribute("data-ready", "true")
    expect(alice.locator("#note-split-toggle")).to_have_attribute("aria-pressed", "true")
    expect(alice.locator("#note-preview blockquote")).to_contain_text("Culture is what you do.")
    assert alice.evaluate("window.__csp") == []
    assert bob.evaluate("window.__csp") == []
    alice.locator("#note-editor .cm-content").click()
    shoot(alice, "split-desktop.png")


def test_the_phone_has_write_and_preview_tabs(browser, asgi_live_server):
    c = conference()
    page = open_editor(
        browser, f"{asgi_live_server}{c['keynote'].get_absolute_url()}?write", "Pat", **PHONE
    )

    expect(page.locator("#note-split-toggle")).to_be_hidden()
    write_tab, preview_tab = (
        page.get_by_role("tab", name="Write"),
        page.get_by_role("tab", name="Preview"),
    )
    expect(write_tab).to_have_attribute("aria-selected", "true")
    type_at(page, "Control+End", "## From my phone\n\n")
    append_text(page, "- [ ] try the tabs\n- [x] **bold** move\n\nOutcome: tabs work")
    preview_tab.click()

    expect(preview_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#note-editor")).to_be_hidden()
    expect(page.locator("#note-preview h2")).to_have_text("From my phone")
    expect(page.locator("#note-preview strong")).to_have_text("bold")
    shoot(page, "split-phone.png", full_page=True)
    page.keyboard.press("ArrowLeft")  # the tabs speak the keyboard too
    expect(write_tab).to_have_attribute("aria-selected", "true")
    expect(page.locator("#note-editor")).to_be_visible()
    expect(page.locator("#note-preview")).to_be_hidden()


def test_formatting_shortcuts_and_the_markdown_help(browser, asgi_live_server):
    c = conference()
    page = open_editor(browser, f"{asgi_live_server}{c['ignite'].get_absolute_url()}?write", "Kim")
    type_at(page, "Control+End", "bold italic link\n- item")

    page.keyboard.press("Home")
    page.keyboard.press("Control+]")  # indent the list item
    page.keyboard.press("Control+Home")
    page.keyboard.press("Shift+End")
    page.keyboard.press("Control+b")
    page.keyboard.press("Control+i")
    assert ytext(page) == "***bold italic link***\n  - item"
    page.keyboard.press("Control+i")  # off again
    page.keyboard.press("Control+k")
    page.keyboard.type("https://example.org")
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+[")  # outdent

    assert ytext(page) == "**[bold italic link](https://example.org)**\n- item"
    help_button = page.get_by_role("button", name="Markdown help")
    expect(help_button).to_be_visible()
    help_button.click()
    expect(page.locator("#note-md-help")).to_be_visible()
    expect(page.locator("#note-md-help")).to_contain_text("- [ ] call the venue")
    page.keyboard.press("Escape")
    expect(page.locator("#note-md-help")).to_be_hidden()


def test_ticking_in_the_reading_view_reaches_an_open_editor(browser, asgi_live_server):
    c = conference()
    talk = c["clash"]
    editor = open_editor(browser, f"{asgi_live_server}{talk.get_absolute_url()}?write", "Eve")
    append_text(editor, "Actions:\n\n- [ ] Eve: send the graphs\n- [ ] Dan: fix the alert\n")
    expect(editor.locator("#note-status")).to_have_attribute("data-saved", "true")
    reader = browser.new_context().new_page()
    reader.add_init_script(CSP_WATCH)
    boxes = reader.locator('#notes-rendered input[type="checkbox"]')
    for _ in range(50):  # the reading page shows the Markdown the server refreshes (~2 s)
        reader.goto(f"{asgi_live_server}{talk.get_absolute_url()}")
        if boxes.count() == 2:
            break
        reader.wait_for_timeout(200)
    expect(boxes).to_have_count(2)
    expect(boxes.nth(1)).to_be_enabled()  # the reader may write: ticking is offered

    boxes.nth(1).check()

    expect(editor.locator("#note-editor .cm-content")).to_contain_text("- [x] Dan: fix the alert")
    expect(reader.locator('#notes-rendered input[type="checkbox"]').nth(1)).to_be_checked()
    expect(reader.locator('#notes-rendered input[type="checkbox"]').nth(1)).to_be_enabled()
    assert ytext(editor) == "Actions:\n\n- [ ] Eve: send the graphs\n- [x] Dan: fix the alert\n"
    assert reader.evaluate("window.__csp") == []


def test_the_outcomes_page(browser, asgi_live_server):
    c = conference()
    notes = {
        "keynote": "Decision: blameless retros from now on\n\n- [ ] Alice: share the slides\n"
        "- [x] Bob: book the follow-up room\n",
        "clash": "**Outcome:** one dashboard per team\n\n- [ ] Dan: fix the noisy alert\n",
        "kanban": "We compared boards.\n\nDecision: WIP limit of 3 for a month\n"
        "- [ ] Gus: start a mailing list\n- [ ] Ana: write up the *experiment*\n",
    }
    for name, text in notes.items():
        c[name].note.markdown = text
        c[name].note.save(update_fields=["markdown"])
    star_set(actor=Actor(guest_key="someone"), item=c["kanban"], starred=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.add_init_script(CSP_WATCH)
    page.goto(f"{asgi_live_server}/events/{c['event'].slug}/outcomes/")

    expect(page.locator("#outcomes-totals")).to_have_text(
        "3 decisions · 5 action items (4 open) · 3 sessions"
    )
    page.locator(f"#outcomes-open-space-{c['kanban'].pk} .outcome__line").first.click()
    expect(page).to_have_url(f"{asgi_live_server}{c['kanban'].get_absolute_url()}#L3")
    expect(page.locator("#L3")).to_have_text("Decision: WIP limit of 3 for a month")
    expect(page.locator("#L3")).to_be_in_viewport()
    page.go_back()
    assert page.evaluate("window.__csp") == []
    shoot(page, "outcomes.png", full_page=True)
