"""Benchmark of note history and authorship (issue 13; not part of `make test`).

Builds a note the way the live engine stores one: 10,000 edits by 8 writers (each a
Yjs client with its recorded author), appended to the log and compacted every 300
rows, with a revision (its state vector and change size) every 50 edits: 200
revisions. Then, through Django's full request path (the test client):

- the history page of that note (its revisions, who wrote between them, sizes):
  target < 100 ms;
- the comparison page of two 50 KB revisions (a 50 KB note and the same with 5 % of
  its lines edited, inserted or deleted, and with 30 %): target < 200 ms;
- the timeslider's htmx answer, the reading view with who wrote what, and the
  editor's author JSON (for information).

And the live path's authorship bookkeeping in isolation: what reading the client ids
of an edit costs, next to applying that edit to the room's document.

Usage (from the repository root, after `make test` has made .venv):

    .venv/bin/python bench/history_bench.py                     # a throwaway SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/confnotes_bench .venv/bin/python bench/history_bench.py

`--json FILE` appends the result as one JSON line. Times are wall-clock medians of
`--runs` requests on this (shared, noisy) machine.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="history-bench-"))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'bench.sqlite3'}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench")
os.environ.setdefault("HTTPS", "false")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from pycrdt import Doc, Text  # noqa: E402

from notes import persistence  # noqa: E402
from notes.models import Note, NoteRevision  # noqa: E402
from notes.textdiff import diff_html  # noqa: E402
from notes.yjs import text_runs, update_clients  # noqa: E402
from sessions.models import Event, Talk  # noqa: E402

SLUG = "history-bench"
WORDS = [
    "deploy",
    "pipeline",
    "rollback",
    "canary",
    "metrics",
    "alert",
    "on-call",
    "runbook",
    "incident",
    "postmortem",
    "latency",
    "budget",
    "capacity",
    "cluster",
    "queue",
    "cache",
    "database",
    "replica",
    "failover",
    "chaos",
    "test",
    "culture",
    "team",
    "feedback",
    "release",
    "feature",
    "flag",
    "observability",
    "trace",
    "log",
    "dashboard",
]


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def build_note(edits: int, revisions: int, writers: int) -> Talk:
    call_command("migrate", verbosity=0)
    Event.objects.filter(slug=SLUG).delete()
    event = Event.objects.create(
        name="History Bench",
        slug=SLUG,
        start_date=date(2026, 6, 10),
        end_date=date(2026, 6, 10),
        timezone="Europe/Paris",
    )
    talk = Talk.objects.create(event=event, title="Ten thousand edits")
    rng = random.Random(13)
    server = Doc()
    text = server.get("content", type=Text)
    docs = []
    for n in range(writers):
        doc = Doc(client_id=1000 + n)
        doc.get("content", type=Text)
        docs.append(doc)
        persistence.record_client_authors(
            note_id=talk.note_id, authors=[(1000 + n, None, f"key-{n}", f"Writer {n}")]
        )
    every = max(1, edits // revisions)
    rows = 0
    for i in range(edits):
        doc = docs[rng.randrange(writers)]
        doc.apply_update(server.get_update(doc.get_state()))
        mine = doc.get("content", type=Text)
        current = str(mine)
        before = doc.get_state()
        if current and rng.random() < 0.15:
            start = rng.randrange(len(current))
            end = min(len(current), start + rng.randint(1, 8))
            del mine[len(current[:start].encode()) : len(current[:end].encode())]
        else:
            at = rng.randint(0, len(current))
            chunk = rng.choice(WORDS) + (" " if rng.random() < 0.85 else "\n- ")
            mine.insert(len(current[:at].encode()), chunk)
        update = doc.get_update(before)
        server.apply_update(update)
        persistence.append_updates(note_id=talk.note_id, updates=[update])
        rows += 1
        if rows >= 300:
            persistence.compact(note_id=talk.note_id, min_rows=300)
            rows = 0
        if (i + 1) % every == 0:
            persistence.revision_add(
                note_id=talk.note_id,
                markdown=str(text),
                reason=NoteRevision.Reason.EDITING,
                state_vector=server.get_state(),
            )
    Note.objects.filter(pk=talk.note_id).update(markdown=str(text))
    return talk


def fifty_kb(rng: random.Random) -> str:
    parts, size = [], 0
    n = 0
    while size < 50_000:
        n += 1
        block = f"## Part {n}\n\n" + "".join(
            f"- {paragraph(rng, rng.randint(6, 16))}\n" for _ in range(rng.randint(3, 8))
        )
        parts.append(block + "\n")
        size += len(block) + 1
    return "".join(parts)


def edited(text: str, rng: random.Random, share: float) -> str:
    out = []
    for line in text.split("\n"):
        roll = rng.random()
        if roll < share / 3:
            continue  # deleted
        if roll < 2 * share / 3:
            words = line.split(" ")
            words[rng.randrange(len(words))] = rng.choice(WORDS).upper()
            line = " ".join(words)
        out.append(line)
        if rng.random() < share / 3:
            out.append(f"- {paragraph(rng, 10)}")  # inserted
    return "\n".join(out)


def timed(fn, runs: int) -> float:
    """Median wall-clock ms of `runs` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 2)


def get(client: Client, url: str, **extra):
    def call():
        response = client.get(url, **extra)
        assert response.status_code == 200, (url, response.status_code)
        return response

    return call


def bookkeeping_cost(runs: int) -> dict:
    """µs per edit: applying a keystroke update to a room's document, and reading its
    client ids plus the known-client check (what authorship adds per edit)."""
    server = Doc()
    server.get("content", type=Text)
    typist = Doc(client_id=4242)
    text = typist.get("content", type=Text)
    text.insert(0, "x" * 2000)
    server.apply_update(typist.get_update())
    updates = []
    for i in range(runs):
        state = typist.get_state()
        text.insert(1000 + i, "k")
        updates.append(typist.get_update(state))
    known: set[int] = {4242}
    began = time.perf_counter()
    for update in updates:
        server.apply_update(update)
    apply_us = (time.perf_counter() - began) / runs * 1e6
    began = time.perf_counter()
    for update in updates:
        for client_id in update_clients(update):
            if client_id not in known:
                known.add(client_id)
    read_us = (time.perf_counter() - began) / runs * 1e6
    return {"apply_us": round(apply_us, 2), "authorship_us": round(read_us, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=10_000)
    parser.add_argument("--revisions", type=int, default=200)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", help="append the result as one JSON line to this file")
    args = parser.parse_args()

    began = time.perf_counter()
    talk = build_note(args.edits, args.revisions, args.writers)
    note = Note.objects.get(pk=talk.note_id)
    print(
        f"built: {args.edits} edits, {note.revisions.count()} revisions, "
        f"{len(note.markdown)} characters, checkpoint {len(note.checkpoint)} bytes, "
        f"{note.updates.count()} log rows, in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    client = Client()
    base = talk.get_absolute_url()
    result = {
        "bench": "history",
        "database": django.db.connection.vendor,
        "edits": args.edits,
        "revisions": note.revisions.count(),
        "note_chars": len(note.markdown),
        "history_page_ms": timed(get(client, f"{base}history/"), args.runs),
        "timeslider_ms": timed(
            get(client, f"{base}history/", data={"at": "100"}, HTTP_HX_REQUEST="true"),
            args.runs,
        ),
        "authorship_view_ms": timed(get(client, base, data={"authors": ""}), args.runs),
        "authors_json_ms": timed(get(client, f"{base}authors.json"), args.runs),
    }
    state = persistence.load_note_state(note_id=talk.note_id)
    result["text_runs_ms"] = timed(lambda: text_runs(state.update), args.runs)
    assert text_runs(state.update).complete

    rng = random.Random(50)
    old = fifty_kb(rng)
    for share in (0.05, 0.30):
        new = edited(old, rng, share)
        a = NoteRevision.objects.create(note=note, markdown=old)
        b = NoteRevision.objects.create(note=note, markdown=new)
        label = f"{int(share * 100)}pct"
        result[f"diff_{label}_page_ms"] = timed(
            get(client, f"{base}history/diff/", data={"from": a.pk, "to": b.pk}), args.runs
        )
        result[f"diff_{label}_html_ms"] = timed(lambda new=new: diff_html(old, new), args.runs)
    result["diff_chars"] = [len(old), len(new)]
    result |= bookkeeping_cost(20_000)
    result["authorship_share_of_apply_pct"] = round(
        100 * result["authorship_us"] / result["apply_us"], 1
    )
    print(json.dumps(result))
    if args.json:
        with open(args.json, "a") as out:
            out.write(json.dumps(result) + "\n")
    Event.objects.filter(slug=SLUG).delete()


if __name__ == "__main__":
    main()
