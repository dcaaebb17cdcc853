"""The history pages of a note (list, timeslider, comparison, revision, restore) and who
wrote what (the reading view's `?authors`, the editor's JSON)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pycrdt import Doc, Text

from notes import persistence
from notes.models import NoteClientAuthor, NoteRevision
from notes.services import note_contributors_merge_guest, note_text
from sessions.models import EventRole
from tests.factories import make_event, make_open_space, make_talk, make_user

pytestmark = pytest.mark.django_db


def write(note_id: int, *typed: tuple[int, str, str]) -> None:
    """Store edits as clients would: (client id, name, text appended)."""
    doc = Doc()
    doc.get("content", type=Text)
    doc.apply_update(persistence.load_note_state(note_id=note_id).update)
    for client_id, name, chunk in typed:
        author = Doc(client_id=client_id)
        author_text = author.get("content", type=Text)
        author.apply_update(doc.get_update())
        state = author.get_state()
        author_text.insert(len(author_text), chunk)
        update = author.get_update(state)
        doc.apply_update(update)
        persistence.append_updates(note_id=note_id, updates=[update])
        persistence.record_client_authors(note_id=note_id, authors=[(client_id, None, "", name)])


def keep_revision(note_id: int, *, at: datetime, **fields) -> NoteRevision:
    doc = persistence.load_note_doc(note_id=note_id)
    revision = persistence.revision_add(
        note_id=note_id,
        markdown=str(doc.get("content", type=Text)),
        reason=NoteRevision.Reason.EDITING,
        state_vector=doc.get_state(),
        **fields,
    )
    NoteRevision.objects.filter(pk=revision.pk).update(created_at=at)
    revision.refresh_from_db()
    return revision


@pytest.fixture
def talk():
    return make_talk(
        event=make_event(slug="conf", timezone="Europe/Paris"), title="Ops", slug="ops"
    )


def url(name: str, *args) -> str:
    return reverse(f"sessions:talk_{name}", args=["conf", "ops", *args])


def rows(html: str) -> list[str]:
    """The revisions table, one line of text per row."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        out.append(" | ".join(" ".join(cell.split()) for cell in cells[:5]))
    return out


def test_history_lists_revisions_newest_first_with_who_wrote_and_the_size(talk):
    note_id = talk.note_id
    write(note_id, (1, "Ann", "Hello"))
    keep_revision(note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    write(note_id, (2, "Bob", " world"), (1, "Ann", "!"))
    keep_revision(note_id, at=datetime(2026, 6, 10, 10, 5, tzinfo=UTC))

    response = Client().get(url("history"))

    assert response.status_code == 200
    # Times in the event's time zone (Paris, UTC+2 in June).
    assert rows(response.content.decode()) == [
        "2 | Wed 10 Jun 2026, 12:05 | While writing | Ann, Bob | +7 −0",
        "1 | Wed 10 Jun 2026, 11:30 | While writing | Ann | +5 −0",
    ]


def test_the_timeslider_answers_htmx_with_the_revision_at_its_position(talk):
    write(talk.note_id, (1, "Ann", "**first**"))
    keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    write(talk.note_id, (1, "Ann", " and more"))
    keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 40, tzinfo=UTC))

    response = Client().get(url("history"), {"at": "1"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert 'id="timeslider-view" data-position="1"' in html
    assert (
        '<div class="notes-rendered" id="timeslider-rendered"><p><strong>first</strong></p>\n</div>'
        in html
    )
    assert "Revision 1 of 2" in html
    assert '<time datetime="2026-06-10T11:30:00+02:00">Wed 10 Jun 2026, 11:30</time>' in html


def test_the_history_page_without_javascript_shows_the_chosen_position(talk):
    write(talk.note_id, (1, "Ann", "one"))
    keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    write(talk.note_id, (1, "Ann", " two"))
    keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 40, tzinfo=UTC))

    html = Client().get(url("history"), {"at": "1"}).content.decode()

    assert 'type="range" id="timeslider-at" name="at" min="1" max="2" step="1" value="1"' in html
    assert '<div class="notes-rendered" id="timeslider-rendered"><p>one</p>\n</div>' in html


def test_the_comparison_is_word_level_html_as_a_page_and_as_an_htmx_fragment(talk):
    write(talk.note_id, (1, "Ann", "the quick brown fox"))
    old = keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    NoteRevision.objects.create(note_id=talk.note_id, markdown="the slow brown <fox>")
    new = NoteRevision.objects.latest("pk")
    expected = '<div class="diff" id="diff">the <del>quick</del><ins>slow</ins> brown <ins>&lt;</ins>fox<ins>&gt;</ins></div>'

    page = Client().get(url("history_diff"), {"from": old.pk, "to": new.pk}).content.decode()
    fragment = (
        Client()
        .get(url("history_diff"), {"from": old.pk, "to": new.pk}, HTTP_HX_REQUEST="true")
        .content.decode()
    )

    assert expected in page
    assert expected in fragment
    assert "<html" not in fragment
    assert "Changes from revision 1 to revision 2" in fragment
    # And against the current text.
    now = Client().get(url("history_diff"), {"from": new.pk, "to": "now"}).content.decode()
    assert (
        '<div class="diff" id="diff">the <del>slow</del><ins>quick</ins> brown <del>&lt;</del>fox<del>&gt;</del></div>'
        in now
    )


def test_a_revision_of_another_note_is_not_found(talk):
    other = make_talk(event=talk.event, title="Other")
    foreign = NoteRevision.objects.create(note=other.note, markdown="secret")

    assert Client().get(url("revision", foreign.pk)).status_code == 404
    assert Client().get(url("history_diff"), {"from": foreign.pk}).status_code == 404


def test_a_revision_is_shown_rendered_and_sanitized(talk):
    revision = NoteRevision.objects.create(
        note=talk.note, markdown="**kept** <script>alert(1)</script>"
    )

    html = Client().get(url("revision", revision.pk)).content.decode()

    assert (
        '<div class="notes-rendered" id="revision-rendered"><p><strong>kept</strong> '
        "&lt;script&gt;alert(1)&lt;/script&gt;</p>\n</div>"
    ) in html
    assert 'id="restore-' not in html  # visitors may not restore


def test_an_organizer_restores_a_revision(talk):
    organizer = make_user(username="olga", first_name="Olga")
    EventRole.objects.create(event=talk.event, user=organizer, role=EventRole.Role.ORGANIZER)
    write(talk.note_id, (1, "Ann", "good text"))
    good = keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    write(talk.note_id, (2, "Vandal", " spam"))
    client = Client()
    client.force_login(organizer)

    response = client.post(url("restore", good.pk), follow=True)

    assert response.redirect_chain == [(url("history") + "#revisions", 302)]
    assert "Restored the notes as they were on 10 Jun 2026, 11:30." in response.content.decode()
    assert note_text(note=talk.note) == "good text"
    restore = NoteRevision.objects.latest("created_at", "pk")
    assert (restore.reason, restore.created_by_id, restore.restored_from_id) == (
        NoteRevision.Reason.RESTORE,
        organizer.pk,
        good.pk,
    )
    assert rows(response.content.decode())[0] == (
        "3 | "
        + restore.created_at.astimezone(talk.event.tz).strftime("%a %-d %b %Y, %H:%M")
        + " | Restored by Olga (revision 1) | — | +0 −5"
    )


def test_the_reading_view_shows_who_wrote_what_with_a_legend(talk):
    write(talk.note_id, (1, "Ann", "Ann's <words> "), (2, "Bob", "and Bob's"))
    persistence.save_markdown(
        note_id=talk.note_id,
        markdown=note_text(note=talk.note),
        revision_interval=timedelta(0),
        force_revision=False,
    )

    html = Client().get(talk.get_absolute_url(), {"authors": ""}).content.decode()

    assert (
        '<div class="authorship__text" id="notes-authorship-text">'
        '<span class="author author--0" title="Ann">Ann&#x27;s &lt;words&gt; </span>'
        '<span class="author author--1" title="Bob">and Bob&#x27;s</span></div>'
    ) in html
    legend = re.findall(
        r'<li class="authorship__person" data-colour="(\d)">.*?</span> (.*?) <span', html
    )
    assert legend == [("0", "Ann"), ("1", "Bob")]
    assert 'id="notes-authors-link" aria-pressed="true"' in html


def test_the_editor_gets_client_ids_with_names_and_colours(talk):
    write(talk.note_id, (11, "Ann", "a"), (22, "Bob", "b"))
    user = make_user(username="una", first_name="Una")
    persistence.record_client_authors(note_id=talk.note_id, authors=[(33, user.pk, "", "old name")])
    persistence.record_client_authors(note_id=talk.note_id, authors=[(44, None, "key", "Gus")])
    persistence.record_client_authors(note_id=talk.note_id, authors=[(55, None, "key", "Gustave")])

    data = Client().get(url("authors_json")).json()

    assert data == {
        "authors": {
            "11": {"name": "Ann", "colour": 0},
            "22": {"name": "Bob", "colour": 1},
            "33": {"name": "Una", "colour": 2},  # an account: by its current name
            "44": {"name": "Gustave", "colour": 3},  # one guest browser: its latest name
            "55": {"name": "Gustave", "colour": 3},
        }
    }


def test_the_history_of_an_open_space(talk):
    topic = make_open_space(event=talk.event, title="Chaos")
    NoteRevision.objects.create(note=topic.note, markdown="open notes")
    history = reverse("sessions:open_space_history", args=["conf", topic.pk])

    response = Client().get(history)

    assert response.status_code == 200
    assert "<p>open notes</p>" in response.content.decode()
    page = Client().get(topic.get_absolute_url()).content.decode()
    assert f'href="{history}" id="notes-history-link"' in page


def test_the_history_list_takes_the_same_queries_for_many_revisions(
    talk, django_assert_max_num_queries
):
    write(talk.note_id, (1, "Ann", "x"))
    keep_revision(talk.note_id, at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC))
    client = Client()
    client.get(url("history"))  # warm up (sessions, caches)
    with CaptureQueriesContext(connection) as one:
        client.get(url("history"))
    for n in range(30):
        write(talk.note_id, (2 + n, f"Writer {n}", f" w{n}"))
        keep_revision(talk.note_id, at=datetime(2026, 6, 10, 10, n, tzinfo=UTC))

    with django_assert_max_num_queries(len(one)):
        response = client.get(url("history"))

    assert len(rows(response.content.decode())) == 31


def test_a_guest_who_signs_in_becomes_the_author_of_what_they_wrote(talk):
    write(talk.note_id, (1, "Ann", "typed as a guest"))
    persistence.record_client_authors(note_id=talk.note_id, authors=[(2, None, "browser", "G")])
    NoteClientAuthor.objects.filter(client_id=1).update(guest_key="browser")
    user = make_user(username="gabi", first_name="Gabi")

    note_contributors_merge_guest(guest_key="browser", user_id=user.pk, name="Gabi")

    assert list(
        NoteClientAuthor.objects.order_by("client_id").values_list(
            "client_id", "user_id", "guest_key", "name"
        )
    ) == [(1, user.pk, "", "Gabi"), (2, user.pk, "", "Gabi")]
    assert Client().get(url("authors_json")).json() == {
        "authors": {"1": {"name": "Gabi", "colour": 0}, "2": {"name": "Gabi", "colour": 0}}
    }
