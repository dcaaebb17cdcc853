"""The outcomes of an event: its page grouped by session, links back to the lines, the
Markdown export, and the display's closing circle."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from sessions.agenda.outcomes import event_outcomes
from tests.factories import make_open_space
from tests.sessions.board.helpers import at, make_grid

from .helpers import talk_at

KEYNOTE_NOTES = """# Keynote

Decision: ship the beta in June
- [ ] Ana: draft the announcement
- [x] Bob: book the venue
"""
KANBAN_NOTES = """Talked about WIP limits.

**Outcome:** a mailing list for the group
- [ ] Gus: start the list
"""


def write(item, text: str) -> None:
    item.note.markdown = text
    item.note.save(update_fields=["markdown"])


@pytest.fixture
def event_with_outcomes(db):
    grid = make_grid()
    event = grid.event
    keynote = talk_at(event, title="Keynote", hour=9, room=grid.rooms[0])
    kanban = grid.placed(0, 0, title="Kanban")
    quiet = talk_at(event, title="Quiet talk", hour=12)
    idea = make_open_space(event=event, title="Unplaced idea")
    write(keynote, KEYNOTE_NOTES)
    write(kanban, KANBAN_NOTES)
    write(quiet, "Nothing decided.")
    write(idea, "- [ ] someone: try it")
    return {"grid": grid, "keynote": keynote, "kanban": kanban, "quiet": quiet, "idea": idea}


def test_outcomes_are_grouped_by_session_in_schedule_order(event_with_outcomes):
    found = event_outcomes(event=event_with_outcomes["grid"].event)

    assert [
        (s.item.title, [(o.kind, o.text, o.line, o.done) for o in s.outcomes]) for s in found
    ] == [
        (
            "Keynote",
            [
                ("decision", "ship the beta in June", 3, False),
                ("action", "Ana: draft the announcement", 4, False),
                ("action", "Bob: book the venue", 5, True),
            ],
        ),
        (
            "Kanban",
            [
                ("decision", "a mailing list for the group", 3, False),
                ("action", "Gus: start the list", 4, False),
            ],
        ),
        ("Unplaced idea", [("action", "someone: try it", 1, False)]),
    ]


def test_the_outcomes_page_links_each_one_to_its_line_in_the_notes(event_with_outcomes):
    e = event_with_outcomes
    client = Client()

    html = client.get(reverse("sessions:outcomes", args=[e["grid"].event.slug])).content.decode()
    talk_page = client.get(e["keynote"].get_absolute_url()).content.decode()

    assert "2 decisions · 4 action items (3 open) · 3 sessions" in html
    assert html.index("Keynote") < html.index("Kanban") < html.index("Unplaced idea")
    assert "Quiet talk" not in html
    keynote_url = e["keynote"].get_absolute_url()
    assert f'<a class="outcome__line" href="{keynote_url}#L3">line 3</a>' in html
    assert f'<a class="outcome__line" href="{keynote_url}#L5">line 5</a>' in html
    assert (
        '<strong class="outcome__label">Decision:</strong> <span class="outcome__text">ship the beta in June</span>'
        in html
    )
    assert 'class="outcome outcome--action outcome--done"' in html
    # The anchors exist on the session's page, on those very lines.
    assert '<p id="L3">Decision: ship the beta in June' in talk_page
    assert (
        '<li id="L5"><input type="checkbox" disabled="" checked=""> Bob: book the venue</li>'
        in talk_page
    )


def test_the_outcomes_export_as_markdown(event_with_outcomes):
    e = event_with_outcomes
    event = e["grid"].event

    response = Client().get(reverse("sessions:outcomes_md", args=[event.slug]))

    start = at(event, 0, 9)
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{event.slug}-outcomes.md"'
    assert response.content.decode() == (
        f"# Outcomes of {event.name}\n\n"
        f"## [Keynote](http://testserver{e['keynote'].get_absolute_url()}) ({start:%a %d %b} 09:00, Room A)\n\n"
        "- **Decision:** ship the beta in June\n"
        "- [ ] Ana: draft the announcement\n"
        "- [x] Bob: book the venue\n\n"
        f"## [Kanban](http://testserver{e['kanban'].get_absolute_url()}) ({start:%a %d %b} 14:00, Room A)\n\n"
        "- **Outcome:** a mailing list for the group\n"
        "- [ ] Gus: start the list\n\n"
        f"## [Unplaced idea](http://testserver{e['idea'].get_absolute_url()})\n\n"
        "- [ ] someone: try it\n"
    )


def test_the_display_shows_the_outcomes_of_the_sessions_that_just_ended(event_with_outcomes):
    e = event_with_outcomes
    event = e["grid"].event
    url = reverse("sessions:board_display", args=[event.slug])
    after_kanban = (at(event, 0, 14, 50)).strftime("%Y-%m-%dT%H:%M")
    next_morning = (at(event, 0, 14, 50) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")

    html = Client().get(url, {"show": "outcomes", "at": after_kanban}).content.decode()
    later = Client().get(url, {"show": "outcomes", "at": next_morning}).content.decode()

    # Ended within three hours, latest first: Kanban (14:45), then the quiet talk (12:45).
    assert 'id="display-outcomes"' in html
    assert html.index('id="display-outcomes-open-space-') < html.index("Quiet talk")
    assert "<strong>Outcome:</strong> a mailing list for the group" in html
    assert "☐ Gus: start the list" in html
    assert "No decisions or action items in the notes yet." in html  # the quiet talk
    assert "Keynote" not in html  # ended at 09:45, over three hours before
    assert "No session ended in the last three hours." in later
    assert f'hx-get="{url}?at={after_kanban.replace(":", "%3A")}&amp;show=outcomes"' in html
