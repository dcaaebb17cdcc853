"""`make bench`: the live-notes benchmark at 20, 100 and 200 editors (5 edits/s, 60 s),
then the open-space board (render time, fan-out to 200 viewers), the import of
a 20,000-bullet file, search over a 100,000-note archive on PostgreSQL and on
SQLite, the browse pages (/events/, series, speakers, "Read it all") on the same
archive, note history (a note of 10,000 edits and 200 revisions, comparisons of two
50 KB revisions) on PostgreSQL and SQLite, and what authorship bookkeeping costs the
live path (the live benchmark at 20 editors with it off and on, alternately,
BENCH_REPEAT times each). BENCH=live,board,import,search,pages,history,authorship
picks some of them.

Starts one uvicorn process (notes.server_protocol's WebSocket protocol) on PostgreSQL for each run. Needs
DATABASE_URL=postgres://…; BENCH_DURATION, BENCH_EDITORS ("20,100,200") and
BENCH_REPEAT override the defaults. Results are appended as JSON lines to
bench/results.jsonl and printed as a Markdown table.

The search and pages benchmarks build their archive once (a few minutes per database) in
BENCH_SEARCH_DATABASE_URL (default: DATABASE_URL; better a database of its own) and
in the SQLite file bench/results/archive.sqlite3 (BENCH_SEARCH_SQLITE_URL), and
reuses it afterwards.
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    ("editors", "editors"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("max_ms", "max ms"),
    ("lost", "lost"),
    ("clients_converged", "clients conv."),
    ("late_joiner_converged", "late joiner conv."),
    ("stored_converged", "stored = text"),
    ("server_mib_per_client", "server MiB/client"),
    ("server_cpu_pct", "server CPU %"),
    ("generator_cpu_pct", "generator CPU %"),
    ("frames_per_client_per_s", "frames/client/s"),
]


def main() -> None:
    wanted = os.environ.get("BENCH", "live,board,import,search,pages,history,authorship").split(",")
    if "live" in wanted:
        live_notes()
    for name in ("board", "import"):
        if name in wanted:
            print(f"\n== {name}_bench.py ==", flush=True)
            subprocess.run([sys.executable, str(HERE / f"{name}_bench.py")], check=True)
    if "search" in wanted:
        archive_bench("search_bench.py", "--explain")
    if "pages" in wanted:
        archive_bench("pages_bench.py")
    if "history" in wanted:
        history()
    if "authorship" in wanted:
        authorship_cost()


def history() -> None:
    """history_bench.py on PostgreSQL (DATABASE_URL), then on a throwaway SQLite file."""
    out = HERE / "results.jsonl"
    for url in (os.environ.get("DATABASE_URL", ""), ""):
        print(f"\n== history_bench.py ({url.split(':', 1)[0] or 'sqlite'}) ==", flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, str(HERE / "history_bench.py"), "--json", str(out)]
        subprocess.run(command, env=env, check=True)


def authorship_cost() -> None:
    """Server CPU per edit at BENCH_AUTHORSHIP_EDITORS (20) editors, 5 edits/s, with the
    authorship bookkeeping off and on, alternately (the machine's load drifts), in
    ABBA order."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("the authorship cost runs on PostgreSQL: set DATABASE_URL=postgres://…")
    duration = os.environ.get("BENCH_DURATION", "60")
    editors = os.environ.get("BENCH_AUTHORSHIP_EDITORS", "20")
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    out = HERE / "results.jsonl"
    runs: dict[str, list[dict]] = {"off": [], "on": []}
    print("\n== authorship bookkeeping: live_notes.py with it off and on ==", flush=True)
    order = (("off", '{"AUTHORSHIP": false}'), ("on", ""))
    for round_ in range(repeat):
        # ABBA: each setting runs first as often as second (a later run on the same
        # database is a little slower: it holds the notes of the runs before).
        for label, live in order if round_ % 2 == 0 else order[::-1]:
            command = [sys.executable, str(HERE / "live_notes.py"), "--start-server"]
            command += ["-n", editors, "-r", "5", "-d", duration, "--json", str(out)]
            env = {**os.environ, "NOTES_LIVE": live}
            result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
            runs[label].append(json.loads(result.stdout.strip().splitlines()[-1]))
            row = runs[label][-1]
            print(
                f"authorship {label}: {row['server_cpu_us_per_edit']} µs/edit, "
                f"server CPU {row['server_cpu_pct']} %, p95 {row['p95_ms']} ms",
                flush=True,
            )
    off = statistics.median(r["server_cpu_us_per_edit"] for r in runs["off"])
    on = statistics.median(r["server_cpu_us_per_edit"] for r in runs["on"])
    print(
        f"median server CPU per edit: off {off:.1f} µs, on {on:.1f} µs ({100 * (on / off - 1):+.1f} %)"
    )


def archive_bench(script: str, *options: str) -> None:
    """`script` (search_bench.py, pages_bench.py) on PostgreSQL, then on SQLite (separate
    processes: the database is chosen by the environment at start-up)."""
    postgres = os.environ.get("BENCH_SEARCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not postgres.startswith("postgres"):
        sys.exit(f"{script} needs PostgreSQL here: set DATABASE_URL=postgres://…")
    sqlite = os.environ.get("BENCH_SEARCH_SQLITE_URL") or (
        f"sqlite:///{HERE / 'results' / 'archive.sqlite3'}"
    )
    (HERE / "results").mkdir(exist_ok=True)
    for url in (postgres, sqlite):
        print(f"\n== {script} ({url.split(':', 1)[0]}) ==", flush=True)
        command = [sys.executable, str(HERE / script), *options]
        command += ["--json", str(HERE / "results.jsonl")]
        subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, check=True)


def live_notes() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("make bench runs on PostgreSQL: set DATABASE_URL=postgres://…")
    duration = os.environ.get("BENCH_DURATION", "60")
    editors = [int(n) for n in os.environ.get("BENCH_EDITORS", "20,100,200").split(",")]
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    out = HERE / "results.jsonl"
    rows = []
    for n in editors:
        runs = []
        for _ in range(repeat):
            command = [sys.executable, str(HERE / "live_notes.py"), "--start-server"]
            command += ["-n", str(n), "-r", "5", "-d", duration, "--json", str(out)]
            result = subprocess.run(command, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-4000:]}")
            runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
            print(result.stdout.strip().splitlines()[-1], flush=True)
        rows.append(median_row(runs))
    print()
    print("| " + " | ".join(title for _, title in COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for row in rows:
        print("| " + " | ".join(str(row[key]) for key, _ in COLUMNS) + " |")


def median_row(runs: list[dict]) -> dict:
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            row[key] = round(statistics.median(run[key] for run in runs), 3)
        elif isinstance(value, bool) or value is None:
            row[key] = all(run[key] for run in runs) if value is not None else None
    row["lost"] = max(run["lost"] for run in runs)
    return row


if __name__ == "__main__":
    main()
