"""Time /search/ on the generated archive: one-word, three-word, phrase and prefix queries.

    DATABASE_URL=postgres://…/cn_search_bench .venv/bin/python bench/search_bench.py
    DATABASE_URL=sqlite:///bench/results/archive.sqlite3 .venv/bin/python bench/search_bench.py

Builds the archive first if it is missing (bench/archive_data.py: 200 events, 10,000
talks, 100,000 notes). Each query is a GET of the search page through Django's test
client in this process — the view, its three queries (four for a prefix on SQLite), the
template — so the time is
what a reader waits for minus the network. The queries are drawn (fixed seed) from the
generator's vocabulary: conference words of every frequency, three of them at once,
common two-word phrases and word pairs read from the notes, 4–5 letter prefixes. A
fifth set, the ten most frequent conference words (each in about a third of all notes),
shows the worst case and is not one of the four targets.

One warm-up pass over all queries, then --rounds measured passes; prints per set the
median, p95 and max of the page time, the median and p95 of this process's CPU time per
page and of its database time, and the median number of results. --explain prints
PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of the queries of one search for a common word
and for a phrase. --json FILE appends the rows as JSON lines.
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import archive_data  # noqa: E402


def query_sets(*, count: int, seed: int = 5) -> dict[str, list[str]]:
    rng = random.Random(seed)
    vocab = archive_data.Vocabulary(random.Random(archive_data.DEFAULT_SEED))
    domain = vocab.domain_band(1, len(vocab.words))
    common = vocab.domain_band(1, 80)[:10]
    sample_notes = _sample_notes(rng, 200)
    pairs = []
    for text in sample_notes:
        words = re.findall(r"[a-z]{4,}", text)
        if len(words) > 2:
            start = rng.randrange(len(words) - 1)
            pairs.append(f'"{words[start]} {words[start + 1]}"')
    bigrams = [f'"{b}"' for b in archive_data.BIGRAMS if len(b.split()) == 2]
    phrases = rng.sample(bigrams, min(len(bigrams), count // 2))
    phrases += rng.sample(pairs, count - len(phrases))
    return {
        "one word": rng.sample(domain, count),
        "three words": [" ".join(rng.sample(domain, 3)) for _ in range(count)],
        "phrase": phrases,
        "prefix": [w[: rng.choice((4, 5))] + "*" for w in rng.sample(domain, count)],
        "common word (worst case)": common,
    }


def _sample_notes(rng: random.Random, n: int) -> list[str]:
    from notes.models import Note

    ids = list(Note.objects.order_by("-pk").values_list("pk", flat=True)[:100_000])
    chosen = rng.sample(ids, min(n, len(ids)))
    return list(Note.objects.filter(pk__in=chosen).values_list("markdown", flat=True))


class DatabaseClock:
    """Total time spent in database queries (an execute wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1


def measure(queries: dict[str, list[str]], *, rounds: int) -> list[dict]:
    from django.db import connection
    from django.test import Client

    client = Client()
    for texts in queries.values():  # warm-up
        for text in texts:
            assert client.get("/search/", {"q": text}).status_code == 200
    rows = []
    for name, texts in queries.items():
        page_ms, cpu_ms, db_ms, found, query_counts = [], [], [], [], set()
        per_query: dict[str, list[float]] = {text: [] for text in texts}
        for _ in range(rounds):
            for text in texts:
                clock = DatabaseClock()
                with connection.execute_wrapper(clock):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    response = client.get("/search/", {"q": text})
                    page_ms.append((time.perf_counter() - start) * 1000)
                    cpu_ms.append((time.process_time() - cpu_start) * 1000)
                db_ms.append(clock.seconds * 1000)
                per_query[text].append(db_ms[-1])
                query_counts.add(clock.queries)
                count = re.search(rb'id="search-count">(More than )?(\d+) result', response.content)
                # "More than 1000": counted as 1001.
                found.append(int(count[2]) + bool(count[1]) if count else 0)
        rows.append(
            {
                "bench": "search",
                "database": connection.vendor,
                "set": name,
                "queries": len(texts),
                "samples": len(page_ms),
                "median_ms": round(statistics.median(page_ms), 1),
                "p95_ms": round(_percentile(page_ms, 95), 1),
                "max_ms": round(max(page_ms), 1),
                # This process's CPU time: all of it on SQLite; on PostgreSQL the server's
                # own CPU is not in it.
                "cpu_median_ms": round(statistics.median(cpu_ms), 1),
                "cpu_p95_ms": round(_percentile(cpu_ms, 95), 1),
                "db_median_ms": round(statistics.median(db_ms), 1),
                "db_p95_ms": round(_percentile(db_ms, 95), 1),
                "median_results": int(statistics.median(found)),
                "share_over_limit": round(sum(n > 1000 for n in found) / len(found), 2),
                "sql_queries": sorted(query_counts),
                "examples": texts[:3],
                # The queries whose database time (median of the rounds) was longest.
                "slowest": sorted(
                    ((round(statistics.median(ms), 1), text) for text, ms in per_query.items()),
                    reverse=True,
                )[:3],
            }
        )
    return rows


def _searchable_notes() -> int:
    from sessions.archive.models import SearchEntry

    return SearchEntry.objects.filter(event__visibility="public").count()


def _percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def explain(text: str) -> str:
    """PostgreSQL's plan of the ranked page query and the count of `text`."""
    from django.db import connection

    from sessions.archive.query import parse_query
    from sessions.archive.selectors import SearchResults, search_scope, searchable_events
    from sessions.board.identity import Actor

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    scope = search_scope(events=searchable_events(actor=Actor()), filters={})
    results = SearchResults(query=parse_query(text), scope=scope)
    with connection.execute_wrapper(capture):
        results.count()
        results[0:20]
    plans = []
    with connection.cursor() as cursor:
        for sql, params in captured:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return f"-- query: {text}\n" + "\n\n".join(plans)


def match_counts(queries: dict[str, list[str]]) -> dict[str, list[int]]:
    """How many notes each query really matches (the page counts stop at 1,000): an
    FTS5 count, so SQLite only."""
    from django.db import connection

    from sessions.archive.models import FTS_TABLE, FTS_TEXT_COLUMNS
    from sessions.archive.query import parse_query, to_fts5_match
    from sessions.archive.search import SqliteSearch
    from sessions.archive.selectors import search_scope, searchable_events
    from sessions.board.identity import Actor

    scope = search_scope(events=searchable_events(actor=Actor()), filters={})
    counts = {}
    with connection.cursor() as cursor:
        for name, texts in queries.items():
            counts[name] = []
            for text in texts:
                backend = SqliteSearch(query=parse_query(text), scope=scope)
                match = to_fts5_match(backend.query, backend.expansions, columns=FTS_TEXT_COLUMNS)
                sql = f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
                cursor.execute(sql, [backend._scoped(match)])
                counts[name].append(cursor.fetchone()[0])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=40, help="queries per set")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    archive_data.setup_django()
    archive_data.build(
        events=200, talks=10_000, notes=100_000, seed=archive_data.DEFAULT_SEED, reset=False
    )
    from django.db import connection

    queries = query_sets(count=args.queries)
    rows = measure(queries, rounds=args.rounds)
    print(f"\n{connection.vendor}: {args.rounds} rounds × {args.queries} queries per set")
    print(
        "| set | median ms | p95 ms | max ms | cpu median ms | cpu p95 ms | db median ms | "
        "db p95 ms | median results |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['set']} | {row['median_ms']} | {row['p95_ms']} | {row['max_ms']} | "
            f"{row['cpu_median_ms']} | {row['cpu_p95_ms']} | "
            f"{row['db_median_ms']} | {row['db_p95_ms']} | {row['median_results']} |"
        )
    print(f"load average after the run: {os.getloadavg()}")
    for row in rows:
        print(f"slowest {row['set']}: {row['slowest']}")
    if args.json:
        with args.json.open("a") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")
    if connection.vendor == "sqlite":
        print("\nnotes matched per query (all of them, not only the first 1,000):")
        for name, counts in match_counts(queries).items():
            print(
                f"{name}: median {int(statistics.median(counts))}, "
                f"min {min(counts)}, max {max(counts)} (of {_searchable_notes()})"
            )
    if args.explain and connection.vendor == "postgresql":
        for text in (queries["common word (worst case)"][0], queries["phrase"][0]):
            print()
            print(explain(text))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    main()
