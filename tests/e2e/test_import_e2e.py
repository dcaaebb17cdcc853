"""The notes import page in a real browser (Debian's chromium), on a phone's screen and
without JavaScript: upload a .zip, read the preview, change a kind, import."""

import io
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sessions.models import OpenSpace, Talk
from tests.factories import make_event, make_user

from .test_board_e2e import sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SCREENSHOT = Path(os.environ.get("IMPORT_SCREENSHOT", "/tmp/import-preview-phone.png"))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "notes-main/README.md", "# Ops Days notes\n\nOur notes.\n\n## License\n\nCC BY\n"
        )
        archive.writestr(
            "notes-main/day1/keeping-state.md",
            "# Ada Lovelace: Keeping state in a very long title that must wrap on a phone\n\n"
            "## Problem\n\n- caches everywhere, and a long line of notes that goes on and on\n",
        )
        archive.writestr("notes-main/day2/kanban/README.md", "- limit work in progress\n")
    return buffer.getvalue()


@pytest.mark.parametrize("javascript", [False, True])
def test_import_a_zip_on_a_phone(asgi_live_server, browser, javascript):
    event = make_event(name="Ops Days", slug="ops-days", start_date=date(2026, 6, 10))
    organizer = make_user(username="orga")
    event.organizers.add(organizer)
    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript)
    sign_in(context, asgi_live_server, organizer)
    page = context.new_page()
    violations = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )

    page.goto(f"{asgi_live_server}/events/ops-days/import/")
    page.set_input_files(
        "#id_files", {"name": "notes.zip", "mimeType": "application/zip", "buffer": _zip()}
    )
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#import-preview")).to_contain_text("2 would be created")
    expect(page.locator("#import-item-0 .import-item__title")).to_have_text(
        "Keeping state in a very long title that must wrap on a phone"
    )
    expect(page.locator("#import-description")).to_contain_text("Our notes.")
    expect(page.locator("#import-skipped summary")).to_contain_text("1 skipped")
    # Nothing sticks out of a phone's screen.
    for box in ("#import-preview", "#import-item-0", "#import-item-0 pre", "#id_form-0-people"):
        found = page.locator(box).bounding_box()
        assert found["x"] >= 0, box
        assert found["x"] + found["width"] <= PHONE["width"], box
    if javascript:
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.select_option("#id_form-1-kind", "open-space")
    page.get_by_role("button", name="Import 2 items").click()

    expect(page.locator(".message--success")).to_contain_text(
        "Ops Days: 2 were created, 0 updated, 0 unchanged."
    )
    assert Talk.objects.get(event=event).title.startswith("Keeping state")
    assert OpenSpace.objects.get(event=event).title == "Kanban"
    assert violations == []
    context.close()
