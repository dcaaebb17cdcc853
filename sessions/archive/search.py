"""Full-text search of the index (`SearchEntry`), one backend per database vendor.

Both backends answer one question for a parsed query within a scope, in one statement:
a page of the matching entries, ranked and highlighted, and how many entries matched
(see "Bounded cost"). They rank alike, in tiers:

1. entries whose title holds every searched word (a title match beats a body match),
   ordered by how well the title matches;
2. then entries where the reader's single words stand together, in order (a phrase
   beats the same words far apart);
3. then the others, by the database's relevance: `ts_rank_cd` (cover density, weights
   title A, people B, abstract C, notes D) on PostgreSQL, `bm25` with the same order of
   column weights on SQLite;
and newest item first among equals, so that pages are stable.

Bounded cost: a word used in a fifth of the archive matches 20,000 notes, and ranking
all of them reads all of their text; a common word in titles matches thousands of
titles, whose entries each hold a note's whole vector. So each tier ranks the first
RESULT_LIMIT matches the index yields — the newest on SQLite, in table order on
PostgreSQL (a GIN index has no order) — which is every match whenever there are at most
RESULT_LIMIT of them; and tiers 2 and 3 are not read at all when the title matches fill
the RESULT_LIMIT results readers may page through (`result_limit()`). A larger count
reads "More than 1000".

Highlights come back from the database wrapped in two private-use characters
(`MARK_START`, `MARK_END`); `marked()` escapes everything else before turning them
into <mark>, so no text from the database is ever trusted as HTML.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..models import Event
from . import query as q
from .models import FTS_TABLE, FTS_TEXT_COLUMNS, SEARCH_CONFIG

MARK_START, MARK_END = "\ue000", "\ue001"
PASSAGE_WORDS = 28  # about two lines


def result_limit() -> int:
    """RESULT_LIMIT: how many results a search reaches (settings.SEARCH_RESULT_LIMIT)."""
    return getattr(settings, "SEARCH_RESULT_LIMIT", 1000)


# Relevance weights of the FTS5 columns title, people, body, notes, scope.
BM25_WEIGHTS = "10.0, 5.0, 2.0, 1.0, 0.0"


@dataclass(frozen=True)
class Scope:
    """Which entries a search may return: those of the events `events` (their ids, already
    narrowed to what the reader may see), of those only the ones matching `narrowing` (a
    condition on Event: the search's event filters) if given, of `kind` if given."""

    events: tuple[int, ...]
    narrowing: Q | None = None
    kind: str | None = None

    @cached_property
    def partition(self) -> tuple[list[int], list[int]]:
        """(ids of the events in scope, ids of all other events), in one query. Both
        backends name the shorter list in their search (usually the few events that are
        not searchable), which the planners estimate well, unlike a subquery."""
        inside = set(self.events)
        if self.narrowing is None or not inside:
            pks = Event.objects.order_by().values_list("pk", flat=True)
            rows = [(pk, pk in inside) for pk in pks]
        else:
            # A subquery, not the condition itself: a condition through a join (the
            # series) would leave events without one out of both lists.
            narrowed = Event.objects.filter(self.narrowing, pk__in=self.events).values("pk")
            condition = ExpressionWrapper(Q(pk__in=narrowed), output_field=BooleanField())
            rows = Event.objects.order_by().annotate(inside=condition).values_list("pk", "inside")
        partition: tuple[list[int], list[int]] = ([], [])
        for pk, is_inside in rows:
            partition[0 if is_inside else 1].append(pk)
        return partition

    @property
    def is_empty(self) -> bool:
        return not self.partition[0]

    def where(self) -> tuple[str, list]:
        """SQL conditions on the entry `e`, with their parameters (PostgreSQL)."""
        inside, outside = self.partition
        if not outside:
            clauses, params = [], []
        elif len(outside) < len(inside):
            clauses, params = ["NOT (e.event_id = ANY(%s))"], [outside]
        else:
            clauses, params = ["e.event_id = ANY(%s)"], [inside]
        if self.kind:
            clauses.append("e.kind = %s")
            params.append(self.kind)
        return " AND ".join(clauses) or "true", params


@dataclass(frozen=True)
class Hit:
    """One ranked entry: what a result shows of it and of its item and event, read in
    the same query (a model instance per result would cost more than the search). Its
    `title`, `people` and `passage` carry the highlight markers."""

    note_id: int
    kind: str
    event_id: int
    event_slug: str
    event_name: str
    event_start: date
    talk_id: int | None
    open_space_id: int | None
    talk_slug: str | None
    item_title: str
    title: str
    people: str
    passage: str


@dataclass(frozen=True)
class RankedPage:
    """One page of hits, and how many entries matched (counted up to RESULT_LIMIT + 1
    for the ranked tiers, plus every title match)."""

    hits: list[Hit]
    matches: int


# The columns of a hit before its highlighted texts, in both backends' page query: `s`
# is the entry (or the ranked row carrying its columns), `ev`, `t`, `o` its event, talk
# and open space.
HIT_COLUMNS = """s.note_id, s.kind, s.event_id, ev.slug, ev.name, ev.start_date,
                 s.talk_id, s.open_space_id, t.slug, coalesce(t.title, o.title)"""


def _page(rows: list[tuple]) -> RankedPage:
    hits = [
        Hit(
            *row[:9],
            item_title=row[9],
            title=row[10],
            people=row[11],
            passage=_passage(row[12], row[13]),
        )
        for row in rows
    ]
    return RankedPage(hits=hits, matches=rows[0][-1] if rows else 0)


def _passage(body: str, notes: str) -> str:
    """The notes' passage if the words are found there, else the abstract's, else
    the start of whichever has text."""
    for text in (notes, body):
        if MARK_START in text:
            return text
    return notes or body


class PostgresSearch:
    """`vector @@ to_tsquery(...)` through GIN indexes; `ts_rank_cd`, `ts_headline`.

    Prefixes go through the same stemmer as the text (`deploy*` finds "deployment",
    whose stem is "deploy"); a prefix that reaches into an ending the stemmer removes
    (`deploym*`) finds nothing.
    """

    HEADLINE_ALL = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
    HEADLINE_PASSAGE = (
        f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={PASSAGE_WORDS}, MinWords=12"
    )
    TSQUERY = f"to_tsquery('{SEARCH_CONFIG}', %s)"

    def __init__(self, *, query: q.ParsedQuery, scope: Scope) -> None:
        self.query, self.scope = query, scope

    def page(self, *, offset: int, limit: int) -> RankedPage:
        if self.scope.is_empty:
            return RankedPage(hits=[], matches=0)
        query, tsquery = self.query, self.TSQUERY
        where, where_params = self.scope.where()
        whole = q.to_tsquery_text(query)
        positive = q.to_tsquery_positive_text(query)
        near_sql, near_params = "3", []
        if query.proximity is not None:
            near_sql = f"CASE WHEN e.vector @@ {tsquery} THEN 2 ELSE 3 END"
            near_params = [q.to_tsquery_phrase_text(query.proximity)]
        # The title vector holds every positive word only if the whole vector does: the
        # whole query is checked again only for what it excludes.
        title_where = f"e.title_vector @@ {tsquery}"
        title_params = [positive]
        if query.exclude:
            title_where += f" AND e.vector @@ {tsquery}"
            title_params.append(whole)
        # Tier 1: the first RESULT_LIMIT + 1 title matches (one more tells there are more),
        # ranked on the small title vector; tiers 2 and 3: as many other matches, read
        # only if the title matches leave room for them among the RESULT_LIMIT results a
        # reader may reach. Count them all, keep one page, and only then read its texts
        # to highlight them.
        sql = f"""
            WITH title AS MATERIALIZED (
                SELECT e.note_id, e.kind, e.event_id, e.talk_id, e.open_space_id, 1 AS tier,
                       ts_rank_cd(e.title_vector, {tsquery}) AS score
                FROM conf_sessions_searchentry e
                WHERE {title_where} AND {where}
                LIMIT %s
            ),
            ranked AS (
                SELECT *, count(*) OVER () AS matches FROM (
                    SELECT * FROM title
                    UNION ALL
                    (SELECT e.note_id, e.kind, e.event_id, e.talk_id, e.open_space_id,
                            {near_sql} AS tier,
                            ts_rank_cd(e.vector, {tsquery}, 1) AS score
                     FROM conf_sessions_searchentry e
                     WHERE e.vector @@ {tsquery} AND NOT (e.title_vector @@ {tsquery})
                           AND {where}
                     LIMIT (SELECT CASE WHEN count(*) > %s THEN 0 ELSE %s END FROM title))
                ) candidates
                ORDER BY tier, score DESC, note_id DESC
                LIMIT %s OFFSET %s
            )
            SELECT {HIT_COLUMNS},
                   ts_headline('{SEARCH_CONFIG}', coalesce(t.title, o.title), {tsquery}, %s),
                   ts_headline('{SEARCH_CONFIG}', coalesce(t.speakers, o.host), {tsquery}, %s),
                   ts_headline('{SEARCH_CONFIG}', coalesce(t.abstract, o.description),
                               {tsquery}, %s),
                   ts_headline('{SEARCH_CONFIG}', left(n.markdown, 200000), {tsquery}, %s),
                   s.matches
            FROM ranked s
            JOIN notes_note n ON n.id = s.note_id
            JOIN conf_sessions_event ev ON ev.id = s.event_id
            LEFT JOIN conf_sessions_talk t ON t.id = s.talk_id
            LEFT JOIN conf_sessions_openspace o ON o.id = s.open_space_id
            ORDER BY s.tier, s.score DESC, s.note_id DESC
        """  # noqa: S608 - the only values are the bound parameters
        params = [
            positive,  # tier 1 score
            *title_params,
            *where_params,
            result_limit() + 1,
            *near_params,
            whole,  # tiers 2 and 3 score
            whole,
            positive,
            *where_params,
            result_limit(),
            result_limit() + 1,
            limit,
            offset,
            *(positive, self.HEADLINE_ALL) * 2,
            *(positive, self.HEADLINE_PASSAGE) * 2,
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _page(cursor.fetchall())


def _event_tokens(event_ids: list[int]) -> str:
    return " OR ".join(f'"e{pk}"' for pk in event_ids)


class SqliteSearch:
    """FTS5 MATCH expressions, filters included (the `scope` column); `bm25` to rank,
    `highlight` and `snippet` to show the words."""

    # How many of the index's words a prefix expands to, the most frequent first (with
    # Zipf-like frequencies they hold most of the matches); the stemmed prefix itself is
    # searched too.
    MAX_EXPANSIONS = 8

    def __init__(self, *, query: q.ParsedQuery, scope: Scope) -> None:
        self.query, self.scope = query, scope

    @cached_property
    def expansions(self) -> dict[str, list[str]]:
        """The words of the index starting with each prefix of the query, in one query."""
        prefixes = sorted({q.fold(t.words[-1]) for t in self.query.terms if t.prefix})
        if not prefixes:
            return {}
        # Words are compared as UTF-8 bytes, so [p, p with its last character + 1)
        # is exactly the words starting with p.
        part = (
            "SELECT * FROM (SELECT %s, term FROM conf_sessions_searchwords_vocab "
            "WHERE term >= %s AND term < %s ORDER BY doc DESC LIMIT %s)"
        )
        params = []
        for prefix in prefixes:
            params += [prefix, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), self.MAX_EXPANSIONS]
        expansions: dict[str, list[str]] = {prefix: [] for prefix in prefixes}
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join([part] * len(prefixes)), params)
            for prefix, word in cursor.fetchall():
                expansions[prefix].append(word)
        return expansions

    @cached_property
    def _scope_match(self) -> str | None:
        """The scope as an FTS5 condition to append ("" for everything, None for
        nothing): events by id tokens ("e12"), the kind by its token ("ktalk")."""
        if self.scope.is_empty:
            return None
        inside, outside = self.scope.partition
        condition = ""
        # Name the shorter list: usually the few events that are not searchable.
        if outside and len(outside) < len(inside):
            condition = " NOT {scope} : (" + _event_tokens(outside) + ")"
        elif outside:
            condition = " AND {scope} : (" + _event_tokens(inside) + ")"
        if self.scope.kind:
            kind = "k" + re.sub(r"[^a-z]", "", self.scope.kind)
            condition += f' AND {{scope}} : "{kind}"'
        return condition

    def _scoped(self, match: str) -> str:
        return f"({match}){self._scope_match}"

    def page(self, *, offset: int, limit: int) -> RankedPage:
        if self._scope_match is None:
            return RankedPage(hits=[], matches=0)
        query, expand, fts = self.query, self.expansions, FTS_TABLE
        whole = q.to_fts5_match(query, expand, columns=FTS_TEXT_COLUMNS)
        in_title = q.to_fts5_title_match(query, expand, columns=FTS_TEXT_COLUMNS)
        near_sql, near_params = "3", []
        if query.proximity is not None:
            near_sql = (
                f"CASE WHEN {fts}.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s) "  # noqa: S608
                "THEN 2 ELSE 3 END"
            )
            near_params = [
                self._scoped(q.to_fts5_phrase(query.proximity, expand, columns=FTS_TEXT_COLUMNS))
            ]
        # FTS5 wants the table's own name (not an alias) with MATCH and its functions.
        # Tier 1: the newest RESULT_LIMIT + 1 title matches (one more tells there are
        # more), ranked by bm25 of the title query; tiers 2 and 3: the newest RESULT_LIMIT
        # + 1 other matches, read only if the title matches leave room for them among the
        # RESULT_LIMIT results a reader may reach. Count them all, keep one page;
        # highlight() and snippet() run for it only.
        sql = f"""
            WITH title AS MATERIALIZED (
                SELECT {fts}.rowid AS note_id, 1 AS tier, bm25({fts}, {BM25_WEIGHTS}) AS score
                FROM {fts} WHERE {fts} MATCH %s
                ORDER BY {fts}.rowid DESC
                LIMIT %s
            ),
            others AS (
                SELECT {fts}.rowid AS note_id, {near_sql} AS tier,
                       bm25({fts}, {BM25_WEIGHTS}) AS score
                FROM {fts}
                WHERE {fts} MATCH %s AND {fts}.rowid NOT IN (SELECT note_id FROM title)
                ORDER BY {fts}.rowid DESC
                LIMIT (SELECT CASE WHEN count(*) > %s THEN 0 ELSE %s END FROM title)
            ),
            ranked AS (
                SELECT *, count(*) OVER () AS matches
                FROM (SELECT * FROM title UNION ALL SELECT * FROM others)
                ORDER BY tier, score, note_id DESC
                LIMIT %s OFFSET %s
            )
            SELECT {HIT_COLUMNS},
                   highlight({fts}, 0, %s, %s),
                   highlight({fts}, 1, %s, %s),
                   snippet({fts}, 2, %s, %s, ' … ', {PASSAGE_WORDS}),
                   snippet({fts}, 3, %s, %s, ' … ', {PASSAGE_WORDS}),
                   r.matches
            FROM ranked r CROSS JOIN {fts}
            JOIN conf_sessions_searchentry s ON s.note_id = r.note_id
            JOIN conf_sessions_event ev ON ev.id = s.event_id
            LEFT JOIN conf_sessions_talk t ON t.id = s.talk_id
            LEFT JOIN conf_sessions_openspace o ON o.id = s.open_space_id
            WHERE {fts}.rowid = r.note_id AND {fts} MATCH %s
            ORDER BY r.tier, r.score, r.note_id DESC
        """  # noqa: S608 - the only values are the bound parameters
        params = [
            self._scoped(in_title),
            result_limit() + 1,
            *near_params,
            self._scoped(whole),
            result_limit(),
            result_limit() + 1,
            limit,
            offset,
            *(MARK_START, MARK_END) * 4,
            q.to_fts5_highlight(query, expand, columns=FTS_TEXT_COLUMNS),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _page(cursor.fetchall())


def search_backend(*, query: q.ParsedQuery, scope: Scope) -> PostgresSearch | SqliteSearch:
    """The search of `query` within `scope` on the default database."""
    if connection.vendor == "postgresql":
        return PostgresSearch(query=query, scope=scope)
    if connection.vendor == "sqlite":
        return SqliteSearch(query=query, scope=scope)
    raise NotImplementedError(f"search supports PostgreSQL and SQLite, not {connection.vendor}")


_MARKS = re.compile(f"({MARK_START}|{MARK_END})")
# Markdown line markers (headings, bullets, quotes) and emphasis or code marks read as
# noise in a one-line passage.
_LINE_MARKERS = re.compile(r"(?m)^[ \t]*(?:#{1,6}|[-*+]|\d+[.)]|>)[ \t]+")
_INLINE_MARKS = re.compile(r"\*\*|__|`+|~~")


def marked(text: str, *, passage: bool = False) -> SafeString:
    """Text from the database as HTML: everything escaped, then its highlight markers
    (and only those) turned into <mark> elements, always balanced."""
    if passage:
        text = " ".join(_INLINE_MARKS.sub("", _LINE_MARKERS.sub("", text)).split())
    html, open_ = [], False
    for piece in _MARKS.split(text):
        if piece == MARK_START:
            if not open_:
                html.append("<mark>")
            open_ = True
        elif piece == MARK_END:
            if open_:
                html.append("</mark>")
            open_ = False
        else:
            html.append(escape(piece))
    if open_:
        html.append("</mark>")
    return mark_safe("".join(html))  # noqa: S308 - escaped above; only our own tags added
