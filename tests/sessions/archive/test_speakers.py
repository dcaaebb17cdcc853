"""Speakers: linking talks by identity, from the service, the importer and the admin;
merging; and the data migration that linked the talks that existed before."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from sessions.archive.browse_selectors import talk_speakers
from sessions.archive.speakers import speaker_for_name, speaker_merge, talk_set_speakers
from sessions.models import Series, Speaker, SpeakerAlias, SpeakerOldSlug, Talk, TalkSpeaker
from sessions.transfer.importing import event_import
from tests.factories import make_event, make_talk, make_user

pytestmark = pytest.mark.django_db


def speakers_of(talk: Talk) -> list[tuple[str, str, str]]:
    return [(s.name, s.slug, s.handle) for s in talk_speakers(talk=talk)]


def test_set_speakers_links_one_speaker_however_the_name_is_written():
    event = make_event()
    talks = [make_talk(event=event) for _ in range(4)]

    for talk, name in zip(
        talks,
        ["Rich Hickey", "rich  hickey", "Rich Hickey (@richhickey)", "RÍCH HICKEY (Cognitect)"],
        strict=True,
    ):
        talk_set_speakers(talk=talk, names=[name])

    assert [speakers_of(t) for t in talks] == [[("Rich Hickey", "rich-hickey", "richhickey")]] * 4
    assert Speaker.objects.count() == 1


def test_set_speakers_keeps_the_order_and_the_display_string():
    talk = make_talk(event=make_event())

    talk_set_speakers(talk=talk, names=[" Grace Hopper ", "Ada Lovelace (@ada)", "grace hopper"])

    talk.refresh_from_db()
    assert talk.speakers == "Grace Hopper, Ada Lovelace (@ada), grace hopper"
    assert speakers_of(talk) == [
        ("Grace Hopper", "grace-hopper", ""),
        ("Ada Lovelace", "ada-lovelace", "ada"),
    ]


def test_set_speakers_again_reorders_drops_and_adds():
    talk = make_talk(event=make_event())
    talk_set_speakers(talk=talk, names=["Ada Lovelace", "Grace Hopper"])

    talk_set_speakers(talk=talk, names=["Grace Hopper", "Alan Turing"])

    assert [name for name, _, _ in speakers_of(talk)] == ["Grace Hopper", "Alan Turing"]
    assert TalkSpeaker.objects.filter(talk=talk).count() == 2
    assert Speaker.objects.filter(name="Ada Lovelace").exists()  # kept for her other talks


def test_set_speakers_unchanged_costs_two_queries(django_assert_num_queries):
    talk = make_talk(event=make_event())
    talk_set_speakers(talk=talk, names=["Ada Lovelace"])

    with django_assert_num_queries(2):  # the alias, the talk's links
        talk_set_speakers(talk=talk, names=["Ada Lovelace"])


def test_bare_handle_and_named_handle_are_one_speaker_either_way_round():
    event = make_event()
    first, second = make_talk(event=event), make_talk(event=event)

    talk_set_speakers(talk=first, names=["@philandstuff"])
    talk_set_speakers(talk=second, names=["Phil Potter (@philandstuff)"])

    # Known by handle first, the speaker gets the real name when it appears.
    assert (
        speakers_of(first)
        == speakers_of(second)
        == [("Phil Potter", "philandstuff", "philandstuff")]
    )
    assert speaker_for_name(name="@PhilAndStuff").name == "Phil Potter"
    assert speaker_for_name(name="phil potter").slug == "philandstuff"


def test_punctuation_is_not_identity():
    talk = make_talk(event=make_event())

    talk_set_speakers(talk=talk, names=["Jo Smith", "Jo-Smith!"])

    assert speakers_of(talk) == [("Jo Smith", "jo-smith", "")]


def test_two_people_whose_names_slugify_alike_get_distinct_slugs():
    event = make_event()
    first, second = make_talk(event=event), make_talk(event=event)

    # "Ł" has no ASCII decomposition: slugify drops it, the identity key keeps it.
    talk_set_speakers(talk=first, names=["Łukasz Nowak"])
    talk_set_speakers(talk=second, names=["Ukasz Nowak"])

    assert speakers_of(first) + speakers_of(second) == [
        ("Łukasz Nowak", "ukasz-nowak", ""),
        ("Ukasz Nowak", "ukasz-nowak-2", ""),
    ]


def test_empty_names_link_nobody():
    talk = make_talk(event=make_event(), speakers="Someone")

    talk_set_speakers(talk=talk, names=["", "  ", " , "])

    talk.refresh_from_db()
    assert (talk.speakers, speakers_of(talk)) == (",", [])


def test_import_links_speakers_and_reimport_changes_nothing():
    org = (
        "* Rich Hickey (@richhickey): Simple Made Easy\n- simple\n"
        "* Rích Hickey (Cognitect): Hammock Driven Development\n- think\n"
    ).encode()

    event_import(files=[("notes.org", org)], slug="imp", start=make_event().start_date)
    result = event_import(files=[("notes.org", org)], slug="imp")

    talks = {t.title: speakers_of(t) for t in Talk.objects.filter(event__slug="imp")}
    assert talks == {
        "Simple Made Easy": [("Rich Hickey", "rich-hickey", "richhickey")],
        "Hammock Driven Development": [("Rich Hickey", "rich-hickey", "richhickey")],
    }
    assert [item.action for item in result.items] == ["unchanged", "unchanged"]


def test_admin_talk_save_links_its_speakers():
    event = make_event(slug="adm")
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/conf_sessions/talk/add/",
        {"event": event.pk, "title": "Two voices", "kind": "talk", "speakers": "Ada, Grace Hopper"},
    )

    assert response.status_code == 302
    assert speakers_of(Talk.objects.get(title="Two voices")) == [
        ("Ada", "ada", ""),
        ("Grace Hopper", "grace-hopper", ""),
    ]


def test_merge_moves_talks_names_and_address():
    event = make_event()
    shared = make_talk(event=event)
    talk_set_speakers(talk=shared, names=["Rich Hickey", "R. Hickey"])
    only_merged = make_talk(event=event)
    talk_set_speakers(talk=only_merged, names=["R. Hickey (@richhickey)"])
    keep, merged = Speaker.objects.get(slug="rich-hickey"), Speaker.objects.get(slug="r-hickey")

    speaker_merge(keep=keep, merged=merged)

    assert speakers_of(shared) == [("Rich Hickey", "rich-hickey", "richhickey")]
    assert speakers_of(only_merged) == [("Rich Hickey", "rich-hickey", "richhickey")]
    assert list(Speaker.objects.values_list("slug", flat=True)) == ["rich-hickey"]
    assert sorted(SpeakerAlias.objects.values_list("key", "speaker__slug")) == [
        ("r hickey", "rich-hickey"),
        ("rich hickey", "rich-hickey"),
    ]
    assert list(SpeakerOldSlug.objects.values_list("slug", "speaker__slug")) == [
        ("r-hickey", "rich-hickey")
    ]
    # A later import of the merged spelling finds the kept speaker.
    assert speaker_for_name(name="R. Hickey").pk == keep.pk


def test_merge_carries_earlier_old_slugs_and_a_new_speaker_does_not_take_them():
    event = make_event()
    for name in ["Ada Lovelace", "A. Lovelace", "Countess Lovelace"]:
        talk_set_speakers(talk=make_talk(event=event), names=[name])
    ada, a, countess = (
        Speaker.objects.get(name=n) for n in ["Ada Lovelace", "A. Lovelace", "Countess Lovelace"]
    )
    speaker_merge(keep=countess, merged=a)

    speaker_merge(keep=ada, merged=countess)

    assert sorted(SpeakerOldSlug.objects.values_list("slug", "speaker__slug")) == [
        ("a-lovelace", "ada-lovelace"),
        ("countess-lovelace", "ada-lovelace"),
    ]
    talk = make_talk(event=event)
    talk_set_speakers(talk=talk, names=["A-Lovelace the Second"])
    assert speakers_of(talk)[0][1] == "a-lovelace-the-second"
    # The slug of a merged speaker stays with its redirect: a newcomer gets another one.
    assert speaker_for_name(name="A Lovelace!").pk == ada.pk


def test_merge_into_itself_is_refused():
    talk = make_talk(event=make_event())
    (speaker,) = talk_set_speakers(talk=talk, names=["Ada"])

    with pytest.raises(ValueError, match="itself"):
        speaker_merge(keep=speaker, merged=speaker)


@pytest.mark.django_db(transaction=True)
def test_data_migration_links_the_talks_that_existed():
    executor = MigrationExecutor(connection)
    executor.migrate([("conf_sessions", "0004_series_speakers_redirects")])
    apps = executor.loader.project_state([("conf_sessions", "0004_series_speakers_redirects")]).apps
    Event, Talk_, Note = (
        apps.get_model(*m)
        for m in [("conf_sessions", "Event"), ("conf_sessions", "Talk"), ("notes", "Note")]
    )
    event = Event.objects.create(
        name="Old", slug="old", start_date="2013-03-07", end_date="2013-03-08"
    )
    for n, speakers in enumerate(
        ["Rich Hickey, Stuart Halloway", "rich hickey (@richhickey)", "", "@stu"]
    ):
        Talk_.objects.create(
            event=event, title=f"T{n}", slug=f"t{n}", speakers=speakers, note=Note.objects.create()
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    linked = {
        t.slug: speakers_of(t) for t in Talk.objects.filter(event__slug="old").order_by("slug")
    }
    assert linked == {
        "t0": [
            ("Rich Hickey", "rich-hickey", "richhickey"),
            ("Stuart Halloway", "stuart-halloway", ""),
        ],
        "t1": [("Rich Hickey", "rich-hickey", "richhickey")],
        "t2": [],
        "t3": [("@stu", "stu", "stu")],
    }


def test_admin_lists_series_and_speakers_and_a_renamed_speaker_keeps_both_names():
    Series.objects.create(name="DevOpsDays Paris", slug="dod-paris")
    talk = make_talk(event=make_event())
    (speaker,) = talk_set_speakers(talk=talk, names=["R Hickey"])
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))

    series_list = client.get("/admin/conf_sessions/series/").content.decode()
    response = client.post(
        f"/admin/conf_sessions/speaker/{speaker.pk}/change/",
        {
            "name": "Rich Hickey",
            "slug": "rich-hickey",
            "handle": "",
            "talk_links-TOTAL_FORMS": "1",
            "talk_links-INITIAL_FORMS": "1",
            "talk_links-0-id": TalkSpeaker.objects.get(speaker=speaker).pk,
            "talk_links-0-speaker": speaker.pk,
        },
    )

    assert "DevOpsDays Paris" in series_list
    assert response.status_code == 302
    assert sorted(SpeakerAlias.objects.values_list("key", flat=True)) == ["r hickey", "rich hickey"]
    assert speaker_for_name(name="rich hickey").pk == speaker.pk
    assert list(SpeakerOldSlug.objects.values_list("slug", flat=True)) == ["r-hickey"]


def test_admin_scopes_speakers_to_the_events_one_organizes():
    mine, theirs = make_event(slug="mine"), make_event(slug="theirs")
    talk_set_speakers(talk=make_talk(event=mine), names=["Ada Lovelace"])
    talk_set_speakers(talk=make_talk(event=theirs), names=["Grace Hopper"])
    organizer = make_user(is_staff=True)
    organizer.user_permissions.add(Permission.objects.get(codename="view_speaker"))
    mine.organizers.add(organizer)
    client = Client()
    client.force_login(organizer)

    html = client.get("/admin/conf_sessions/speaker/").content.decode()

    assert ("Ada Lovelace" in html, "Grace Hopper" in html) == (True, False)
