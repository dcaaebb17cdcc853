"""The search syntax: what readers type, parsed into terms, and each backend's query."""

import pytest

from sessions.archive.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    ParsedQuery,
    Term,
    parse_query,
    to_fts5_highlight,
    to_fts5_match,
    to_fts5_title_match,
    to_tsquery_text,
    to_tsquery_text_weighted,
)


def test_parse_words_phrase_prefix_and_exclusion():
    query = parse_query('canary "blast radius" deploy* -kubernetes -"big bang"')

    assert query.terms == (
        Term(words=("canary",)),
        Term(words=("blast", "radius")),
        Term(words=("deploy",), prefix=True),
        Term(words=("kubernetes",), exclude=True),
        Term(words=("big", "bang"), exclude=True),
    )
    assert str(query) == 'canary "blast radius" deploy* -kubernetes -"big bang"'


def test_parse_inner_punctuation_makes_a_phrase_of_the_parts():
    assert parse_query("on-call ci/cd x86_64").terms == (
        Term(words=("on", "call")),
        Term(words=("ci", "cd")),
        Term(words=("x86", "64")),
    )


def test_parse_unclosed_quote_runs_to_the_end():
    assert parse_query('incident "blast radius').terms == (
        Term(words=("incident",)),
        Term(words=("blast", "radius")),
    )


def test_parse_prefix_of_a_phrase_and_short_prefixes():
    assert parse_query('"blast rad"* ab* abc*').terms == (
        Term(words=("blast", "rad"), prefix=True),
        Term(words=("ab",)),  # too short to expand: a plain word
        Term(words=("abc",), prefix=True),
    )


def test_parse_keeps_letters_of_any_script_and_drops_duplicates():
    assert parse_query("Déploiement 日本 déploiement Déploiement").terms == (
        Term(words=("Déploiement",)),
        Term(words=("日本",)),
        Term(words=("déploiement",)),
    )


@pytest.mark.parametrize(
    "text",
    ["", "   ", '"', '""', "-", "*", "-*", "&|!():*", "'\\", "\x00", "--", '-""*', "():&|!" * 200],
)
def test_parse_input_without_words_gives_no_terms(text):
    assert parse_query(text) == ParsedQuery()
    assert not parse_query(text).searchable


def test_parse_operators_are_punctuation_between_words():
    assert parse_query("canary&kubernetes | !(deploy): NEAR(a b)*").terms == (
        Term(words=("canary", "kubernetes")),
        Term(words=("deploy",)),
        Term(words=("NEAR", "a")),
        Term(words=("b",)),  # "b)*": too short to be a prefix
    )


def test_parse_exclusion_alone_is_not_searchable():
    query = parse_query("-kubernetes")

    assert query.exclude == (Term(words=("kubernetes",), exclude=True),)
    assert not query.searchable


def test_parse_bounds_length_terms_and_word_size():
    long_word = parse_query("x" * 1000)
    many = parse_query(" ".join(f"w{n}" for n in range(100)))
    long_text = parse_query(("canary " * 200) + "tail")

    assert long_word.terms == (Term(words=("x" * 64,)),)
    assert len(many.terms) == MAX_TERMS
    assert long_text.terms == (Term(words=("canary",)),)  # "tail" is past MAX_QUERY_CHARS
    assert len("canary " * 200) > MAX_QUERY_CHARS


def test_proximity_phrase_is_the_single_words_in_order():
    assert parse_query('blast "big bang" radius* -x').proximity == Term(
        words=("blast", "radius"), prefix=True
    )
    assert parse_query('blast "big bang"').proximity is None


def test_tsquery_quotes_every_lexeme():
    query = parse_query('canary "blast radius" deploy* -kubernetes')

    assert to_tsquery_text(query) == (
        "'canary' & ( 'blast' <-> 'radius' ) & 'deploy':* & !( 'kubernetes' )"
    )
    assert to_tsquery_text_weighted(query.include, weight="A") == (
        "'canary':A & ( 'blast':A <-> 'radius':A ) & 'deploy':*A"
    )


def test_fts5_match_quotes_every_word_and_expands_prefixes():
    query = parse_query('canary "blast radius" deploy* -kubernetes -"big bang"')
    expand = {"deploy": ["deployment", "deploys"]}

    assert to_fts5_match(query, expand, columns=("title", "notes")) == (
        '{title notes} : (("canary" AND "blast radius" AND ("deploy" * OR "deployment" OR'
        ' "deploys")) NOT ("kubernetes" OR "big bang"))'
    )
    assert to_fts5_title_match(query, {}, columns=("title", "notes")) == (
        '({title} : ("canary" AND "blast radius" AND "deploy" *))'
        ' NOT ({title notes} : ("kubernetes" OR "big bang"))'
    )


def test_fts5_prefix_of_a_phrase_expands_its_last_word():
    query = parse_query('"blast Rad"*')

    assert to_fts5_match(query, {"rad": ["radius"]}, columns=("notes",)) == (
        '{notes} : (("blast Rad" * OR "blast radius"))'
    )


def test_fts5_highlight_is_any_searched_word_with_prefixes_expanded():
    query = parse_query('canary "blast radius" deploy* -kubernetes')

    assert to_fts5_highlight(query, {"deploy": ["deployment"]}, columns=("notes",)) == (
        '{notes} : ("canary" OR "blast radius" OR "deployment")'
    )
    assert to_fts5_highlight(query, {}, columns=("notes",)) == (
        '{notes} : ("canary" OR "blast radius" OR "deploy" *)'
    )
