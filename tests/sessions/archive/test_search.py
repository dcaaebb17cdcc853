"""Search results: ranking, highlighting, filters, hostile input and what readers may see.

Runs on the configured database: SQLite's FTS5 by default, PostgreSQL's full-text
search with DATABASE_URL; the expectations are the same on both.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions.models import Event, OpenSpace, Series
from tests.factories import make_event, make_open_space, make_talk

from .search_helpers import is_postgresql, result_count, search, search_results, titles, write_notes

pytestmark = pytest.mark.django_db

FILLER = " ".join(f"filler{n}" for n in range(40))  # words that separate others


def test_title_match_ranks_above_body_matches():
    event = make_event()
    in_notes = make_talk(event=event, title="Release engineering")
    write_notes(in_notes, "We use a canary. The canary catches bad builds; canary first.")
    make_talk(event=event, title="Rollouts", abstract="Canary analysis, canary")
    make_talk(event=event, title="Canary releases")

    assert titles("canary") == ["Canary releases", "Rollouts", "Release engineering"]


def test_phrase_ranks_above_the_same_words_far_apart():
    event = make_event()
    apart = make_talk(event=event, title="Explosions")
    # The far-apart words even come up more often: adjacency still wins.
    write_notes(apart, f"blast blast {FILLER} radius radius radius")
    together = make_talk(event=event, title="Change safety")
    write_notes(together, f"Keep the blast radius small. {FILLER}")

    assert titles("blast radius") == ["Change safety", "Explosions"]
    assert titles('"blast radius"') == ["Change safety"]


def test_excluded_words_remove_results():
    event = make_event()
    make_talk(event=event, title="Deploying on Kubernetes", abstract="Helm charts")
    make_talk(event=event, title="Deploying on bare metal")

    assert titles("deploying -kubernetes") == ["Deploying on bare metal"]
    assert titles('deploying -"bare metal"') == ["Deploying on Kubernetes"]
    assert titles("-kubernetes") == []


def test_prefix_finds_words_that_start_with_it():
    event = make_event()
    make_talk(event=event, title="Deployment pipelines")
    make_talk(event=event, title="We deployed on Friday")
    make_talk(event=event, title="Continuous deploys")
    make_talk(event=event, title="Deplorable dashboards")

    assert sorted(titles("deploy*")) == [
        "Continuous deploys",
        "Deployment pipelines",
        "We deployed on Friday",
    ]


def test_stemming_finds_other_forms_of_a_word():
    event = make_event()
    talk = make_talk(event=event, title="Birds")
    write_notes(talk, "Canaries in the coal mine.")

    assert titles("canary") == ["Birds"]


def test_speakers_host_abstract_description_and_notes_are_searched():
    event = make_event()
    make_talk(event=event, title="Talk A", speakers="Rich Hickey, Ada Lovelace")
    make_talk(event=event, title="Talk B", abstract="About **observability** budgets")
    make_open_space(event=event, title="Topic C", host="Grace Hopper")
    make_open_space(event=event, title="Topic D", description="Rotating on-call duties")
    noted = make_open_space(event=event, title="Topic E")
    write_notes(noted, "- decided: postmortems are blameless")

    assert titles("hickey") == ["Talk A"]
    assert titles("observability") == ["Talk B"]
    assert titles("hopper") == ["Topic C"]
    assert titles("rotating") == ["Topic D"]
    assert titles("blameless") == ["Topic E"]


def test_result_shows_highlighted_title_people_and_passage():
    event = make_event(name="Ops Days", start_date=date(2024, 5, 2), end_date=date(2024, 5, 3))
    talk = make_talk(event=event, title="Canary releases", speakers="Ann Lee, Bo Canary")
    write_notes(talk, f"# Notes\n\n- {FILLER}\n- the canary caught the bad build\n")

    [result] = search("canary")

    assert result.item == talk
    assert result.event == event
    assert (result.kind, result.kind_label) == ("talk", "Talk")
    assert result.url == f"/events/{event.slug}/talks/canary-releases/"
    assert result.title == "<mark>Canary</mark> releases"
    assert result.people == "Ann Lee, Bo <mark>Canary</mark>"
    assert "the <mark>canary</mark> caught the bad build" in result.passage
    assert "#" not in result.passage  # Markdown line markers are not shown


def test_passage_comes_from_the_abstract_when_the_notes_do_not_match():
    event = make_event()
    talk = make_talk(event=event, title="Talk", abstract="Why canary analysis works")
    write_notes(talk, "Nothing relevant here.")

    [result] = search("canary")

    assert result.passage == "Why <mark>canary</mark> analysis works"


def test_highlighted_text_is_escaped_before_marks_are_added():
    event = make_event()
    talk = make_talk(event=event, title="<b>Canary</b> & co")
    write_notes(talk, 'canary <script>alert("x")</script> <mark>fake</mark>')

    [result] = search("canary")

    # PostgreSQL's ts_headline drops what looks like tags, SQLite's snippet keeps them:
    # either way, no tag but our <mark> survives.
    passage = result.passage.replace("<mark>canary</mark>", "")
    assert "<" not in passage
    assert "&quot;x&quot;" in passage
    assert result.title == "&lt;b&gt;<mark>Canary</mark>&lt;/b&gt; &amp; co"


def test_open_space_result_names_its_host_and_kind():
    event = make_event()
    topic = make_open_space(event=event, title="On-call health", host="Jo")

    [result] = search("health")

    assert result.item == topic
    assert (result.kind, result.kind_label) == ("open-space", "Open space")
    assert result.people == "Jo"
    assert result.url == f"/events/{event.slug}/open-spaces/{topic.pk}/"


def test_filters_by_event_year_and_kind():
    old = make_event(slug="ops-2013", start_date=date(2013, 10, 1), end_date=date(2013, 10, 2))
    new = make_event(slug="ops-2024", start_date=date(2024, 5, 2), end_date=date(2024, 5, 3))
    make_talk(event=old, title="Monitoring 2013", kind="talk")
    make_talk(event=old, title="Monitoring ignite", kind="ignite")
    make_talk(event=new, title="Monitoring 2024", kind="talk")
    make_open_space(event=new, title="Monitoring topic")

    assert sorted(titles("monitoring")) == [
        "Monitoring 2013",
        "Monitoring 2024",
        "Monitoring ignite",
        "Monitoring topic",
    ]
    assert sorted(titles("monitoring", event="ops-2013")) == [
        "Monitoring 2013",
        "Monitoring ignite",
    ]
    assert sorted(titles("monitoring", year=2024)) == ["Monitoring 2024", "Monitoring topic"]
    assert titles("monitoring", kind="ignite") == ["Monitoring ignite"]
    assert titles("monitoring", kind="open-space") == ["Monitoring topic"]
    assert titles("monitoring", year=2013, kind="talk") == ["Monitoring 2013"]
    assert titles("monitoring", event="ops-2013", year=2024) == []
    assert result_count("monitoring", year=2013) == 2


def test_filters_by_series():
    series = Series.objects.create(name="Ops Days", slug="ops-days")
    make_talk(event=make_event(slug="ops-1", series=series), title="Tracing one")
    make_talk(event=make_event(slug="ops-2", series=series), title="Tracing two")
    make_talk(event=make_event(slug="elsewhere"), title="Tracing elsewhere")

    assert sorted(titles("tracing", series="ops-days")) == ["Tracing one", "Tracing two"]
    assert len(titles("tracing")) == 3


# Each hostile string, and what it finds among the talks of the test below. Only a
# leading "-" excludes; other operators are punctuation between words.
HOSTILE = [
    ('"', []),
    ('"canary', ["Canary releases"]),
    ('canary"', ["Canary releases"]),
    ('""canary""', ["Canary releases"]),
    ("&|!():*", []),
    ("canary & !kubernetes", []),  # canary and kubernetes: no talk has both
    ("(canary)", ["Canary releases"]),
    ("canary:*", ["Canary releases"]),
    ("!canary | !!operators", []),
    ("'; DROP TABLE notes_note; --", []),
    ("{title}: canary", []),  # the words "title" and "canary"
    ("NEAR(canary releases)", []),
    ("canary\\", ["Canary releases"]),
    ("\x00canary", ["Canary releases"]),
    ("*canary*", ["Canary releases"]),
    ("-", []),
    ("--canary", []),
    ("canary -", ["Canary releases"]),
    ("x" * 1000, []),
    (("canary " * 200)[:1000], ["Canary releases"]),
    ('"' * 1000, []),
    ("&|!():*" * 150, []),
    ("", []),
    ("   ", []),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_hostile_query_strings_are_never_an_error(text, expected):
    event = make_event()
    make_talk(event=event, title="Canary releases", abstract="The canary goes first.")
    make_talk(event=event, title="Kubernetes operators", abstract="Operators on Kubernetes.")

    assert titles(text) == expected
    assert result_count(text) == len(expected)


def test_unlisted_events_never_appear_in_results_or_counts():
    listed = make_event(slug="listed")
    unlisted = make_event(slug="secret", visibility=Event.Visibility.UNLISTED)
    make_talk(event=listed, title="Public canary")
    hidden = make_talk(event=unlisted, title="Secret canary")
    write_notes(hidden, "canary canary canary")

    assert titles("canary") == ["Public canary"]
    assert result_count("canary") == 1
    assert titles("canary", event="secret") == []


def test_event_made_unlisted_disappears_from_search():
    event = make_event()
    make_talk(event=event, title="Canary releases")
    assert titles("canary") == ["Canary releases"]

    Event.objects.filter(pk=event.pk).update(visibility=Event.Visibility.UNLISTED)

    assert titles("canary") == []


def test_withdrawn_open_spaces_are_not_found():
    event = make_event()
    topic = make_open_space(event=event, title="Chaos engineering")
    assert titles("chaos") == ["Chaos engineering"]

    topic.status = OpenSpace.Status.WITHDRAWN
    topic.save(update_fields=["status"])
    assert titles("chaos") == []

    topic.status = OpenSpace.Status.PROPOSED
    topic.save(update_fields=["status"])
    assert titles("chaos") == ["Chaos engineering"]


def test_pages_follow_the_ranking_without_overlap():
    event = make_event()
    for n in range(25):
        talk = make_talk(event=event, title=f"Talk {n:02}")
        write_notes(talk, "incident " * (n + 1))
    results = search_results("incident")

    first, second = results[0:20], results[20:40]

    assert results.count() == 25
    # bm25 and ts_rank_cd both rank the notes that say it most first.
    assert [r.item.title for r in first] == [f"Talk {n:02}" for n in range(24, 4, -1)]
    assert [r.item.title for r in second] == [f"Talk {n:02}" for n in range(4, -1, -1)]


def test_search_uses_the_full_text_index_never_a_scan_with_like():
    make_talk(event=make_event(), title="Canary releases")

    with CaptureQueriesContext(connection) as queries:
        search("canary")

    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert " LIKE " not in sql.upper()
    if is_postgresql():
        assert "e.vector @@ to_tsquery('english'" in sql
        assert "ts_rank_cd(" in sql
        assert "ts_headline(" in sql
    else:
        assert "conf_sessions_searchfts MATCH" in sql
        assert "bm25(" in sql
        assert "snippet(" in sql


def test_postgresql_index_is_gin_and_sqlite_index_is_fts5():
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'searchentry_vector_gin'"
            )
            assert cursor.fetchone()[0] == (
                "CREATE INDEX searchentry_vector_gin ON public.conf_sessions_searchentry "
                "USING gin (vector)"
            )
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'conf_sessions_searchfts'")
            assert "USING fts5(" in cursor.fetchone()[0]


def test_past_the_result_limit_count_says_more_and_title_matches_still_lead(settings):
    settings.SEARCH_RESULT_LIMIT = 5
    event = make_event()
    for n in range(8):
        write_notes(make_talk(event=event, title=f"Report {n}"), "incident review")
    for n in range(3):
        make_talk(event=event, title=f"Incident {n}")

    results = search_results("incident")

    assert results.count() == 5
    assert results.more is True
    first = [r.item.title for r in results[0:5]]
    assert first[:3] == ["Incident 2", "Incident 1", "Incident 0"]
    assert len(first) == 5
    assert all(title.startswith("Report ") for title in first[3:])


def test_more_title_matches_than_the_result_limit_leave_no_room_for_body_matches(settings):
    settings.SEARCH_RESULT_LIMIT = 3
    event = make_event()
    for n in range(5):
        make_talk(event=event, title=f"Incident {n}")
    write_notes(make_talk(event=event, title="Report"), "incident review")

    results = search_results("incident")

    # Only title matches can fill the 3 reachable results: the body match is never read.
    assert results.count() == 3
    assert results.more is True
    assert [r.item.title.split()[0] for r in results[0:3]] == ["Incident"] * 3
