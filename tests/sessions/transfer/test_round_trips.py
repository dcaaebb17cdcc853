"""Notes through our own exports and back (Hypothesis): byte for byte, and no change on re-import.

The notes are generated from what note takers write (tests/strategies.py):
inline code with "*", "/", "=", "~", "+", emphasis, strikethrough, bold links,
link titles, wrapped links, code blocks, tables, "+1" vote lines.
"""

import os
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings

from notes import markup
from notes.services import note_replace_text
from sessions.models import Talk
from sessions.transfer.exporting import event_export_markdown, event_export_org
from sessions.transfer.importing import event_import
from tests import strategies
from tests.factories import make_event, make_talk

from .helpers import database_state

pytestmark = pytest.mark.django_db

# Each example writes and reads the database (about 0.2 s): 25 per test in the suite,
# ROUND_TRIP_DB_EXAMPLES=500 for a longer hunt. The conversions alone run many
# more examples in tests/notes/test_markup.py.
EXAMPLES = int(os.environ.get("ROUND_TRIP_DB_EXAMPLES", "25"))
DB_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXPORTS = {"md": event_export_markdown, "org": event_export_org}


def _event_with_note(note: str):
    event = make_event(name="Ops Days", slug="ops-days", start_date=date(2026, 6, 10))
    # As an import made it (a talk made by hand gets this key on its first re-import).
    talk = make_talk(
        event=event, title="Keeping state", speakers="Ada Lovelace", import_key="talk:keeping-state"
    )
    note_replace_text(note=talk.note, markdown=note)
    return event


@DB_SETTINGS
@given(note=strategies.notes())
def test_markdown_export_then_import_gives_back_the_same_bytes(note):
    with transaction.atomic():
        event = _event_with_note(note)

        text = event_export_markdown(event=event)
        event_import(files=[("export.md", text.encode())], slug="copy", start=date(2026, 6, 10))

        copy = Talk.objects.select_related("note").get(event__slug="copy")
        assert (copy.title, copy.speakers, copy.note.markdown) == (
            "Keeping state",
            "Ada Lovelace",
            note,
        )
        transaction.set_rollback(True)


@DB_SETTINGS
@given(note=strategies.notes())
def test_org_export_then_import_gives_back_the_same_bytes(note):
    assume(markup.markdown_canonical(note) == note)
    with transaction.atomic():
        event = _event_with_note(note)

        text = event_export_org(event=event)
        event_import(files=[("export.org", text.encode())], slug="copy", start=date(2026, 6, 10))

        assert Talk.objects.get(event__slug="copy").note.markdown == note
        transaction.set_rollback(True)


@DB_SETTINGS
@given(note=strategies.notes())
def test_reimporting_an_export_into_its_own_event_changes_nothing(note):
    with transaction.atomic():
        event = _event_with_note(note)
        before = database_state()

        for suffix, export in EXPORTS.items():
            text = export(event=event)
            result = event_import(event=event, files=[(f"export.{suffix}", text.encode())])

            assert [i.action for i in result.items] == ["unchanged"], suffix
            assert database_state() == before, suffix
        transaction.set_rollback(True)


@pytest.mark.parametrize("suffix", sorted(EXPORTS))
def test_reimport_keeps_a_note_typed_in_another_layout_that_shows_the_same(suffix):
    # Typed in the editor: "*" bullets, a wrapped bullet, "+" bullets, "_em_".
    note = "* one\n  wrapped line\n* two\n\n+ plus _em_ here\n\n    indented code\n"
    event = _event_with_note(note)
    before = database_state()

    text = EXPORTS[suffix](event=event)
    result = event_import(event=event, files=[(f"export.{suffix}", text.encode())])

    assert [i.action for i in result.items] == ["unchanged"]
    assert database_state() == before
    assert Talk.objects.get(event=event).note.markdown == note
