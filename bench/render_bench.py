"""Benchmark of Markdown rendering under hostile notes (not part of `make test`).

An event with one ordinary talk note (~20 KiB of real-looking Markdown) and one
hostile note (a bullet of N `[`, 500 000 by default: what a guest wrote in issue 12),
viewed through Django's full request path as a reader would: the talk page (reading
view), its `.md` download, and the event's `.md`, `.org` and `.zip` exports. Each URL
is fetched `--runs` times; the first run of a page renders, later runs may be served
from the rendering cache. Times are wall-clock seconds on this (shared, noisy) machine.

Usage (from the repository root, after `make test` has made .venv):

    .venv/bin/python bench/render_bench.py
    .venv/bin/python bench/render_bench.py --brackets 500000 --runs 3

A throwaway SQLite file is used unless DATABASE_URL is set.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="render-bench-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from notes.models import Note  # noqa: E402
from sessions.models import Event, Talk  # noqa: E402

SLUG = "render-bench"

ORDINARY = "\n".join(
    f"## Part {n}\n\n- A point about **deploys** and [a link](https://example.org/{n})\n"
    f"  - a nested point with `code` and _emphasis_\n- Another point\n\n"
    f"| tool | why |\n|---|---|\n| make | it is there |\n\n> A quote from the speaker.\n"
    for n in range(120)
)


def build(brackets: int) -> tuple[Event, Talk, Talk]:
    call_command("migrate", verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    event = Event.objects.create(
        name="Render Bench", slug=SLUG, start_date=date(2026, 6, 10), end_date=date(2026, 6, 10)
    )
    ordinary = Talk.objects.create(event=event, title="Ordinary talk")
    hostile = Talk.objects.create(event=event, title="Hostile talk")
    Note.objects.filter(pk=ordinary.note_id).update(markdown=ORDINARY)
    Note.objects.filter(pk=hostile.note_id).update(markdown="- " + "[" * brackets)
    return event, ordinary, hostile


def timed(client: Client, url: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brackets", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    _event, ordinary, hostile = build(args.brackets)
    client = Client()
    pages = {
        "ordinary talk page": ordinary.get_absolute_url(),
        "hostile talk page": hostile.get_absolute_url(),
        "hostile talk .md": f"/events/{SLUG}/talks/{hostile.slug}/notes.md",
        "event notes.md": f"/events/{SLUG}/notes.md",
        "event notes.org": f"/events/{SLUG}/notes.org",
        "event notes.zip": f"/events/{SLUG}/notes.zip",
    }
    print(
        f"{django.db.connection.vendor}, hostile note: a bullet of {args.brackets} '[' "
        f"({args.brackets // 1024} KiB); ordinary note {len(ORDINARY) // 1024} KiB"
    )
    for label, url in pages.items():
        timings = timed(client, url, args.runs)
        rest = timings[1:] or timings
        print(
            f"{label:20} first {timings[0]:7.3f} s   later runs median "
            f"{statistics.median(rest):7.3f} s   ({args.runs} runs)",
            flush=True,
        )


if __name__ == "__main__":
    main()
