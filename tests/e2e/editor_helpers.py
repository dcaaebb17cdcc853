"""Helpers for browser tests of the live note editor (`#note-editor`)."""

import os
from pathlib import Path

from playwright.sync_api import Page

# With CONFNOTES_SHOTS=<dir> set, browser tests save screenshots there (for the notes of
# an issue or a review); without it they take none.
SHOTS = os.environ.get("CONFNOTES_SHOTS", "")


def shoot(page: Page, name: str, **options) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), **options)


# Read the note as kept in IndexedDB, through a second y-indexeddb reader.
# Use with `page.wait_for_function(STORED_TEXT, arg=[db_name, expected_substring])`.
STORED_TEXT = """async ([name, expected]) => {
  const { doc, persistence } = document.getElementById("note-editor").confnotes;
  const copy = new doc.constructor();
  const reader = new persistence.constructor(name, copy);
  await reader.whenSynced;
  const text = copy.getText("content").toString();
  await reader.destroy();
  return text.includes(expected);
}"""


def ytext(page: Page) -> str:
    """The editor's shared text (its Y.Text) as this page holds it now."""
    return page.evaluate("document.getElementById('note-editor').confnotes.ytext.toString()")


def type_at(page: Page, key: str, text: str) -> None:
    """Focus the editor, press `key` (e.g. "Control+End") to move the cursor, type `text`."""
    page.locator("#note-editor .cm-content").click()
    page.keyboard.press(key)
    page.keyboard.type(text)


# Collects Content-Security-Policy violations of a page (add with add_init_script).
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""
