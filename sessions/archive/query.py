"""What a reader types into the search box, parsed into a safe structure.

The syntax: words (all must match), `"a phrase"`, `deploy*` (words starting with
"deploy"), `-kubernetes` (leave out what mentions it), and `-"a phrase"`.

The user's text never reaches the database as query syntax. It is parsed here into
`Term`s whose words contain only letters and digits (Unicode), and each backend
serializes those terms into its own query language (`to_tsquery` on PostgreSQL, an
FTS5 MATCH expression on SQLite), quoting every word. Anything else the user typed —
a stray quote, `&|!():*`, a lone `-` — is punctuation between words and is dropped,
so no input is ever an error: at worst it parses into no terms and finds nothing.
"""

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

# Bounds that keep a hostile or accidental query cheap: the text read, the number of
# terms, the length of one word. A prefix needs a few letters, or it expands to a
# large part of the vocabulary.
MAX_QUERY_CHARS = 256
MAX_TERMS = 12
MAX_WORD_CHARS = 64
MIN_PREFIX_CHARS = 3

# A phrase in quotes (the closing quote may be missing), or a run of anything else.
_TOKEN = re.compile(r'(?P<neg>-?)(?:"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+))(?P<star>\*?)')
# Letters and digits of any script; underscores and punctuation separate words, as
# both databases' tokenizers do.
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """One word, or a phrase (several words that must appear in this order, adjacent)."""

    words: tuple[str, ...]
    prefix: bool = False  # the last word matches any word it starts
    exclude: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...] = ()

    # Cached: a search asks these many times (frozen dataclasses keep a __dict__).
    @cached_property
    def include(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.exclude)

    @cached_property
    def exclude(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.exclude)

    @property
    def searchable(self) -> bool:
        """Whether there is anything to look for (excluding alone finds nothing)."""
        return bool(self.include)

    @cached_property
    def proximity(self) -> Term | None:
        """The single words the reader typed, in order, as one phrase: results where
        they stand together rank above those where they are far apart."""
        words = [t for t in self.include if not t.is_phrase]
        if len(words) < 2:
            return None
        return Term(words=tuple(t.words[0] for t in words), prefix=words[-1].prefix)

    def __str__(self) -> str:
        """A normalized form of the query, in the syntax the reader typed."""
        parts = []
        for term in self.terms:
            text = " ".join(term.words)
            text = f'"{text}"' if term.is_phrase else text
            parts.append(("-" if term.exclude else "") + text + ("*" if term.prefix else ""))
        return " ".join(parts)


def parse_query(text: str | None) -> ParsedQuery:
    """Parse what the reader typed. Never raises; unusable input gives no terms."""
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _TOKEN.finditer(_bounded(text or "")):
        raw = match["phrase"] if match["phrase"] is not None else match["bare"]
        words = tuple(word[:MAX_WORD_CHARS] for word in _WORD.findall(raw))
        if not words:
            continue
        prefix = bool(match["star"]) or (match["bare"] or "").endswith("*")
        prefix = prefix and len(words[-1]) >= MIN_PREFIX_CHARS
        # A bare token with inner punctuation ("on-call", "ci/cd") is a phrase of its parts.
        term = Term(words=words, prefix=prefix, exclude=bool(match["neg"]))
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return ParsedQuery(terms=tuple(terms))


def _bounded(text: str) -> str:
    """The first MAX_QUERY_CHARS characters, without a word cut in two at the end."""
    if len(text) <= MAX_QUERY_CHARS:
        return text
    cut = text[:MAX_QUERY_CHARS]
    if not text[MAX_QUERY_CHARS].isspace():
        cut = cut.rsplit(maxsplit=1)[0] if len(cut.split()) > 1 else cut
    return cut


# --- PostgreSQL: a to_tsquery() expression --------------------------------------------


def _ts_lexeme(word: str, *, prefix: bool, weight: str) -> str:
    # Quoted, so to_tsquery reads it as text to normalize (stemming, stop words), never
    # as an operator; the words hold only letters and digits, doubled quotes are a guard.
    quoted = "'" + word.replace("'", "''").replace("\\", "\\\\") + "'"
    label = ("*" if prefix else "") + weight
    return f"{quoted}:{label}" if label else quoted


def _ts_term(term: Term, *, weight: str = "") -> str:
    last = len(term.words) - 1
    lexemes = [
        _ts_lexeme(word, prefix=term.prefix and n == last, weight=weight)
        for n, word in enumerate(term.words)
    ]
    text = " <-> ".join(lexemes)
    return f"( {text} )" if term.is_phrase else text


def to_tsquery_text(query: ParsedQuery) -> str:
    """The whole query, for `to_tsquery(config, …)`: every term must match, excluded
    ones must not."""
    parts = [_ts_term(t) for t in query.include]
    parts += [f"!( {_ts_term(t)} )" for t in query.exclude]
    return " & ".join(parts)


def to_tsquery_text_weighted(terms: tuple[Term, ...], *, weight: str) -> str:
    """`terms` restricted to lexemes of one weight (the index weighs titles "A")."""
    return " & ".join(_ts_term(t, weight=weight) for t in terms)


def to_tsquery_positive_text(query: ParsedQuery) -> str:
    """The words to highlight: the excluded ones never occur in a result."""
    return " & ".join(_ts_term(t) for t in query.include)


def to_tsquery_phrase_text(term: Term) -> str:
    return _ts_term(term)


# --- SQLite: an FTS5 MATCH expression --------------------------------------------------
# `expand` maps a prefix (folded) to the index's words that start with it: SQLite's
# porter tokenizer stems a prefix as if it were a word, so `deploy*` alone would miss
# "deployment" (see the migration conf_sessions.0008_search_index).

Expansions = Mapping[str, Sequence[str]]


def fold(word: str) -> str:
    """Lowercase, without diacritics: how the unicode61 tokenizer stores a word."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _fts_string(words: Sequence[str]) -> str:
    # A double-quoted FTS5 string is always data: its words become a phrase. The words
    # hold no quotes; doubling is a guard.
    return '"' + " ".join(words).replace('"', '""') + '"'


def _fts_term(term: Term, expand: Expansions) -> str:
    text = _fts_string(term.words)
    if not term.prefix:
        return text
    leading = term.words[:-1]
    words = expand.get(fold(term.words[-1]), ())
    alternatives = [f"{text} *", *(_fts_string((*leading, word)) for word in words)]
    return alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"


def _fts_all(terms: tuple[Term, ...], expand: Expansions) -> str:
    return " AND ".join(_fts_term(t, expand) for t in terms)


def to_fts5_match(query: ParsedQuery, expand: Expansions, *, columns: Sequence[str]) -> str:
    """The whole query for `fts MATCH ?` within `columns`: every term, minus the
    excluded ones."""
    text = _fts_all(query.include, expand)
    if query.exclude:
        text = f"({text}) NOT ({' OR '.join(_fts_term(t, expand) for t in query.exclude)})"
    return "{" + " ".join(columns) + "} : (" + text + ")"


def to_fts5_title_match(query: ParsedQuery, expand: Expansions, *, columns: Sequence[str]) -> str:
    """Entries whose title holds every term, minus the excluded ones (in `columns`)."""
    text = "{title} : (" + _fts_all(query.include, expand) + ")"
    if query.exclude:
        excluded = " OR ".join(_fts_term(t, expand) for t in query.exclude)
        text = f"({text}) NOT ({{{' '.join(columns)}}} : ({excluded}))"
    return text


def to_fts5_highlight(query: ParsedQuery, expand: Expansions, *, columns: Sequence[str]) -> str:
    """Any of the searched words, for highlight() and snippet() on rows that matched.

    A prefix stands for its expansions only, when it has some: FTS5 merges every
    word of a prefix again for each row, which costs milliseconds per row."""
    parts = []
    for term in query.include:
        words = expand.get(fold(term.words[-1]), ()) if term.prefix else ()
        if words:
            leading = term.words[:-1]
            parts += [_fts_string((*leading, word)) for word in words]
        else:
            parts.append(_fts_term(term, expand))
    return "{" + " ".join(columns) + "} : (" + " OR ".join(parts) + ")"


def to_fts5_phrase(term: Term, expand: Expansions, *, columns: Sequence[str]) -> str:
    return "{" + " ".join(columns) + "} : (" + _fts_term(term, expand) + ")"
