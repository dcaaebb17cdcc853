"""/events/<slug>/read/: every item's notes on one page, in schedule order, printable."""

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from notes.models import NoteContributor
from notes.rendering import _cache_key, render_cache
from sessions.models import Event, OpenSpace, Talk
from tests.factories import local, make_event, make_open_space, make_room, make_slot, make_talk
from tests.sessions.archive.helpers import make_spoken_talk, texts, write_notes

pytestmark = pytest.mark.django_db


@pytest.fixture
def conf() -> Event:
    """Two days; talks out of creation order, an open space, and unscheduled items."""
    event = make_event(
        name="Read Conf", slug="read-conf", start_date=date(2026, 6, 10), end_date=date(2026, 6, 11)
    )
    main, side = (
        make_room(event=event, name="Main", position=0),
        make_room(event=event, name="Side", position=1),
    )
    make_spoken_talk(
        event=event,
        title="Day two opener",
        speakers=["Grace Hopper"],
        room=main,
        start=local(event, 2026, 6, 11, 9, 0),
        end=local(event, 2026, 6, 11, 9, 30),
        notes="## Bugs\n\n- a *moth*\n- see [the log](https://example.org/log)",
    )
    make_spoken_talk(
        event=event,
        title="Side track",
        speakers=["Bob", "Carol"],
        room=side,
        start=local(event, 2026, 6, 10, 10, 0),
        end=local(event, 2026, 6, 10, 10, 30),
    )
    make_spoken_talk(
        event=event,
        title="Keynote",
        kind=Talk.Kind.KEYNOTE,
        speakers=["Ada Lovelace"],
        room=main,
        start=local(event, 2026, 6, 10, 10, 0),
        end=local(event, 2026, 6, 10, 10, 45),
        abstract="Why we **gather**.",
        notes="Engines <script>alert(1)</script> and looms.",
    )
    slot = make_slot(
        event=event, start=local(event, 2026, 6, 10, 14, 0), end=local(event, 2026, 6, 10, 15, 0)
    )
    held = make_open_space(
        event=event,
        title="On-call",
        host="Erin",
        room=side,
        slot=slot,
        status=OpenSpace.Status.SCHEDULED,
    )
    write_notes(held.note, "We decided: *rotate weekly*.", by="Erin")
    make_talk(event=event, title="Imported day two", day=date(2026, 6, 11), position=1)
    make_talk(event=event, title="Imported day one", day=date(2026, 6, 10), position=5)
    make_talk(event=event, title="Undated", position=0)
    make_open_space(event=event, title="Withdrawn", status=OpenSpace.Status.WITHDRAWN)
    return event


def headings(html: str) -> list[str]:
    return texts(html, r'<h3 id="h-(?:talk|open-space)-\d+">(.*?)</h3>')


def test_read_lists_every_item_in_schedule_order_unscheduled_last(client: Client, conf: Event):
    html = client.get("/events/read-conf/read/").content.decode()

    assert texts(
        html,
        r'<section class="read-section" id="[^"]+" aria-labelledby="[^"]+">\s*<h2[^>]*>(.*?)</h2>',
    ) == [
        "Wednesday 10 June 2026",
        "Thursday 11 June 2026",
        "Not on the schedule",
    ]
    assert headings(html) == [
        "Keynote",  # 10:00, Main before Side
        "Side track",
        "On-call",
        "Imported day one",  # known only by its day: after the day's timed items
        "Day two opener",
        "Imported day two",
        "Undated",  # neither time nor day: last
    ]
    assert "Withdrawn" not in html


def test_read_table_of_contents_links_to_every_item(client: Client, conf: Event):
    talk = Talk.objects.get(title="Keynote")
    open_space = OpenSpace.objects.get(title="On-call")

    html = client.get("/events/read-conf/read/").content.decode()

    toc = html.split('id="contents"')[1].split("</nav>")[0]
    assert texts(toc, r'<h3 class="read-toc__day"><a href="#([^"]+)">') == [
        "day-2026-06-10",
        "day-2026-06-11",
        "unscheduled",
    ]
    assert texts(toc, r"<li>(.*?)</li>")[:3] == [
        "Keynote — Ada Lovelace 10:00",
        "Side track — Bob, Carol 10:00 (no notes yet)",
        "On-call — Erin 14:00",
    ]
    assert f'<a href="#talk-{talk.pk}">Keynote</a>' in toc
    assert f'<a href="#open-space-{open_space.pk}">On-call</a>' in toc
    assert f'<article class="read-item kind--keynote" id="talk-{talk.pk}"' in html
    assert f'<article class="read-item kind--open-space" id="open-space-{open_space.pk}"' in html


def test_read_renders_notes_sanitized_and_says_no_notes_yet(client: Client, conf: Event):
    html = client.get("/events/read-conf/read/").content.decode()

    keynote = html.split('id="h-talk-')[1]
    assert '<div class="abstract"><p>Why we <strong>gather</strong>.</p>\n</div>' in keynote
    assert "<script>" not in html
    assert "Engines &lt;script&gt;alert(1)&lt;/script&gt; and looms." in html
    assert (
        '<li>see <a href="https://example.org/log" rel="noopener noreferrer nofollow">the log</a></li>'
        in html
    )
    assert texts(html, r'<p class="meta read-item__contributors">(.*?)</p>') == ["Written by Erin"]
    assert html.count('<p class="read-item__empty">No notes yet.</p>') == 4
    assert texts(html, r'<p class="meta" id="read-summary">(.*?)</p>') == [
        "7 sessions, 3 with notes · times in Europe/Paris"
    ]


def test_read_lists_contributors_in_order_of_their_first_edit(client: Client):
    talk = make_spoken_talk(event=make_event(slug="ev"), speakers=["Ada"], notes="- notes")
    for name in ("Zoe", "Adam", "Mia"):
        NoteContributor.objects.create(note=talk.note, name=name)

    html = client.get("/events/ev/read/").content.decode()

    assert texts(html, r'<p class="meta read-item__contributors">(.*?)</p>') == [
        "Written by Zoe, Adam, Mia"
    ]


def test_read_serves_renderings_from_the_cache_until_the_text_changes(client: Client):
    talk = make_spoken_talk(
        event=make_event(slug="ev"), speakers=["Ada"], notes="- short", abstract="*Why*"
    )
    client.get("/events/ev/read/")
    # The first view stored every rendering: plant markers there, and the next view
    # shows them instead of rendering again.
    render_cache().set(_cache_key("- short"), "<p>notes from the cache</p>")
    render_cache().set(_cache_key("*Why*"), "<p>abstract from the cache</p>")

    cached = client.get("/events/ev/read/").content.decode()
    write_notes(talk.note, "- edited")
    edited = client.get("/events/ev/read/").content.decode()

    assert '<div class="notes-rendered"><p>notes from the cache</p></div>' in cached
    assert '<div class="abstract"><p>abstract from the cache</p></div>' in cached
    assert '<div class="notes-rendered"><ul>\n<li>edited</li>\n</ul>\n</div>' in edited
    assert '<div class="abstract"><p>abstract from the cache</p></div>' in edited


def test_read_prints_each_item_address(client: Client, conf: Event):
    talk = Talk.objects.get(title="Keynote")

    html = client.get("/events/read-conf/read/").content.decode()

    url = f"http://testserver/events/read-conf/talks/{talk.slug}/"
    assert f'<p class="meta read-item__link"><a href="{url}">{url}</a></p>' in html
    items = [*Talk.objects.filter(event=conf), *OpenSpace.objects.filter(event=conf).shown()]
    printed = texts(html, r'<p class="meta read-item__link"><a href="[^"]+">(.*?)</a></p>')
    assert sorted(printed) == sorted(f"http://testserver{i.get_absolute_url()}" for i in items)


def test_read_query_count_is_constant(client: Client, django_assert_num_queries):
    counts = {}
    for size in (2, 20):
        event = make_event(slug=f"size-{size}")
        for n in range(size):
            talk = make_spoken_talk(event=event, speakers=["Ada"], notes=f"note {n}")
            write_notes(talk.note, f"note {n}", by="Someone")
            make_open_space(event=event)
        with django_assert_num_queries(4):  # event, talks, open spaces, contributors
            response = client.get(f"/events/size-{size}/read/")
        counts[size] = len(headings(response.content.decode()))
    assert counts == {2: 4, 20: 40}


def test_read_empty_event_and_unlisted_event(client: Client):
    make_event(slug="empty", visibility=Event.Visibility.UNLISTED)

    html = client.get("/events/empty/read/").content.decode()

    assert "<h2>Nothing to read yet</h2>" in html
    assert client.get("/events/nope/read/").status_code == 404


def test_read_has_a_print_stylesheet(client: Client, conf: Event):
    html = client.get("/events/read-conf/read/").content.decode()
    css = (Path(settings.BASE_DIR) / "static/css/print.css").read_text()

    assert '<link rel="stylesheet" href="/static/css/print.css" media="print">' in html
    # No site chrome on paper, links show where they lead, the contents on a page of its own.
    assert (
        ".site-header, .site-footer, .skip-link, .breadcrumbs, .actions, .button, button, form,"
        in css
    )
    assert 'a[href^="http"]::after { content: " <" attr(href) ">";' in css
    assert ".read-toc { break-after: page; }" in css
    assert ".read-section { break-before: page; }" in css
