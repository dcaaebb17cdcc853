"""/speakers/<slug>/ and merging speakers."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from sessions.archive import browse_selectors
from sessions.models import Event, Speaker, SpeakerOldSlug, Talk
from tests.factories import local, make_event, make_user
from tests.sessions.archive.helpers import make_spoken_talk, texts

pytestmark = pytest.mark.django_db


def merge_talks(html: str) -> list[str]:
    listed = html.split('id="merge-talks">')[1].split("</ul>")[0]
    return texts(listed, r"<li>(.*?)</li>")


def talk_titles(html: str) -> list[str]:
    return texts(html, r'<h3 class="speaker-talk__title"><a href="[^"]+">(.*?)</a></h3>')


def event_headings(html: str) -> list[str]:
    return texts(html, r'<h2 id="h-event-\d+" class="speaker-event__name">(.*?)</h2>')


@pytest.fixture
def rich() -> Speaker:
    """Rich Hickey at two public events (written three ways) and one unlisted event."""
    strange = make_event(
        name="Strange Loop", slug="sl11", start_date=date(2011, 9, 18), end_date=date(2011, 9, 20)
    )
    conj = make_event(
        name="Clojure/conj",
        slug="conj10",
        start_date=date(2010, 10, 22),
        end_date=date(2010, 10, 23),
    )
    secret = make_event(
        name="Secret",
        slug="secret",
        visibility=Event.Visibility.UNLISTED,
        start_date=date(2012, 1, 1),
        end_date=date(2012, 1, 1),
    )
    make_spoken_talk(
        event=strange,
        title="Simple Made Easy",
        speakers=["Rich Hickey (@richhickey)"],
        start=local(strange, 2011, 9, 19, 16, 0),
        end=local(strange, 2011, 9, 19, 17, 0),
        notes="- simple is not easy",
    )
    make_spoken_talk(
        event=strange,
        title="Keynote panel",
        speakers=["Stuart Halloway", "rich hickey"],
        start=local(strange, 2011, 9, 18, 9, 0),
        end=local(strange, 2011, 9, 18, 10, 0),
    )
    make_spoken_talk(event=conj, title="Hammock Driven Development", speakers=["Rích Hickey"])
    make_spoken_talk(event=secret, title="Secret talk", speakers=["Rich Hickey"])
    return Speaker.objects.get(slug="rich-hickey")


def test_speaker_page_lists_public_talks_newest_first_with_links_to_notes(client: Client, rich):
    simple = Talk.objects.get(title="Simple Made Easy")
    panel = Talk.objects.get(title="Keynote panel")

    html = client.get("/speakers/rich-hickey/").content.decode()

    assert "<h1>Rich Hickey</h1>" in html
    assert '<p class="meta speaker-handle">@richhickey</p>' in html
    assert talk_titles(html) == ["Keynote panel", "Simple Made Easy", "Hammock Driven Development"]
    assert f'<a href="/events/sl11/talks/{simple.slug}/#notes">Read the notes</a>' in html
    assert texts(html, r'<p class="speaker-talk__notes">(.*?)</p>') == [
        "No notes yet · talk page",
        "Read the notes",
        "No notes yet · talk page",
    ]
    assert texts(html, r'<p class="meta speaker-talk__with">(.*?)</p>') == ["With Stuart Halloway"]
    assert f'id="talk-{panel.pk}"' in html
    assert "Secret" not in html
    assert texts(html, r'<p class="meta" id="speaker-summary">(.*?)</p>') == ["3 talks"]
    # Grouped by event, each talk with its day or time (in the event's time zone).
    assert event_headings(html) == [
        "Strange Loop 18 September–20 September 2011",
        "Clojure/conj 22 October–23 October 2010",
    ]
    assert texts(html, r'<li class="card speaker-talk"[^>]*>.*?<p class="meta">(.*?)</p>') == [
        "18 September 2011, 09:00",
        "19 September 2011, 16:00",
    ]
    assert 'class="pagination"' not in html


def test_speaker_of_unlisted_events_only_has_no_page(client: Client):
    make_spoken_talk(
        event=make_event(visibility=Event.Visibility.UNLISTED), speakers=["Hidden Person"]
    )

    assert client.get("/speakers/hidden-person/").status_code == 404
    assert client.get("/speakers/nobody/").status_code == 404


def test_talk_page_links_its_speakers(client: Client, rich):
    panel = Talk.objects.get(title="Keynote panel")

    html = client.get(panel.get_absolute_url()).content.decode()

    assert (
        '<p class="meta speakers"><a href="/speakers/stuart-halloway/">Stuart Halloway</a>, '
        '<a href="/speakers/rich-hickey/">Rich Hickey</a></p>'
    ) in html


@pytest.mark.parametrize("count", [1, 15, 31])
def test_speaker_page_query_count_is_constant(client: Client, django_assert_num_queries, count):
    for n in range(count):
        event = make_event(start_date=date(2000 + n, 1, 1), end_date=date(2000 + n, 1, 1))
        make_spoken_talk(event=event, speakers=["Ada Lovelace", f"Other {n}"], notes="x")

    # The speaker, the count of their talks, a page of talks, the talks' speakers.
    with django_assert_num_queries(4):
        html = client.get("/speakers/ada-lovelace/").content.decode()
    with django_assert_num_queries(4):
        last = client.get("/speakers/ada-lovelace/", {"page": 2}).content.decode()

    assert len(talk_titles(html)) == {1: 1, 15: 15, 31: 20}[count]
    assert len(event_headings(html)) == {1: 1, 15: 15, 31: 20}[count]
    assert len(talk_titles(last)) == {1: 1, 15: 15, 31: 11}[count]  # page 2, or the last


def test_speaker_page_paginates_talks_grouped_by_event(client: Client, monkeypatch):
    monkeypatch.setattr(browse_selectors, "SPEAKER_TALKS_PER_PAGE", 2)
    old = make_event(name="Old", start_date=date(2011, 5, 1), end_date=date(2011, 5, 1))
    new = make_event(name="New", start_date=date(2012, 5, 1), end_date=date(2012, 5, 1))
    for n in range(3):
        make_spoken_talk(event=new, title=f"New {n}", speakers=["Ada Lovelace"], position=n)
    make_spoken_talk(event=old, title="Old 0", speakers=["Ada Lovelace"])

    pages = [
        client.get("/speakers/ada-lovelace/", {"page": page}).content.decode()
        for page in (1, 2, 99, "x")
    ]

    assert [(event_headings(html), talk_titles(html)) for html in pages] == [
        (["New 1 May 2012"], ["New 0", "New 1"]),
        # The event straddling two pages heads its part on each.
        (["New 1 May 2012", "Old 1 May 2011"], ["New 2", "Old 0"]),
        (["New 1 May 2012", "Old 1 May 2011"], ["New 2", "Old 0"]),  # past the end: the last
        (["New 1 May 2012"], ["New 0", "New 1"]),  # not a number: the first
    ]
    assert texts(pages[1], r'<p class="meta" id="speaker-summary">(.*?)</p>') == [
        "4 talks, newest first: 3–4"
    ]
    assert '<a href="?page=1" rel="prev">← Newer</a>' in pages[1]
    assert '<a href="?page=2" rel="next">Older →</a>' in pages[0]
    assert 'aria-current="page">Page 2 of 2</span>' in pages[1]


# --- Merging ----------------------------------------------------------------------------


@pytest.fixture
def two_spellings():
    """ "Rich Hickey" at event A, "R. Hickey" at events A and B; an organizer of each."""
    a, b = make_event(name="A", slug="ev-a"), make_event(name="B", slug="ev-b")
    make_spoken_talk(event=a, title="Simple", speakers=["Rich Hickey"])
    make_spoken_talk(event=a, title="Hammock", speakers=["R. Hickey"])
    make_spoken_talk(event=b, title="Values", speakers=["R. Hickey (@richhickey)"])
    organizer_a, organizer_both = make_user(username="org-a"), make_user(username="org-both")
    a.organizers.add(organizer_a, organizer_both)
    b.organizers.add(organizer_both)
    return Speaker.objects.get(slug="rich-hickey"), Speaker.objects.get(slug="r-hickey")


def _client(role: str) -> Client:
    """A browser of one role of the merge table (the organizers come from `two_spellings`)."""
    client = Client()
    if role == "anonymous":
        return client
    if role == "guest":
        client.get("/events/ev-a/open-spaces/")  # a guest is a browser with a guest key
        return client
    users = {
        "user": lambda: make_user(username="someone"),
        "staff": lambda: make_user(username="staffer", is_staff=True),
        "superuser": lambda: make_user(username="root", is_staff=True, is_superuser=True),
        "organizer of one event": lambda: get_user_model().objects.get(username="org-a"),
        "organizer of every event": lambda: get_user_model().objects.get(username="org-both"),
    }
    client.force_login(users[role]())
    return client


# role: (GET the merge page of "Rich Hickey" (event A), POST merging in "R. Hickey" (A and B))
LOGIN = "login"
# fmt: off
MERGE_MATRIX = [
    ("anonymous",                LOGIN, LOGIN),
    ("guest",                    LOGIN, LOGIN),
    ("user",                     403,   403),
    ("staff",                    403,   403),
    ("organizer of one event",   200,   403),  # organizes A, but "R. Hickey" also spoke at B
    ("organizer of every event", 200,   302),
    ("superuser",                200,   302),
]
# fmt: on


@pytest.mark.parametrize(
    ("role", "page", "merge"), MERGE_MATRIX, ids=[row[0] for row in MERGE_MATRIX]
)
def test_merge_permission(two_spellings, role, page, merge):
    client = _client(role)
    url = "/speakers/rich-hickey/merge/"

    got_page = client.get(url)
    got_merge = client.post(url, {"merged": "r-hickey"})

    def answer(response, expected):
        if expected == LOGIN:
            return (response.status_code, response["Location"]) == (
                302,
                f"/accounts/login/?next={url}",
            )
        return response.status_code == expected

    assert answer(got_page, page)
    assert answer(got_merge, merge)
    assert Speaker.objects.filter(slug="r-hickey").exists() is (merge != 302)


def test_merge_refusal_says_why(two_spellings):
    client = _client("organizer of one event")

    response = client.post("/speakers/rich-hickey/merge/", {"merged": "r-hickey"})

    assert (
        "Only the organizers of every event these speakers spoke at may merge them."
        in response.content.decode()
    )


def test_merge_page_offers_similar_names_the_organizer_may_merge(two_spellings):
    a = Event.objects.get(slug="ev-a")
    make_spoken_talk(event=make_event(slug="ev-c"), title="Elsewhere", speakers=["Richard Hickey"])
    make_spoken_talk(event=a, title="Unrelated", speakers=["Ada Lovelace"])
    make_spoken_talk(event=a, title="Also", speakers=["Hickey Jr"])

    html = _client("organizer of every event").get("/speakers/rich-hickey/merge/").content.decode()

    # "Richard Hickey" spoke at ev-c, which this organizer does not organize: not offered.
    assert texts(html, r'<li class="merge-candidate">\s*<span><a href="[^"]+">(.*?)</a>') == [
        "Hickey Jr",
        "R. Hickey",
    ]
    assert (
        '<button type="submit" class="button button--small button--quiet">Merge “R. Hickey” into “Rich Hickey”</button>'
        in html
    )
    assert merge_talks(html) == ["Simple — A"]


def test_merge_effect_and_old_address_redirects(two_spellings):
    client = _client("organizer of every event")

    response = client.post("/speakers/rich-hickey/merge/", {"merged": "r-hickey"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [("/speakers/rich-hickey/merge/", 302)]
    assert "“R. Hickey” is now “Rich Hickey”" in html
    assert merge_talks(html) == ["Simple — A", "Hammock — A", "Values — B"]
    assert list(Speaker.objects.values_list("slug", "handle")) == [("rich-hickey", "richhickey")]
    assert list(SpeakerOldSlug.objects.values_list("slug", flat=True)) == ["r-hickey"]
    old = client.get("/speakers/r-hickey/")
    assert (old.status_code, old["Location"]) == (301, "/speakers/rich-hickey/")
    old_merge = client.get("/speakers/r-hickey/merge/")
    assert (old_merge.status_code, old_merge["Location"]) == (301, "/speakers/rich-hickey/merge/")


@pytest.mark.parametrize(
    ("merged", "error"),
    [
        ("rich-hickey", "A speaker cannot be merged into themselves."),
        ("nobody", "There is no speaker at that address."),
        ("", "This field is required."),
    ],
)
def test_merge_form_errors(two_spellings, merged, error):
    response = _client("superuser").post("/speakers/rich-hickey/merge/", {"merged": merged})

    assert response.status_code == 400
    assert (
        f'<ul class="errorlist" id="id_merged_error"><li>{error}</li></ul>'
        in response.content.decode()
    )
    assert Speaker.objects.count() == 2


def test_merge_needs_csrf(two_spellings):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(username="root", is_superuser=True))

    response = client.post("/speakers/rich-hickey/merge/", {"merged": "r-hickey"})

    assert response.status_code == 403
    assert Speaker.objects.count() == 2


def test_speaker_page_offers_merge_only_to_who_may(client: Client, two_spellings):
    def offered(c: Client) -> bool:
        return 'id="speaker-merge-link"' in c.get("/speakers/r-hickey/").content.decode()

    assert [
        offered(_client(role))
        for role in ("anonymous", "organizer of one event", "organizer of every event")
    ] == [
        False,
        False,
        True,
    ]
