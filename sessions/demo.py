"""The demo event that `make run` creates on first start: an invented two-day conference."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from .archive.speakers import talk_set_speakers
from .models import Event, OpenSpace, Room, Slot, Talk

DEMO_SLUG = "harbourside-ops-demo"

ROOMS = [("Main Hall", 400), ("Atlas", 80), ("Borealis", 40)]

# (day, start, minutes, room index or None, kind, title, speakers, abstract, notes)
TALKS = [
    (
        0,
        "09:00",
        45,
        0,
        "keynote",
        "Shipping on Fridays Without Fear",
        "Ines Marlowe",
        "Why the teams that deploy most often sleep best, and what they changed first.",
        "- Deploy frequency is a symptom, not a goal\n"
        "  - Small batches shrink the blast radius\n"
        "  - Rollback must be boring: one command, rehearsed\n"
        "- Friday freezes hide fear of the pipeline\n"
        "  - Ask: what would make Friday safe?\n"
        "    - Feature flags\n"
        "    - Canary per region\n"
        '- Quote: *"If it hurts, do it more often"*\n',
    ),
    (
        0,
        "10:00",
        40,
        0,
        "talk",
        "Observability for the Rest of Us",
        "Tomasz Greenberg",
        "Traces, logs and metrics on a startup budget.",
        "",
    ),
    (
        0,
        "10:00",
        40,
        1,
        "talk",
        "Postgres Upgrades in Production",
        "Aiko Brandt, Rafael Osei",
        "Three major versions, zero downtime, one very long weekend.",
        "- Logical replication to the new major version\n"
        "  - Sequences are *not* replicated: sync them before the switch\n"
        "- Cutover checklist\n"
        "  1. Freeze schema changes\n"
        "  2. Compare row counts per table\n"
        "  3. Flip the connection pooler\n",
    ),
    (
        0,
        "10:00",
        40,
        2,
        "demo",
        "Live: Building a Deploy Bot in 30 Minutes",
        "Sam Okafor",
        "Chat-driven deploys with approvals.",
        "",
    ),
    (0, "11:00", 5, 0, "ignite", "My Pager Is Quieter Than Yours", "Lea Fontaine", "", ""),
    (
        0,
        "11:05",
        5,
        0,
        "ignite",
        "Runbooks Nobody Reads",
        "Martin Ek",
        "",
        "- Runbooks rot: test them in game days\n- Link each alert to one runbook\n",
    ),
    (0, "11:10", 5, 0, "ignite", "Five Whys, Zero Blame", "Priya Raman", "", ""),
    (0, "11:15", 5, 0, "ignite", "Kanban for Ops Teams", "Jonas Weber", "", ""),
    (0, "11:20", 5, 0, "ignite", "The Cost of a Dashboard", "Chloé Martin", "", ""),
    (0, "16:30", 30, 0, "sponsor", "A Word from Our Hosting Partner", "Nimbus Cloud", "", ""),
    (
        1,
        "09:00",
        45,
        0,
        "keynote",
        "Platform Teams Are Product Teams",
        "Grace Adeyemi",
        "Treat your internal platform like a product with customers.",
        "- Internal users *choose* whether to adopt the platform\n"
        "  - Paved roads, not walls\n"
        "- Measure: time to first deploy for a new service\n",
    ),
    (1, "10:00", 40, 0, "talk", "Incident Reviews That Change Things", "Hugo Lindqvist", "", ""),
    (
        1,
        "10:00",
        40,
        1,
        "talk",
        "Secrets Management After Vault",
        "Nadia Petrov",
        "What we learned moving 400 services to short-lived credentials.",
        "",
    ),
    (1, "10:00", 40, 2, "talk", "Terraform at Scale: Modules and Monorepos", "Eli Navarro", "", ""),
    (1, "16:30", 30, 0, "other", "Closing and Thanks", "The organizers", "", ""),
]

OPEN_SPACE_SLOTS = [(0, "14:00", "14:45"), (0, "15:00", "15:45"), (1, "14:00", "14:45")]

# (title, host, description, (slot index, room index) or None, notes)
OPEN_SPACES = [
    (
        "On-call for Small Teams",
        "Lea Fontaine",
        "How do five people share a pager fairly?",
        (0, 1),
        "- Rotations of one week, handover on Tuesday\n"
        "  - Never hand over on Monday morning\n"
        "- Compensation: time off after a night page\n"
        "\n"
        "Decision: try a Tuesday handover for a month, then compare pages per night\n"
        "\n"
        "- [ ] Lea: write the handover checklist\n"
        "- [ ] Jonas: ask HR about time off after night pages\n"
        "- [x] Eli: share the pager export\n",
    ),
    ("Kanban vs Scrum for Ops", "Jonas Weber", "", (0, 2), ""),
    (
        "Testing Infrastructure Code",
        "Eli Navarro",
        "Unit tests for Terraform, yes or no?",
        (1, 1),
        "",
    ),
    ("Burnout and Alert Fatigue", "Priya Raman", "", None, ""),
]


def _at(event: Event, day: int, hhmm: str) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(
        event.start_date + timedelta(days=day), time(hour, minute), tzinfo=event.tz
    )


@transaction.atomic
def demo_event_create(*, start_date: date | None = None) -> tuple[Event, bool]:
    """Create the demo event unless it exists; returns (event, created)."""
    existing = Event.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return existing, False
    start_date = start_date or timezone.localdate()
    event = Event.objects.create(
        name="Harbourside Ops Days",
        slug=DEMO_SLUG,
        start_date=start_date,
        end_date=start_date + timedelta(days=1),
        timezone="Europe/Paris",
        venue="Harbourside Conference Centre",
        description=(
            "Two days of talks, ignites and an **open space** about running software "
            "in production. This is Confnotes' demo event: open any talk and take notes — "
            "guests are welcome."
        ),
        notes_access=Event.NotesAccess.GUESTS,
        open_space_placement=Event.Placement.HOSTS,
    )
    rooms = [
        Room.objects.create(event=event, name=name, capacity=capacity, position=n)
        for n, (name, capacity) in enumerate(ROOMS)
    ]
    for day, start, minutes, room, kind, title, speakers, abstract, notes in TALKS:
        talk_start = _at(event, day, start)
        talk = Talk.objects.create(
            event=event,
            title=title,
            kind=kind,
            speakers=speakers,
            abstract=abstract,
            room=rooms[room] if room is not None else None,
            start=talk_start,
            end=talk_start + timedelta(minutes=minutes),
        )
        talk_set_speakers(talk=talk, names=talk.speaker_list)
        if notes:
            talk.note.markdown = notes
            talk.note.save(update_fields=["markdown"])
    slots = [
        Slot.objects.create(event=event, start=_at(event, day, start), end=_at(event, day, end))
        for day, start, end in OPEN_SPACE_SLOTS
    ]
    for title, host, description, place, notes in OPEN_SPACES:
        open_space = OpenSpace.objects.create(
            event=event,
            title=title,
            host=host,
            description=description,
            status=OpenSpace.Status.SCHEDULED if place else OpenSpace.Status.PROPOSED,
            slot=slots[place[0]] if place else None,
            room=rooms[place[1]] if place else None,
        )
        if notes:
            open_space.note.markdown = notes
            open_space.note.save(update_fields=["markdown"])
    return event, True
