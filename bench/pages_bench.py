"""Time the browse pages on the generated archive: /events/, a series, speakers, "Read it all".

    DATABASE_URL=sqlite:///$PWD/bench/results/archive.sqlite3 .venv/bin/python bench/pages_bench.py
    DATABASE_URL=postgres://…/cn_pagebench .venv/bin/python bench/pages_bench.py

Builds the archive first if it is missing (bench/archive_data.py: 200 events, 10,000
talks, 100,000 notes), then, once, what the generator leaves out: a Series per city
("DevOpsDays Paris", its events attached) and the talks' links to Speaker rows, made
by `talk_set_speakers` from each talk's names, as the importer does (a minute or two),
and a worst-case speaker, "Pat Everywhere", who co-presents a talk at every bench event.

Each page is a GET through Django's test client in this process — the view, its
queries, the template — so the time is what a reader waits for minus the network.
Pages: /events/, /events/?page=4, the biggest series, the speaker with the median number
of talks, the busiest generated speaker and Pat Everywhere (their first page and their
fifth), and an event's "Read it all" page, warm (its renderings cached, as after a first
reader) and cold (the rendering cache emptied before each GET). Two warm-up GETs of
each page, then --rounds rounds of --requests GETs of each (a quarter of them for a
page whose second warm-up GET took over half a second); prints per page the median,
p95 and max of the page time, the median of this process's CPU time for it (the view,
the template, and on SQLite the queries: steadier than wall time on a loaded machine),
the median of its database time, the number of SQL queries (the set of counts seen: one
number if it is constant). --json FILE appends the rows as JSON lines.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import archive_data  # noqa: E402
from search_bench import DatabaseClock  # noqa: E402

SERIES_PREFIX = "bench-devopsdays-"
SLOW_PAGE_S = 0.5
PROLIFIC = "Pat Everywhere"
# A page named with this prefix is timed with an empty rendering cache (cleared before
# each GET): what the first reader after a change of every note would wait.
COLD = "(cold)"


def add_series() -> None:
    """One series per city, every bench event in its city's series (idempotent)."""
    from django.db import transaction

    from sessions.models import Event, Series

    events = Event.objects.filter(slug__startswith=archive_data.SLUG_PREFIX)
    if not events.filter(series__isnull=True).exists():
        return
    with transaction.atomic():
        for city in archive_data.CITIES:
            series, _ = Series.objects.get_or_create(
                slug=f"{SERIES_PREFIX}{city.lower()}",
                defaults={"name": f"DevOpsDays {city}", "description": f"Every year in {city}."},
            )
            events.filter(name__startswith=f"DevOpsDays {city} ").update(series=series)
    print("series: one per city, events attached", flush=True)


def link_speakers() -> None:
    """Speaker rows and TalkSpeaker links for every bench talk, from `Talk.speakers`."""
    from django.db import transaction

    from sessions.archive.speakers import talk_set_speakers
    from sessions.models import Talk, TalkSpeaker

    talks = Talk.objects.filter(event__slug__startswith=archive_data.SLUG_PREFIX)
    if TalkSpeaker.objects.filter(talk__in=talks).exists():
        return
    started = time.monotonic()
    rows = list(talks.order_by("pk"))
    for start in range(0, len(rows), 1000):
        with transaction.atomic():
            for talk in rows[start : start + 1000]:
                talk_set_speakers(talk=talk, names=talk.speakers.split(", "))
        print(f"  speakers linked: {min(start + 1000, len(rows))}/{len(rows)}", flush=True)
    print(f"speakers linked in {time.monotonic() - started:.0f} s", flush=True)


def add_prolific_speaker() -> None:
    """A worst case the generator's names do not make (its busiest speaker has a couple of
    dozen talks): PROLIFIC co-presents the first talk of every bench event."""
    from django.db import transaction

    from sessions.archive.speakers import talk_set_speakers
    from sessions.models import Speaker, Talk

    if Speaker.objects.filter(name=PROLIFIC).exists():
        return
    talks = Talk.objects.filter(event__slug__startswith=archive_data.SLUG_PREFIX)
    event_ids = sorted(set(talks.values_list("event_id", flat=True)))
    with transaction.atomic():
        for event_id in event_ids:
            talk = talks.filter(event_id=event_id).order_by("position", "pk").first()
            talk_set_speakers(talk=talk, names=[*talk.speakers.split(", "), PROLIFIC])
    print(f"{PROLIFIC}: a talk at every bench event", flush=True)


def pages() -> list[tuple[str, str]]:
    """(name, URL) of the pages to time."""
    from django.db.models import Count, Q
    from django.utils.text import slugify

    from sessions.models import Event, Series, Speaker

    public = Q(talk_links__talk__event__visibility=Event.Visibility.PUBLIC)
    speakers = list(
        Speaker.objects.annotate(n=Count("talk_links", filter=public))
        .filter(n__gt=0)
        .order_by("n", "slug")
        .values_list("slug", "n")
    )
    prolific = next(row for row in speakers if row[0] == slugify(PROLIFIC))
    speakers = [row for row in speakers if row != prolific]
    typical = speakers[len(speakers) // 2]
    busiest = speakers[-1]
    series = (
        Series.objects.filter(slug__startswith=SERIES_PREFIX)
        .annotate(n=Count("events", filter=Q(events__visibility=Event.Visibility.PUBLIC)))
        .order_by("-n", "slug")
        .first()
    )
    event = (
        Event.objects.listed()
        .filter(slug__startswith=archive_data.SLUG_PREFIX)
        .order_by("-start_date", "name", "pk")
        .first()
    )
    read = f"/events/{event.slug}/read/"
    return [
        ("/events/", "/events/"),
        ("/events/?page=4", "/events/?page=4"),
        (f"series ({series.n} events)", f"/series/{series.slug}/"),
        (f"speaker, typical ({typical[1]} talks)", f"/speakers/{typical[0]}/"),
        (f"speaker, busiest ({busiest[1]} talks)", f"/speakers/{busiest[0]}/"),
        (f"speaker, worst case ({prolific[1]} talks)", f"/speakers/{prolific[0]}/"),
        (f"speaker, worst case, page 5 ({prolific[1]} talks)", f"/speakers/{prolific[0]}/?page=5"),
        ("event read, warm (talks + open spaces)", read),
        (f"{COLD} event read, cold (talks + open spaces)", read),
    ]


def _percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measure(targets: list[tuple[str, str]], *, rounds: int, requests: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from notes.rendering import render_cache

    client = Client()
    warm_up = {}
    for name, url in targets:
        if name.startswith(COLD):
            render_cache().clear()
        assert client.get(url).status_code == 200, url
        if name.startswith(COLD):
            render_cache().clear()
        start = time.perf_counter()
        client.get(url)
        warm_up[name] = time.perf_counter() - start
    rows = []
    for name, url in targets:
        page_ms, cpu_ms, db_ms, counts = [], [], [], set()
        size = 0
        # A page that takes seconds gets a quarter of the requests (the table says so).
        per_round = requests if warm_up[name] < SLOW_PAGE_S else max(3, requests // 4)
        for _ in range(rounds):
            for _ in range(per_round):
                if name.startswith(COLD):
                    render_cache().clear()
                clock = DatabaseClock()
                with (
                    CaptureQueriesContext(connection) as captured,
                    connection.execute_wrapper(clock),
                ):
                    start, cpu_start = time.perf_counter(), time.thread_time()
                    response = client.get(url)
                    cpu_ms.append((time.thread_time() - cpu_start) * 1000)
                    page_ms.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, url
                size = len(response.content)
                db_ms.append(clock.seconds * 1000)
                counts.add(len(captured))
        rows.append(
            {
                "bench": "pages",
                "database": connection.vendor,
                "page": name,
                "url": url,
                "samples": len(page_ms),
                "median_ms": round(statistics.median(page_ms), 1),
                "p95_ms": round(_percentile(page_ms, 95), 1),
                "max_ms": round(max(page_ms), 1),
                "cpu_median_ms": round(statistics.median(cpu_ms), 1),
                "db_median_ms": round(statistics.median(db_ms), 1),
                "sql_queries": sorted(counts),
                "kib": round(size / 1024),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20, help="GETs of each page per round")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    archive_data.setup_django()
    archive_data.build(
        events=200, talks=10_000, notes=100_000, seed=archive_data.DEFAULT_SEED, reset=False
    )
    from django.db import connection

    add_series()
    link_speakers()
    add_prolific_speaker()
    if connection.vendor == "postgresql":
        # Plans from fresh statistics: the speakers and their links were just added, and
        # autovacuum may not have analyzed them yet (2-6x slower speaker pages without).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    targets = pages()
    load_before = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    rows = measure(targets, rounds=args.rounds, requests=args.requests)
    load_after = " / ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"\n{connection.vendor}: {args.rounds} rounds × {args.requests} requests per page; "
        f"load average (1/5/15 min) {load_before} before, {load_after} after"
    )
    print(
        "| page | GETs | median ms | p95 ms | max ms | CPU median ms | db median ms "
        "| SQL queries | KiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        queries = ", ".join(str(n) for n in row["sql_queries"])
        print(
            f"| {row['page']} `{row['url']}` | {row['samples']} | {row['median_ms']} | "
            f"{row['p95_ms']} | {row['max_ms']} | {row['cpu_median_ms']} | "
            f"{row['db_median_ms']} | {queries} | {row['kib']} |"
        )
    if args.json:
        with args.json.open("a") as out:
            for row in rows:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # In-process test client: plain HTTP, and a secret key of this run.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("HTTPS", "false")
    main()
