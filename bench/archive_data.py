"""Build the archive the search benchmark reads: 200 events, 10,000 talks, 100,000 notes.

    DATABASE_URL=… .venv/bin/python bench/archive_data.py [--events 200] [--talks 10000]
        [--notes 100000] [--seed 11] [--reset]

Every talk and open space owns one note (a Note row), so 100,000 notes are 10,000
talks and 90,000 open spaces, all with text, spread evenly over the events; 5 % of the
events are unlisted. The text is generated: English function words, a conference
vocabulary and a long tail of made-up words (names, products, jargon), drawn with
Zipf-like frequencies (rank r has weight 1/r^1.05), with common two-word terms
("blast radius", "error budget") mixed in, in Markdown outlines of lognormal length
(median ≈ 120 words, a few over 1,000). Same seed, same data.

Rows are inserted with bulk_create; the database triggers of the search index
(conf_sessions.0008_search_index) index them on the way in, as in production.
Skips the work when the data is already there (use --reset to rebuild).
"""

import argparse
import itertools
import math
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SLUG_PREFIX = "bench-"
DEFAULT_SEED = 11


def word_list(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = word_list("""the of and to a in is that it we for on with this you be are as not
but they have at so was can what if about or by from all there one more when do how
which will our an their just like need your them also then only some out up no into
very other than more because its who get still much should many most where why us
really these those each every few may might must new now first good well""")

DOMAIN_WORDS = word_list("""deploy deploys deployment deployments deploying deployed canary canaries
release releases rollout rollback pipeline pipelines build builds test tests testing
monitoring metrics metric alert alerts alerting dashboard dashboards latency throughput
incident incidents postmortem postmortems outage outages pager oncall rotation rotations
kubernetes docker container containers cluster clusters node nodes pod pods helm
terraform ansible puppet chef infrastructure cloud aws azure gcp serverless lambda
database databases postgres mysql redis kafka queue queues cache caching shard
sharding replication backup backups restore migration migrations schema index
observability tracing traces logs logging telemetry prometheus grafana opentelemetry
service services microservices monolith api apis gateway mesh proxy nginx envoy
network networking dns tls certificate certificates security secrets vault audit
compliance policy policies team teams culture devops sre platform developer developers
engineer engineers product manager managers customer customers feedback kanban scrum
agile sprint retrospective retro blameless toil automation automate automated script
scripts tooling toolchain git github gitlab branch branches merge review reviews
continuous integration delivery feature flags flag experiment experiments traffic load
capacity scaling autoscaling cost budget budgets error errors reliability availability
resilience chaos failure failures recovery runbook runbooks escalation severity
communication status page stakeholders hiring onboarding documentation knowledge
learning talk slides demo question questions answer discussion idea ideas problem
problems solution solutions tradeoff tradeoffs decision decisions lesson lessons
story example examples production staging environment environments config
configuration version versions dependency dependencies upgrade upgrades legacy
refactoring debt architecture design performance benchmark memory cpu disk storage
bandwidth request requests response responses user users session sessions mobile
frontend backend data pipeline analytics warehouse stream streaming batch job jobs
scheduler cron workflow workflows quality speed risk risks safety guardrails""")

BIGRAMS = """blast radius|error budget|feature flags|root cause|service mesh|load balancer
continuous delivery|chaos engineering|infrastructure as code|on call|single point of
failure|mean time|code review|pull request|release train|dark launch|game day|golden
signals|toil budget|platform team|developer experience|canary analysis|blue green
deployment|rolling update|circuit breaker|rate limiting|incident commander|status
page|runbook automation|capacity planning""".replace("\n", " ").split("|")

FIRST = word_list("""Ada Alan Grace Linus Margaret Ken Barbara Dennis Radia Edsger Frances John
Anita Tim Sophie Yukihiro Guido Rich Katherine Werner Charity Kelsey Jez Gene Patrick
John Mitchell Nicole Liz Jessica Adrian Kris Bridget Damon Andrew Mary Camille Jez
Priya Wei Aisha Mateo Lucia Omar Ines Noah Emma Lars Sven""")
LAST = word_list("""Lovelace Turing Hopper Torvalds Hamilton Thompson Liskov Ritchie Perlman Dijkstra
Allen Backus Borg Berners-Lee Wilson Matsumoto Rossum Hickey Johnson Vogels Majors
Hightower Humble Kim Debois Willis Forsgren Fong-Jones Kerr Cockcroft Nash Kromhout
Beyer Fournier Poppendieck Murphy Shah Chen Khan Garcia Rossi Haddad Moreau Laurent
Jensen Berg Nowak""")
CITIES = word_list("""Paris Berlin Amsterdam London Ghent Oslo Zurich Madrid Lisbon Prague Warsaw
Vienna Dublin Stockholm Helsinki Copenhagen Brussels Milan Lyon Austin Chicago Boston
Seattle Toronto Montreal Singapore Tokyo Sydney Bangalore Tel-Aviv""")


def made_up_words(rng: random.Random, count: int) -> list[str]:
    """Pronounceable words for the long tail of the vocabulary."""
    onsets = word_list("b c d f g h j k l m n p r s t v w z br cr dr fl gr pl pr st tr sk sp")
    vowels = word_list("a e i o u ai ea io ou")
    codas = ["", "", "n", "r", "s", "t", "l", "x", "nd", "rk", "st"]
    words: set[str] = set()
    while len(words) < count:
        syllables = rng.choice((2, 2, 3, 3, 4))
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(syllables))
        words.add(word + rng.choice(codas))
    return sorted(words)


class Vocabulary:
    """Words by rank with Zipf-like weights: function words first, then the
    conference vocabulary, then made-up words."""

    def __init__(self, rng: random.Random, *, tail: int = 30_000, exponent: float = 1.05):
        domain = DOMAIN_WORDS[:]
        rng.shuffle(domain)
        # Interleave a little so that a few conference words are as common as
        # function words, as in real notes ("deploy" is everywhere at a DevOps event).
        self.words = FUNCTION_WORDS[:40] + domain[:30] + FUNCTION_WORDS[40:] + domain[30:]
        self.words += made_up_words(rng, tail)
        self.rank = {word: n + 1 for n, word in enumerate(self.words)}
        weights = [1 / (n + 1) ** exponent for n in range(len(self.words))]
        self.cumulative = list(itertools.accumulate(weights))
        self.rng = rng

    def draw(self, k: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cumulative, k=k)

    def domain_band(self, low: int, high: int) -> list[str]:
        """Conference words ranked between `low` and `high` (1 = most common)."""
        return [w for w in self.words[low - 1 : high] if w in DOMAIN_WORDS]


def sentence(vocab: Vocabulary, rng: random.Random) -> str:
    words = vocab.draw(rng.randint(5, 16))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words) + 1), rng.choice(BIGRAMS))
    text = " ".join(words)
    return text[0].upper() + text[1:]


def notes_markdown(vocab: Vocabulary, rng: random.Random) -> str:
    target = min(2500, max(8, int(rng.lognormvariate(math.log(120), 0.8))))
    lines, words = [], 0
    while words < target:
        if rng.random() < 0.08:
            heading = sentence(vocab, rng)[:60].rsplit(" ", 1)[0]  # whole words
            lines.append(f"\n## {heading}\n")
        text = sentence(vocab, rng)
        words += text.count(" ") + 1
        indent = "  " * rng.choice((0, 0, 0, 1, 1, 2))
        lines.append(f"{indent}- {text}")
    return "\n".join(lines) + "\n"


def title(vocab: Vocabulary, rng: random.Random) -> str:
    band = vocab.domain_band(30, 600)
    words = [rng.choice(band) for _ in range(rng.randint(2, 5))]
    if rng.random() < 0.3:
        words.insert(0, rng.choice(BIGRAMS))
    text = " ".join(words)
    return text[0].upper() + text[1:]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def build(*, events: int, talks: int, notes: int, seed: int, reset: bool) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from notes.models import Note
    from sessions.models import Event, OpenSpace, Talk

    call_command("migrate", verbosity=0)
    existing = Event.objects.filter(slug__startswith=SLUG_PREFIX)
    if existing.exists() and not reset:
        print(f"archive data already there ({existing.count()} events); --reset rebuilds it")
        return
    if reset:
        print("deleting the previous bench data…", flush=True)
        with transaction.atomic():
            note_ids = [
                *Talk.objects.filter(event__in=existing).values_list("note_id", flat=True),
                *OpenSpace.objects.filter(event__in=existing).values_list("note_id", flat=True),
            ]
            OpenSpace.objects.filter(event__in=existing).delete()
            Talk.objects.filter(event__in=existing).delete()
            existing.delete()
            for start in range(0, len(note_ids), 5000):
                Note.objects.filter(pk__in=note_ids[start : start + 5000]).delete()

    rng = random.Random(seed)
    vocab = Vocabulary(rng)
    spaces = notes - talks
    started = time.monotonic()
    event_rows = []
    for n in range(events):
        year = 2010 + n * 16 // events
        start = date(year, 1 + n % 12, 1 + (n * 7) % 25)
        city = CITIES[n % len(CITIES)]
        event_rows.append(
            Event(
                name=f"DevOpsDays {city} {year}",
                slug=f"{SLUG_PREFIX}{city.lower()}-{year}-{n}",
                start_date=start,
                end_date=start + timedelta(days=1),
                visibility="unlisted" if n % 20 == 19 else "public",
                description=sentence(vocab, rng),
            )
        )
    Event.objects.bulk_create(event_rows)
    event_rows = list(Event.objects.filter(slug__startswith=SLUG_PREFIX).order_by("pk"))

    def batches(kind: str, count: int, size: int = 2000):
        done = 0
        while done < count:
            n = min(size, count - done)
            yield done, n
            done += n
            rate = done / (time.monotonic() - started)
            print(f"  {kind}: {done}/{count} ({rate:.0f} rows/s)", flush=True)

    base_time = datetime(2025, 1, 1, tzinfo=UTC)
    kinds = ["talk"] * 6 + ["keynote", "ignite", "ignite", "demo"]

    def make_notes(n: int) -> list[int]:
        rows = [
            Note(
                markdown=notes_markdown(vocab, rng),
                markdown_updated_at=base_time - timedelta(minutes=rng.randrange(500_000)),
            )
            for _ in range(n)
        ]
        return [note.pk for note in Note.objects.bulk_create(rows)]

    print(f"talks: {talks} with notes", flush=True)
    for offset, n in batches("talks", talks):
        with transaction.atomic():
            note_ids = make_notes(n)
            Talk.objects.bulk_create(
                Talk(
                    event=event_rows[(offset + i) % events],
                    title=title(vocab, rng),
                    slug=f"t{offset + i}",
                    kind=rng.choice(kinds),
                    speakers=", ".join(person(rng) for _ in range(rng.choice((1, 1, 1, 2)))),
                    abstract=" ".join(sentence(vocab, rng) + "." for _ in range(rng.randint(2, 5))),
                    note_id=note_ids[i],
                    position=offset + i,
                )
                for i in range(n)
            )
    print(f"open spaces: {spaces} with notes", flush=True)
    for offset, n in batches("open spaces", spaces):
        with transaction.atomic():
            note_ids = make_notes(n)
            OpenSpace.objects.bulk_create(
                OpenSpace(
                    event=event_rows[(offset + i) % events],
                    title=title(vocab, rng),
                    host=person(rng),
                    description=sentence(vocab, rng) + "." if rng.random() < 0.6 else "",
                    status=rng.choice(("proposed", "held", "held")),
                    note_id=note_ids[i],
                    position=offset + i,
                )
                for i in range(n)
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE conf_sessions_searchentry")
    else:
        with connection.cursor() as cursor:
            # Merge the FTS5 index's segments, as a periodic maintenance job would.
            cursor.execute(
                "INSERT INTO conf_sessions_searchfts(conf_sessions_searchfts) VALUES ('optimize')"
            )
            cursor.execute("ANALYZE")
    print(f"built in {time.monotonic() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--talks", type=int, default=10_000)
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--reset", action="store_true")
    args = parser.parse_args()
    setup_django()
    build(events=args.events, talks=args.talks, notes=args.notes, seed=args.seed, reset=args.reset)


if __name__ == "__main__":
    main()
