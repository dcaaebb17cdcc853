from datetime import date

import pytest
from django.core.management import call_command

from sessions.demo import DEMO_SLUG, demo_event_create
from sessions.models import Event, OpenSpace, Talk

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_event_once(capsys):
    call_command("seed_demo")
    call_command("seed_demo")

    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Created the demo event “Harbourside Ops Days”.",
        "The demo event “Harbourside Ops Days” already exists.",
    ]
    assert Event.objects.filter(slug=DEMO_SLUG).count() == 1


def test_demo_event_has_rooms_kinds_open_spaces_and_notes():
    event, created = demo_event_create(start_date=date(2026, 9, 1))

    assert created is True
    assert (event.start_date, event.end_date) == (date(2026, 9, 1), date(2026, 9, 2))
    assert event.allows_guests is True
    assert [r.name for r in event.rooms.all()] == ["Main Hall", "Atlas", "Borealis"]
    kinds = list(Talk.objects.filter(event=event).values_list("kind", flat=True))
    assert kinds.count("keynote") == 2
    assert kinds.count("ignite") == 5
    assert kinds.count("talk") == 5
    assert OpenSpace.objects.filter(event=event, slot__isnull=False).count() == 3
    assert event.slots.count() == 3
    keynote = Talk.objects.get(event=event, title="Shipping on Fridays Without Fear")
    assert keynote.note.markdown.startswith(
        "- Deploy frequency is a symptom, not a goal\n  - Small"
    )
    assert keynote.start.astimezone(event.tz).strftime("%Y-%m-%d %H:%M") == "2026-09-01 09:00"
