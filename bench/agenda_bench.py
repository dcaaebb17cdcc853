"""Benchmark of stars, "my agenda", outcomes and presence (not part of `make test`).

An event with `--sessions` talks and open spaces, each with a note of ordinary Markdown
(~6 KiB: bullets, links, a table) holding two decisions and four action items, and a
person who starred every one of them. Timed through Django's full request path, as a
browser would fetch them: the outcomes page and its Markdown export (the first fetch
parses every note, later ones read the outcomes from the cache), the agenda page, its
calendar feed, and the schedule with a star on every item. Then the live engine's cost
per edit of tracking who writes (`PresenceTracker.edited`), next to the cost of applying
the edit itself. Wall-clock times on this shared, noisy machine: medians of `--runs`.

Usage (from the repository root, after `make test` has made .venv):

    .venv/bin/python bench/agenda_bench.py
    .venv/bin/python bench/agenda_bench.py --sessions 200 --runs 5

A throwaway SQLite file is used unless DATABASE_URL is set.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="agenda-bench-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from pycrdt import Doc, Text  # noqa: E402

from notes.presence import PresenceTracker  # noqa: E402
from sessions.agenda.services import agenda_feed_reset, star_set  # noqa: E402
from sessions.board.identity import GUEST_COOKIE, Actor, _signer  # noqa: E402
from sessions.models import Event, OpenSpace, Room, Slot, Talk  # noqa: E402

SLUG = "agenda-bench"


def note_text(n: int) -> str:
    parts = [f"# Session {n}\n"]
    for part in range(12):
        parts.append(
            f"## Part {part}\n\n- A point about **deploys** and [a link](https://example.org/{part})\n"
            "  - a nested point with `code` and _emphasis_\n\n| tool | why |\n|---|---|\n"
            "| make | it is there |\n"
        )
    parts.append("Decision: ship it\n\n**Outcome:** a follow-up session\n")
    parts.append(
        "- [ ] Ana: write it up\n- [ ] Bob: book a room\n- [x] Eve: slides\n- [ ] Dan: mail\n"
    )
    return "\n".join(parts)


def build(sessions: int) -> tuple[Event, Actor, str]:
    call_command("migrate", verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    event = Event.objects.create(
        name="Agenda Bench", slug=SLUG, start_date=date(2026, 6, 10), end_date=date(2026, 6, 11)
    )
    rooms = [
        Room.objects.create(event=event, name=f"Room {n}", position=n, capacity=30)
        for n in range(4)
    ]
    me = Actor(guest_key="bench-guest")
    start = datetime(2026, 6, 10, 9, 0, tzinfo=event.tz)
    slots = [
        Slot.objects.create(event=event, start=start + timedelta(hours=n), end=start + timedelta(hours=n, minutes=45))
        for n in range(sessions // 8 + 1)
    ]  # fmt: skip
    for n in range(sessions):
        room = rooms[(n // 2) % 4]  # four topics per slot, one per room
        if n % 2:
            item = Talk.objects.create(
                event=event, title=f"Talk {n}", room=room,
                start=start + timedelta(hours=n // 8), end=start + timedelta(hours=n // 8, minutes=40),
            )  # fmt: skip
        else:
            item = OpenSpace.objects.create(
                event=event, title=f"Topic {n}", room=room, slot=slots[n // 8], status="scheduled"
            )
        item.note.markdown = note_text(n)
        item.note.save(update_fields=["markdown"])
        star_set(actor=me, item=item, starred=True)
    token = agenda_feed_reset(actor=me, event=event).token
    return event, me, token


def timed(client: Client, url: str, runs: int) -> tuple[float, float, int, int]:
    """(first fetch s, median of the later ones s, queries, bytes)."""
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    return times[0], statistics.median(times[1:] or times), len(queries), len(response.content)


def presence_cost(calls: int = 200_000) -> tuple[float, float]:
    """µs per edit: PresenceTracker.edited, and applying a one-character update."""

    class FakeRoom:  # what the tracker reads of a room
        closed = False
        clients: dict = {}
        awareness: dict = {}
        note_id = 1

        def __init__(self, loop):
            self.loop = loop

    loop = asyncio.new_event_loop()
    tracker = PresenceTracker(FakeRoom(loop))
    conn = object()
    began = time.perf_counter()
    for _ in range(calls):
        tracker.edited(conn)
    per_edit = (time.perf_counter() - began) / calls * 1e6
    loop.close()
    source, server = Doc(), Doc()
    text = source.get("content", type=Text)
    server.get("content", type=Text)
    updates = []
    source.observe(lambda event: updates.append(event.update))
    for n in range(5000):
        text.insert(n, "x")
    began = time.perf_counter()
    for update in updates:
        server.apply_update(update)
    per_apply = (time.perf_counter() - began) / len(updates) * 1e6
    return per_edit, per_apply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=120)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    _, me, token = build(args.sessions)
    cache.clear()
    client = Client()
    client.cookies[GUEST_COOKIE] = _signer().sign(me.guest_key)
    pages = {
        "outcomes page": reverse("sessions:outcomes", args=[SLUG]),
        "outcomes.md": reverse("sessions:outcomes_md", args=[SLUG]),
        "my agenda": reverse("sessions:agenda", args=[SLUG]),
        "agenda feed (.ics)": reverse("sessions:agenda_ics", args=[SLUG, token]),
        "schedule (stars)": reverse("sessions:event", args=[SLUG]),
    }
    print(f"{args.sessions} sessions, every one starred, {args.runs} fetches each "
          f"({connection.vendor})\n")  # fmt: skip
    print("| page | first fetch ms | later fetches ms (median) | queries | KiB |")
    print("|---|---|---|---|---|")
    rows = list(pages.items())
    # The same schedule without its star buttons (an archived event offers none).
    rows.append(("schedule, no star buttons", pages["schedule (stars)"]))
    for name, url in rows:
        if name == "schedule, no star buttons":
            Event.objects.filter(slug=SLUG).update(archived=True)
        first, later, queries, size = timed(client, url, args.runs)
        print(
            f"| {name} | {first * 1000:.0f} | {later * 1000:.0f} | {queries} | {size / 1024:.0f} |"
        )
    per_edit, per_apply = presence_cost()
    print(f"\nPresenceTracker.edited: {per_edit:.2f} µs per edit; applying a one-character "
          f"update to a pycrdt document: {per_apply:.1f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
