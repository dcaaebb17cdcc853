"""Time the notes import on a generated 100-talk / 20,000-bullet outline, on a generated
200-file notes repository (a folder, as `import_notes DIR` reads it), and on the fixture.

    .venv/bin/python bench/import_bench.py [--runs 3] [--write big.org] [--repo-files 200]
        [--write-repo DIR]

Uses a throwaway SQLite database unless DATABASE_URL is set. Prints the median
of several runs for: parsing, a first import (everything created), a re-import
(nothing changes) and an import of an edited file (every note updated); for the
repository: reading and planning it (no database), a first import and a re-import.
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


TOPICS = [
    "kubernetes at scale", "on-call without burnout", "ci pipelines", "chaos days",
    "observability budgets", "incident reviews", "platform teams", "gitops in practice",
    "capacity planning", "feature flags", "database migrations", "remote teams",
]  # fmt: skip
FIRST = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Radia"]
LAST = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Turing", "Liskov", "Thompson", "Perlman"]


def _bullets(rng: random.Random, count: int, *, tabs: bool = False) -> list[str]:
    lines, depth = [], 0
    for b in range(count):
        depth = max(0, min(2, depth + rng.choice((-1, 0, 0, 1))))
        indent = ("\t" * (depth + 1)) if tabs else ("  " * depth)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 10)))
        if b % 13 == 0:
            words += f" with `code_{b}*x` and **bold** and [a link](https://example.org/{b})"
        lines.append(f"{indent}- {words}")
    return lines


def generate_repository(root: Path, *, files: int = 200, seed: int = 7) -> int:
    """A notes repository of `files` Markdown files in the shapes people write: day
    folders, one file per talk with sections, ignites files, a folder per open space
    (some without headings), workshops, "#Title" headings, tab-indented bullets,
    relative links and a README. Returns the number of files written."""
    rng = random.Random(seed)
    written = []

    def write(path: str, lines: list[str]) -> None:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")
        written.append(path)

    write("README.md", [
        "# Generated DevOps Summit notes", "", "Notes of the summit, one file per talk.", "",
        "## Talks", "", "- [the first keynote](day1/talk-000.md)", "", "## License", "",
        "CC BY 4.0",
    ])  # fmt: skip
    n = 0
    while len(written) < files:
        day = n % 3 + 1
        topic = TOPICS[n % len(TOPICS)]
        speaker = f"{FIRST[n % len(FIRST)]} {LAST[(n // 3) % len(LAST)]}"
        shape = n % 10
        if shape < 5:  # one file per talk
            # Every tenth file writes its title the old way: "#Title", no space.
            sep = ": " if shape != 4 else " - "
            heading = f"{'#' if shape == 4 else '# '}{speaker}{sep}{topic.capitalize()} {n}"
            lines = [heading, "", f"Intro to talk {n}, see [another](talk-{n - 1:03}.md).", ""]
            for section in ("Problem", "Diagnosis", "Q&A"):
                lines += [f"## {section}", "", *_bullets(rng, 12, tabs=shape == 3), ""]
            write(f"day{day}/talk-{n:03}.md", lines)
        elif shape == 5:  # an ignites file
            lines = []
            for k in range(5):
                lines += [f"# {FIRST[k]} {LAST[k]}", "", *_bullets(rng, 6), ""]
            write(f"day{day}/ignites-{n:03}.md", lines)
        elif shape in (6, 7):  # a folder per open space
            body = _bullets(rng, 15)
            lines = body if shape == 7 else [f"# {topic.capitalize()} {n}", "", *body]
            write(f"day{day}/open-spaces/{topic.replace(' ', '-')}-{n:03}/README.md", lines)
        elif shape == 8:
            write(f"day{day}/workshops/workshop-{n:03}.md", [
                f"# Workshop: {topic.capitalize()} {n}", "", *_bullets(rng, 20),
            ])  # fmt: skip
        else:  # no heading at all
            write(f"day{day}/{topic.replace(' ', '-')}-{n:03}.md", _bullets(rng, 10))
        n += 1
    return len(written)


def repository_rows(*, files: int, runs: int, timed) -> tuple[list, str]:
    from sessions.transfer.importing import event_import, plan_of
    from sessions.transfer.sources import repository_from_paths

    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name) / "summit-notes"
    count = generate_repository(root, files=files)
    lines = sum(len(p.read_text().splitlines()) for p in root.rglob("*.md"))
    label = f"{count}-file folder"
    plan, first, again = [], [], []
    for run in range(runs):
        plan.append(timed(lambda: plan_of(repository=repository_from_paths([root]))))
        slug = f"repo-{run}"

        def create(s=slug):
            event_import(repository=repository_from_paths([root]), slug=s, start=START)

        def reimport(s=slug):
            event_import(repository=repository_from_paths([root]), slug=s)

        first.append(timed(create))
        again.append(timed(reimport))
    rows = [
        (f"read + plan {label} (no database)", plan),
        (f"import {label} (all created)", first),
        (f"re-import {label}, nothing changes", again),
    ]
    tmp.cleanup()
    return rows, f"{count} files, {lines} lines"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", metavar="PATH", help="also write the generated file there")
    parser.add_argument("--repo-files", type=int, default=200, metavar="N")
    parser.add_argument("--write-repo", metavar="DIR", help="write the generated repository there")
    args = parser.parse_args()
    if args.write_repo:
        print(f"{generate_repository(Path(args.write_repo), files=args.repo_files)} files written")
        return

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

    repo_rows, repo_size = repository_rows(files=args.repo_files, runs=args.runs, timed=timed)
    rows += repo_rows

    from django.db import connection

    print(f"{bullet_count} bullets, {len(data) / 1024:.0f} KiB, database {connection.vendor}")
    print(f"repository: {repo_size}")
    for label, times in rows:
        print(
            f"{label:40} median {statistics.median(times):6.3f} s  (runs: {', '.join(f'{t:.3f}' for t in times)})"
        )


if __name__ == "__main__":
    main()
