"""Time the notes import on a generated 100-talk / 20,000-bullet outline, and on the fixture.

    .venv/bin/python bench/import_bench.py [--runs 3] [--write big.org]

Uses a throwaway SQLite database unless DATABASE_URL is set. Prints the median
of several runs for: parsing, a first import (everything created), a re-import
(nothing changes) and an import of an edited file (every note updated).
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
START = date(2026, 1, 5)
FIXTURE = ROOT.parent / "shared" / "fixtures" / "devopsdaysparis-2013.org"

WORDS = [
    "deploy", "monitoring", "latency", "culture", "pipeline", "rollback", "canary", "metrics",
    "on-call", "kanban", "terraform", "puppet", "chef", "docker", "kubernetes", "incident",
    "postmortem", "capacity", "budget", "sla",
]  # fmt: skip


def generate(*, talks: int = 100, bullets: int = 20_000, seed: int = 7) -> str:
    """An Org outline: two days, ignites in a group, nested bullets with markup."""
    rng = random.Random(seed)
    per_talk = bullets // talks
    lines = ["#+TITLE: Generated Conf", ""]
    for n in range(talks):
        if n == 0:
            lines.append("* Day 1")
        if n == talks // 2:
            lines.append("* Day 2")
        if n % 10 == 9:
            lines.append("** Ignites")
            lines.append(f"*** Speaker {n}, Ignite number {n}")
            base = 4
        else:
            lines.append(
                f"** Speaker {n} (Company {n % 7}), Talk number {n} about {rng.choice(WORDS)}"
            )
            base = 3
        depth = 0
        for b in range(per_talk):
            depth = max(0, min(3, depth + rng.choice((-1, 0, 0, 1))))
            indent = " " * (base + 2 * depth)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))
            if b % 17 == 0:
                words += f" see [[https://example.org/{n}/{b}][link {b}]] and =code_{b}="
            if b % 23 == 0:
                words += " /emphasis/ *bold*"
            lines.append(f"{indent}- {words}")
            if b % 31 == 0:
                lines.append(f"{indent}  continued on a wrapped line {b}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", metavar="PATH", help="also write the generated file there")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp.name}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Loopback only: plain HTTP, and a secret key of this run (servers it starts inherit it).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("HTTPS", "false")
    import django

    django.setup()
    from django.core.management import call_command

    from notes import outline
    from sessions.transfer.importing import event_import

    call_command("migrate", verbosity=0)
    text = generate()
    data = text.encode()
    if args.write:
        Path(args.write).write_text(text)
    bullet_count = sum(1 for line in text.splitlines() if line.lstrip().startswith("- "))
    edited = text.replace(" deploy ", " deployed ").encode()

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    rows = []
    parse = [timed(lambda: outline.parse(data, name="big.org")) for _ in range(args.runs)]
    rows.append(("parse 20k-bullet file", parse))
    first, again, edit = [], [], []
    for run in range(args.runs):
        slug = f"big-{run}"
        files = [("big.org", data)]
        first.append(timed(lambda f=files, s=slug: event_import(files=f, slug=s, start=START)))
        again.append(timed(lambda f=files, s=slug: event_import(files=f, slug=s)))
        edit.append(timed(lambda s=slug: event_import(files=[("big.org", edited)], slug=s)))
    rows += [
        ("import 20k-bullet file (all created)", first),
        ("re-import, nothing changes", again),
        ("import edited file (notes updated)", edit),
    ]
    if FIXTURE.exists():
        fixture = [("fixture.org", FIXTURE.read_bytes())]
        rows.append(
            (
                "import devopsdaysparis-2013.org",
                [
                    timed(
                        lambda r=r: event_import(
                            files=fixture, slug=f"dod-{r}", start=date(2013, 10, 1)
                        )
                    )
                    for r in range(args.runs)
                ],
            )
        )

    from django.db import connection

    print(f"{bullet_count} bullets, {len(data) / 1024:.0f} KiB, database {connection.vendor}")
    for label, times in rows:
        print(
            f"{label:40} median {statistics.median(times):6.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
