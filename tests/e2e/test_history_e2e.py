"""Note history and authorship in a real browser (Debian's chromium) against the real app
(uvicorn, Channels, the notes engine): two people write, someone vandalises the notes,
an organizer restores an older revision from the history page, and both editors show
it at once; the timeslider works from the keyboard, the comparison is chosen with htmx,
and "who wrote what" colours the editor's text by author.
"""

import pytest
from django.db import OperationalError
from django.test import Client
from playwright.sync_api import Page, expect

from notes.models import NoteRevision
from notes.services import note_text
from notes.textdiff import diff_html
from sessions.models import Event
from tests.factories import make_event, make_talk, make_user

from .editor_helpers import CSP_WATCH, shoot, type_at, ytext
from .test_live_notes import wait_for

pytestmark = pytest.mark.e2e

# (No list markers: the editor continues a list on Enter.)
GOOD = "Plan: keep this.\n\nGuest line."


@pytest.fixture
def revisions_as_they_come(settings):
    """A revision at every Markdown refresh (0.2 s after an edit), not every 5 minutes."""
    settings.NOTES_LIVE = {"MARKDOWN_INTERVAL": 0.2, "REVISION_INTERVAL": 0}


def stored(predicate):
    """A predicate on the database for `wait_for`, polled while the server writes: on
    SQLite's in-memory test database a read can find the table locked for a moment."""

    def check() -> bool:
        try:
            return predicate()
        except OperationalError:
            return False

    return check


def signed_in_page(browser, base_url: str, user) -> Page:
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )
    page = context.new_page()
    page.add_init_script(CSP_WATCH)
    return page


def guest_page(browser, url: str, name: str) -> Page:
    """A guest's editor, named before it connects (the server credits a guest's edits to
    the name it connected with)."""
    page = browser.new_context().new_page()
    page.add_init_script(f"localStorage.setItem('confnotes-guest-name', {name!r})")
    page.add_init_script(CSP_WATCH)
    page.goto(url)
    expect(page.locator("#note-editor")).to_have_attribute("data-ready", "true")
    expect(page.locator("#note-status")).to_have_attribute("data-connection", "connected")
    return page


def editor_text(page: Page):
    return page.locator("#note-editor .cm-content")


@pytest.mark.usefixtures("revisions_as_they_come")
def test_two_write_one_restores_an_older_revision_and_both_editors_show_it(
    browser, asgi_live_server
):
    event = make_event(slug="e2e-history", notes_access=Event.NotesAccess.GUESTS)
    organizer = make_user(username="olga", first_name="Olga", last_name="Organizer")
    event.organizers.add(organizer)
    talk = make_talk(event=event, title="Undo Vandalism")
    path = talk.get_absolute_url()
    olga = signed_in_page(browser, asgi_live_server, organizer)
    olga.goto(f"{asgi_live_server}{path}?write")
    expect(olga.locator("#note-status")).to_have_attribute("data-connection", "connected")
    gus = guest_page(browser, f"{asgi_live_server}{path}?write", "Gus")

    type_at(olga, "Control+End", "Plan: keep this.\n\n")
    expect(editor_text(gus)).to_contain_text("keep this")
    type_at(gus, "Control+End", "Guest line.")
    expect(editor_text(olga)).to_contain_text("Guest line.")
    wait_for(
        stored(lambda: NoteRevision.objects.filter(note=talk.note, markdown=GOOD).exists()),
        what="a revision of the good text",
    )
    good = NoteRevision.objects.filter(note=talk.note, markdown=GOOD).latest("pk")

    # Vandalism: Gus selects everything and types over it.
    editor_text(gus).click()
    gus.keyboard.press("Control+a")
    gus.keyboard.type("spam spam")
    wait_for(lambda: ytext(olga) == "spam spam", what="the vandalism to reach Olga")

    history = olga.context.new_page()
    history.add_init_script(CSP_WATCH)
    history.goto(f"{asgi_live_server}{path}history/{good.pk}/")
    expect(history.locator("#revision-rendered p")).to_have_text(
        ["Plan: keep this.", "Guest line."]
    )
    history.locator(f"#restore-{good.pk}").click()
    expect(history.locator(".message--success")).to_contain_text("Restored the notes")

    # Both open editors show the restored text at once, and keep working.
    for page in (olga, gus):
        expect(editor_text(page)).to_contain_text("keep this")
        expect(editor_text(page)).to_contain_text("Guest line.")
        expect(editor_text(page)).not_to_contain_text("spam")
    type_at(gus, "Control+End", " After the restore.")
    expect(editor_text(olga)).to_contain_text("After the restore.")
    assert ytext(olga) == ytext(gus) == GOOD + " After the restore."
    restore = NoteRevision.objects.get(note=talk.note, reason=NoteRevision.Reason.RESTORE)
    assert (restore.markdown, restore.created_by_name, restore.restored_from_id) == (
        GOOD,
        "Olga Organizer",
        good.pk,
    )
    # The restore shows in the history, with who did it.
    history.goto(f"{asgi_live_server}{path}history/")
    expect(history.locator(f"#revision-{restore.pk} .revision__reason")).to_contain_text(
        "Restored by Olga Organizer"
    )
    shoot(history, "history.png", full_page=True)

    # Who wrote what, in Olga's editor: Gus's words in Gus's colour, a legend naming both
    # (the text the restore put back is Olga's: she wrote it back).
    olga.locator("#note-authors-toggle").click()
    expect(olga.locator("#note-authors-toggle")).to_have_attribute("aria-pressed", "true")
    expect(olga.locator('#note-editor .cm-content .author[title="Gus"]').first).to_contain_text(
        "After the restore."
    )
    expect(olga.locator("#note-authors-legend")).to_contain_text("Gus")
    expect(olga.locator("#note-authors-legend")).to_contain_text("Olga Organizer")
    shoot(olga, "authorship-editor.png")
    # The reading view reads the same from the stored document (Yjs clients' items,
    # decoded on the server).
    wait_for(
        stored(lambda: note_text(note=talk.note) == GOOD + " After the restore."),
        what="the stored text",
    )
    history.goto(f"{asgi_live_server}{path}?authors")
    expect(history.locator('#notes-authorship-text .author[title="Gus"]')).to_have_text(
        " After the restore."
    )
    expect(history.locator('#notes-authorship-text .author[title="Olga Organizer"]')).to_have_text(
        GOOD
    )
    shoot(history, "authorship.png", full_page=True)
    for page in (olga, gus, history):
        assert page.evaluate("window.__csp") == []


@pytest.mark.usefixtures("revisions_as_they_come")
def test_the_timeslider_works_from_the_keyboard_and_the_comparison_with_htmx(
    browser, asgi_live_server
):
    event = make_event(slug="e2e-timeslider", notes_access=Event.NotesAccess.GUESTS)
    talk = make_talk(event=event, title="Scrubbing")
    path = talk.get_absolute_url()
    writer = guest_page(browser, f"{asgi_live_server}{path}?write", "Wanda")
    typed = ""
    for word in ("first", " second", " third"):
        typed += word
        type_at(writer, "Control+End", word)
        revision_of = NoteRevision.objects.filter(note=talk.note, markdown=typed)
        wait_for(stored(revision_of.exists), what=f"a revision of {typed!r}")
    revisions = list(NoteRevision.objects.filter(note=talk.note).order_by("created_at", "pk"))
    texts = [revision.markdown for revision in revisions]
    reader = browser.new_context().new_page()
    reader.add_init_script(CSP_WATCH)
    reader.goto(f"{asgi_live_server}{path}history/")
    view = reader.locator("#timeslider-view")
    expect(view).to_have_attribute("data-position", str(len(texts)))

    reader.locator("#timeslider-at").focus()
    reader.keyboard.press("Home")
    expect(view).to_have_attribute("data-position", "1")
    expect(reader.locator("#timeslider-rendered")).to_have_text(texts[0])
    reader.keyboard.press("ArrowRight")
    expect(view).to_have_attribute("data-position", "2")
    expect(reader.locator("#timeslider-rendered")).to_have_text(texts[1])

    reader.locator("#compare-from").select_option(str(revisions[0].pk))
    expect(reader.locator("#diff-sides")).to_have_text(
        "Changes from revision 1 to now: inserted, deleted."
    )
    assert reader.locator("#diff").inner_html() == diff_html(texts[0], "first second third")
    shoot(reader, "diff.png", full_page=True)
    assert reader.url.endswith("/history/")  # swapped in place, no navigation
    assert reader.evaluate("window.__csp") == []
