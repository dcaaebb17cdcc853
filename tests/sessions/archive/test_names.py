"""Who a speaker is, from a name as written: the identity rules as one table."""

import pytest

from sessions.archive.names import WrittenName, speaker_slug_base, written_name

# (as written, name shown, handle, identity key)
# fmt: off
NAMES = [
    ("Rich Hickey",                     "Rich Hickey",           "",                  "rich hickey"),
    ("rich hickey",                     "rich hickey",           "",                  "rich hickey"),
    ("  Rich   Hickey ",                "Rich Hickey",           "",                  "rich hickey"),
    ("RICH HICKEY",                     "RICH HICKEY",           "",                  "rich hickey"),
    ("Rich Hickey (@richhickey)",       "Rich Hickey",           "richhickey",        "rich hickey"),
    ("Rich Hickey(@richhickey)",        "Rich Hickey",           "richhickey",        "rich hickey"),
    ("Rich Hickey ( @richhickey )",     "Rich Hickey",           "richhickey",        "rich hickey"),
    ("Rich Hickey (@rich@hachyderm.io)", "Rich Hickey",          "rich@hachyderm.io", "rich hickey"),
    ("Rich Hickey (Cognitect)",         "Rich Hickey",           "",                  "rich hickey"),
    ("Rémy-Christophe Schermesser",     "Rémy-Christophe Schermesser", "",            "remy christophe schermesser"),
    ("Remy Christophe Schermesser",     "Remy Christophe Schermesser", "",            "remy christophe schermesser"),
    ("Zoë O'Brien",                     "Zoë O'Brien",           "",                  "zoe o brien"),
    ("Straße",                          "Straße",                "",                  "strasse"),
    ("@philandstuff",                   "@philandstuff",         "philandstuff",      "philandstuff"),
    ("(someone)",                       "(someone)",             "",                  "someone"),
    ("R. Di Cosmo",                     "R. Di Cosmo",           "",                  "r di cosmo"),
    ("李小龙",                           "李小龙",                 "",                  "李小龙"),
    (" , ",                             ",",                     "",                  ""),
]
# fmt: on


@pytest.mark.parametrize(("text", "name", "handle", "key"), NAMES, ids=[row[0] for row in NAMES])
def test_written_name_splits_name_handle_and_identity(text, name, handle, key):
    assert written_name(text) == WrittenName(name=name, handle=handle, key=key)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Rich Hickey", "rich hickey"),
        ("Rich Hickey", "Rich Hickey (@richhickey)"),
        ("Rich Hickey", "Rích  Hickey"),
        ("Rich Hickey", "Rich Hickey (Cognitect)"),
        ("Pierre-Yves Ritschard", "pierre yves ritschard"),
    ],
)
def test_one_person_however_written(first, second):
    assert written_name(first).key == written_name(second).key


@pytest.mark.parametrize(
    ("first", "second"),
    [("Rich Hickey", "Rich Hickey Jr"), ("R. Hickey", "Rich Hickey"), ("Ada", "Ada Lovelace")],
)
def test_different_people_stay_apart(first, second):
    assert written_name(first).key != written_name(second).key


@pytest.mark.parametrize(
    ("text", "handle_only"),
    [("@philandstuff", True), ("Phil Potter (@philandstuff)", False), ("Phil Potter", False)],
)
def test_handle_only(text, handle_only):
    assert written_name(text).is_handle_only is handle_only


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Rich Hickey", "rich-hickey"),
        ("Rémy Schermesser", "remy-schermesser"),
        ("李小龙", "李小龙"),
        ("!!", "speaker"),
    ],
)
def test_speaker_slug_base(name, slug):
    assert speaker_slug_base(name) == slug
