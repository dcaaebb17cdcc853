"""Action items and decisions, extracted exactly from known notes; the tick edit."""

from dataclasses import replace

import pytest

from notes.rendering import render_markdown
from notes.tasks import Outcome, TaskMoved, task_key, task_toggle, text_outcomes, text_tasks

NOTE = """# Kanban at scale

Hosted by Ana.

- [ ] Ana: write up the WIP limits
- [x] Book the room for the follow-up
  (the big one)
- We talked about flow.
  - [X] nested: send slides
- Decision: try WIP limits of 3 for a month

Decision: meet again on Friday
Some context on the same paragraph.
**Outcome:** a *mailing list* for the group
**Decision**: no more status meetings
Decisions: this line is not one
decision without colon

> Outcome: quoted outcomes count too
> - [ ] and quoted items

```
- [ ] not in a code block
Decision: not in code either
```

    - [ ] nor in an indented code block

1. [ ] numbered item
2. [ ]
- [y] not a checkbox
- [ ]no space, no checkbox
- \\[ ] escaped, no checkbox
"""


def test_outcomes_are_extracted_exactly_from_a_known_note():
    found = text_outcomes(NOTE)

    assert [o.html for o in found[4:6]] == [
        "meet again on Friday",
        "a <em>mailing list</em> for the group",
    ]
    assert [replace(o, html="") for o in found] == [
        Outcome("action", "Ana: write up the WIP limits", 5, "L5", False, "", NOTE.split("\n")[4]),
        Outcome(
            "action",
            "Book the room for the follow-up (the big one)",
            6,
            "L6",
            True,
            "",
            "- [x] Book the room for the follow-up",
        ),
        Outcome("action", "nested: send slides", 9, "L9", True, "", "  - [X] nested: send slides"),
        Outcome(
            "decision",
            "try WIP limits of 3 for a month",
            10,
            "L10",
            False,
            "Decision",
            "- Decision: try WIP limits of 3 for a month",
        ),
        Outcome(
            "decision", "meet again on Friday", 12, "L12", False, "Decision",
            "Decision: meet again on Friday",
        ),
        Outcome(
            "decision", "a *mailing list* for the group", 14, "L12", False, "Outcome",
            "**Outcome:** a *mailing list* for the group",
        ),
        Outcome(
            "decision", "no more status meetings", 15, "L12", False, "Decision",
            "**Decision**: no more status meetings",
        ),
        Outcome(
            "decision", "quoted outcomes count too", 19, "L19", False, "Outcome",
            "> Outcome: quoted outcomes count too",
        ),
        Outcome("action", "and quoted items", 20, "L20", False, "", "> - [ ] and quoted items"),
        Outcome("action", "numbered item", 29, "L29", False, "", "1. [ ] numbered item"),
        Outcome("action", "", 30, "L30", False, "", "2. [ ]"),
    ]  # fmt: skip


def test_a_reference_label_is_a_link_not_a_checkbox():
    text = "[x]: https://example.org\n\n- [x] a link\n- [ ] a task"

    assert [(o.line, o.text) for o in text_outcomes(text)] == [(4, "a task")]


def test_every_outcome_links_to_an_anchor_of_the_rendered_note():
    html = render_markdown(NOTE, lines=True)

    assert all(f'id="{outcome.anchor}"' in html for outcome in text_outcomes(NOTE))
    # Every checkbox rendered is an action item, in the same order.
    assert html.count('<input type="checkbox"') == len(text_tasks(NOTE)) == 6


def test_notes_without_markers_and_texts_over_the_budget_have_no_outcomes():
    assert text_outcomes("") == []
    assert text_outcomes("# Notes\n\nJust prose, a link [x](https://e.org).") == []
    assert text_outcomes("- [ ] " + "[" * 500_000) == []


def test_task_toggle_ticks_one_character_on_the_line_the_reader_saw():
    text = "intro\n- [ ] call Bob\n- [x] done"

    tick = task_toggle(text, line=2, key=task_key("- [ ] call Bob"), done=True)
    untick = task_toggle(text, line=3, key=task_key("- [x] done"), done=False)

    assert (tick.index, tick.length, tick.insert) == (9, 1, "x")
    assert text[tick.index] == " "
    assert (untick.index, untick.insert) == (text.index("[x]") + 1, " ")
    assert task_toggle(text, line=3, key=task_key("- [ ] done"), done=True) is None


def test_task_toggle_finds_an_item_that_moved_and_refuses_when_it_is_ambiguous():
    text = "new first line\n\n- [ ] call Bob\n- [ ] twice\n- [ ] twice"

    moved = task_toggle(text, line=1, key=task_key("- [ ] call Bob"), done=True)

    assert moved.index == text.index("[ ] call") + 1
    with pytest.raises(TaskMoved):
        task_toggle(text, line=1, key=task_key("- [ ] twice"), done=True)
    with pytest.raises(TaskMoved):
        task_toggle(text, line=3, key=task_key("- [ ] someone else"), done=True)


def test_task_key_is_the_same_ticked_or_not():
    assert task_key("- [ ] a") == task_key("- [x] a") == task_key("- [X] a")
    assert task_key("- [ ] a") != task_key("- [ ] b")
