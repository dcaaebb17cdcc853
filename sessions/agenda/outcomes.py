"""What came out of an event's sessions: the action items and decisions in their notes,
grouped by session in schedule order, for the outcomes page, its Markdown export and the
board's display at the closing circle. What counts as one: notes/tasks.py."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from notes.tasks import Outcome, text_outcomes

from ..models import Event
from ..selectors import ScheduleItem, event_items


@dataclass
class SessionOutcomes:
    item: ScheduleItem
    outcomes: list[Outcome]

    @property
    def actions(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == "action"]

    @property
    def decisions(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == "decision"]

    @property
    def open_actions(self) -> int:
        return sum(1 for o in self.actions if not o.done)

    def link(self, outcome: Outcome) -> str:
        """The outcome's line in the session's notes."""
        return f"{self.item.url}#{outcome.anchor}"


def event_outcomes(
    *, event: Event, items: list[ScheduleItem] | None = None
) -> list[SessionOutcomes]:
    """Every session of the event with outcomes, in schedule order (then the unscheduled),
    in three queries. `items`: only these sessions (they must come with their notes)."""
    if items is None:
        scheduled, unscheduled = event_items(event=event, notes=True)
        items = [*scheduled, *unscheduled]
    found = []
    for item in items:
        outcomes = text_outcomes(item.obj.note.markdown)
        if outcomes:
            found.append(SessionOutcomes(item=item, outcomes=outcomes))
    return found


def just_ended(*, event: Event, now: datetime, within: timedelta) -> list[ScheduleItem]:
    """The sessions that ended in the last `within` (latest first), with their notes: what
    the closing circle talks about."""
    scheduled, _ = event_items(event=event, notes=True)
    ended = [i for i in scheduled if now - within <= i.end <= now]
    return sorted(ended, key=lambda i: (i.end, i.start), reverse=True)


def outcomes_markdown(*, event: Event, sessions: list[SessionOutcomes], base_url: str) -> str:
    """The outcomes as a Markdown document (for the post-event email): one section per
    session, linking back to it; action items keep their checkboxes."""
    tz = event.tz
    lines = [f"# Outcomes of {event.name}", ""]
    if not sessions:
        lines += ["No action items or decisions in the notes yet.", ""]
    for session in sessions:
        item = session.item
        when = ""
        if item.start:
            when = f" ({item.start.astimezone(tz):%a %d %b %H:%M}"
            when += f", {item.room.name})" if item.room else ")"
        lines += [f"## [{item.title}]({base_url}{item.url}){when}", ""]
        for outcome in session.decisions:
            lines.append(f"- **{outcome.label}:** {outcome.text}")
        for outcome in session.actions:
            lines.append(f"- [{'x' if outcome.done else ' '}] {outcome.text}")
        lines.append("")
    return "\n".join(lines)
