"""Who may do what, as one table: every role × every capability of `sessions/access.py`.

Each cell is checked three ways: the answer of `event_access(...)` itself, the HTTP
answer of the real view (Django's test client), and — for the notes — the outcome on
the real notes socket (`config.asgi.application`).

The event of the table lets guests take notes, lets hosts place their own topics
(self-scheduling), takes proposals, and starts in a month (nothing is held yet). More
columns ask `write_notes` of an event that only lets signed-in users write, of one where
only its team writes, of an archived event, and of a note its organizers locked;
`import_notes` of an archived event; `restore_notes` of an archived event and of a
locked note; and who may create events, with the default setting and with
EVENT_CREATION = "staff".

The roles: a visitor without any cookie (anonymous), a guest browser, a signed-in user,
this event's note-taker and organizer, the organizer of another event, staff (not in this
event's team) and a superuser.
"""

import re

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from notes.models import Note, NoteRevision
from notes.services import note_text
from notes.tasks import task_key
from sessions.access import NOTES_ARCHIVED, NOTES_LOCKED, event_access, event_creation_refusal
from sessions.archive.speakers import talk_set_speakers
from sessions.board.identity import GUEST_COOKIE, Actor, guest_key_from_cookie
from sessions.models import AgendaFeed, Event, EventRole, OpenSpace, Star
from tests.factories import make_event, make_open_space, make_talk, make_user
from tests.notes.live import LiveClient, room_flushed, session_cookie, stored_text
from tests.sessions.board.helpers import make_grid

OK = "ok"  # allowed: the page does it
NO = "no"  # refused, 403; on the notes socket: read-only
LOGIN = "login"  # refused until signed in: pages send the visitor to sign in first
KEY = "key"  # refused for want of a guest key; pages hand one out, so over HTTP: allowed

# "own" topic: hosted by the role's user, or by its guest browser (anonymous: by a name
# only, so by nobody it can prove to be). "other's" topic: hosted by another user.
COLUMNS = (
    "set_up_board",
    "import_notes",
    "import_notes, archived event",
    "manage_event",
    "manage_team",
    "moderate",
    "propose",
    "show_interest",
    "star",
    "star, archived event",
    "keep_agenda",
    "place own",
    "place other's",
    "edit own",
    "edit other's",
    "read_notes",
    "write_notes",
    "write_notes, signed-in only event",
    "write_notes, team-only event",
    "write_notes, archived event",
    "write_notes, locked note",
    "lock_notes",
    "create_event",
    "create_event, staff only",
    "merge_speakers",
    "monitor_notes",
    "view_history",
    "view_authorship",
    "restore_notes",
    "restore_notes, archived event",
    "restore_notes, locked note",
)
# fmt: off
MATRIX = [
    # role, then one value per entry of COLUMNS, in order
    ("anonymous",        LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, KEY,   KEY,   KEY,   NO,    KEY,   NO,    NO,    NO,    NO,    OK,    OK,    LOGIN, LOGIN, NO,    NO,    LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    LOGIN, NO,    NO),
    ("guest",            LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    OK,    NO,    OK,    OK,    NO,    OK,    NO,    OK,    OK,    LOGIN, LOGIN, NO,    NO,    LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, OK,    OK,    LOGIN, NO,    NO),
    ("user",             NO,    NO,    NO,    NO,    NO,    NO,    OK,    OK,    OK,    NO,    OK,    OK,    NO,    OK,    NO,    OK,    OK,    OK,    NO,    NO,    NO,    NO,    OK,    NO,    NO,    NO,    OK,    OK,    NO,    NO,    NO),
    ("note-taker",       NO,    NO,    NO,    NO,    NO,    NO,    OK,    OK,    OK,    NO,    OK,    OK,    NO,    OK,    NO,    OK,    OK,    OK,    OK,    NO,    NO,    NO,    OK,    NO,    NO,    NO,    OK,    OK,    OK,    NO,    NO),
    ("organizer",        OK,    OK,    NO,    OK,    OK,    OK,    OK,    OK,    OK,    NO,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    NO,    NO,    OK,    OK,    NO,    OK,    OK,    OK,    OK,    OK,    NO,    NO),
    ("other organizer",  NO,    NO,    NO,    NO,    NO,    NO,    OK,    OK,    OK,    NO,    OK,    OK,    NO,    OK,    NO,    OK,    OK,    OK,    NO,    NO,    NO,    NO,    OK,    NO,    NO,    NO,    OK,    OK,    NO,    NO,    NO),
    ("staff",            NO,    NO,    NO,    NO,    NO,    NO,    OK,    OK,    OK,    NO,    OK,    OK,    NO,    OK,    NO,    OK,    OK,    OK,    NO,    NO,    NO,    NO,    OK,    OK,    NO,    NO,    OK,    OK,    NO,    NO,    NO),
    ("superuser",        OK,    OK,    NO,    OK,    OK,    OK,    OK,    OK,    OK,    NO,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    NO,    NO,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    OK,    NO,    NO),
]
# fmt: on

CELLS = [
    pytest.param(role, column, expected, id=f"{role}-{column}")
    for role, *row in MATRIX
    for column, expected in zip(COLUMNS, row, strict=True)
]
NOTES_COLUMNS = {column for column in COLUMNS if column.startswith(("read_notes", "write_notes"))}
# Capabilities asked about one note (the table's talk's).
NOTE_CAPABILITIES = {"write_notes", "view_history", "view_authorship", "restore_notes"}


def cells(*, only=None, without=()) -> list:
    return [
        cell
        for cell in CELLS
        if (only is None or cell.values[1] in only) and cell.values[1] not in without
    ]


# --- The world of one cell ------------------------------------------------------------


class World:
    """An event with a room, a slot, a talk, the people of the table and their topics."""

    def __init__(self, role: str, column: str) -> None:
        event_fields = {
            "notes_access": Event.NotesAccess.GUESTS,
            "open_space_placement": Event.Placement.HOSTS,
        }
        if column == "write_notes, signed-in only event":
            event_fields["notes_access"] = Event.NotesAccess.USERS
        if column == "write_notes, team-only event":
            event_fields["notes_access"] = Event.NotesAccess.TEAM
        grid = make_grid(rooms=1, slots=1, **event_fields)
        self.event, self.room, self.slot = grid.event, grid.rooms[0], grid.slots[0]
        self.talk = make_talk(event=self.event, title="Keynote")
        self.role = role
        self.client = Client()
        self.user = None
        self.guest_key = ""
        if role == "organizer":
            self.user = grid.organizer.user
        elif role in ("user", "note-taker", "other organizer", "staff", "superuser"):
            self.user = make_user(
                username=role.replace(" ", "-"),
                is_staff=role in ("staff", "superuser"),
                is_superuser=role == "superuser",
            )
        if role == "note-taker":
            EventRole.objects.create(
                event=self.event, user=self.user, role=EventRole.Role.NOTE_TAKER
            )
        elif role == "other organizer":
            make_event(slug="another-event").organizers.add(self.user)
        if self.user is not None:
            self.client.force_login(self.user)
        if role == "guest":
            # A guest is a browser the marketplace has given its key.
            self.client.get(reverse("sessions:open_spaces", args=[self.event.slug]))
            self.guest_key = guest_key_from_cookie(self.client.cookies[GUEST_COOKIE].value)
        if self.user is not None:
            self.own = make_open_space(event=self.event, host="Me", host_user=self.user)
        else:
            self.own = make_open_space(event=self.event, host="Me", host_key=self.guest_key)
        self.others = make_open_space(event=self.event, host="Them", host_user=grid.host.user)
        if column.endswith("archived event"):
            Event.objects.filter(pk=self.event.pk).update(archived=True)
            self.event.refresh_from_db()
        if column.endswith("locked note"):
            Note.objects.filter(pk=self.talk.note_id).update(locked=True)
            self.talk.note.refresh_from_db()

    @property
    def actor(self) -> Actor:
        return Actor(user=self.user or AnonymousUser(), guest_key=self.guest_key)

    def url(self, name: str, *args) -> str:
        return reverse(f"sessions:{name}", args=[self.event.slug, *args])

    def topic(self, column: str) -> OpenSpace:
        return self.own if column.endswith("own") else self.others


def _capability(column: str) -> str:
    return column.split(" ")[0].rstrip(",")


@pytest.fixture
def staff_only_creation(settings, request):
    """The column "create_event, staff only" runs with EVENT_CREATION = "staff"."""
    if request.node.callspec.params["column"] == "create_event, staff only":
        settings.EVENT_CREATION = "staff"


# --- 1. The answer of the access module -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("staff_only_creation")
@pytest.mark.parametrize(("role", "column", "expected"), CELLS)
def test_access_answers(role, column, expected):
    world = World(role, column)
    access = event_access(event=world.event, actor=world.actor)
    capability = _capability(column)
    args = {"place": (world.topic(column),), "edit": (world.topic(column),)}.get(capability, ())
    if capability in NOTE_CAPABILITIES:
        args = (world.talk.note,)

    if capability == "create_event":  # not a capability of one event
        refusal = event_creation_refusal(user=world.actor.user)
    else:
        refusal = access.check(capability, *args)
        assert access.can(capability, *args) is (expected == OK)

    if expected == OK:
        assert refusal is None
    else:
        assert (refusal.status, refusal.close_code, refusal.sign_in) == (
            403,
            4403,
            expected == LOGIN,
        )
        assert ("enable cookies" in refusal.text) is (expected == KEY)


# --- 2. The real views ------------------------------------------------------------------
# One probe per capability: it makes the requests of a column and returns what the views
# answered and what the table's cell expects of them.

FORBIDDEN = (403, "")


def _answer(response) -> tuple:
    """Status, and where a redirect leads."""
    return (response.status_code, response.get("Location", ""))


def _login(path: str) -> tuple:
    return (302, f"{reverse('account_login')}?next={path}")


def _set_up_board(world: World, column: str, expected: str) -> tuple[list, list]:
    page, settings = world.url("board_setup"), world.url("board_setup_settings")
    form = {"open_space_placement": "hosts", "proposals_open": "on"}
    seen = [_answer(world.client.get(page)), _answer(world.client.post(settings, form))]
    want = {
        OK: [(200, ""), (302, page)],  # the set-up page; saved, back to it
        NO: [FORBIDDEN, FORBIDDEN],
        LOGIN: [_login(page), _login(settings)],
    }
    return seen, want[expected]


def _import_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    page = world.url("event_import")
    want = {OK: (200, ""), NO: FORBIDDEN, LOGIN: _login(page)}
    return [_answer(world.client.get(page))], [want[expected]]


def _manage_event(world: World, column: str, expected: str) -> tuple[list, list]:
    page = world.url("event_settings")
    form = {
        "name": "Renamed",
        "slug": world.event.slug,
        "start_date": world.event.start_date.isoformat(),
        "end_date": world.event.end_date.isoformat(),
        "timezone": world.event.timezone,
        "visibility": "public",
        "notes_access": world.event.notes_access,
        "open_space_placement": world.event.open_space_placement,
    }
    seen = [_answer(world.client.get(page)), _answer(world.client.post(page, form))]
    renamed = Event.objects.get(pk=world.event.pk).name == "Renamed"
    want = {
        OK: [(200, ""), (302, page)],
        NO: [FORBIDDEN, FORBIDDEN],
        LOGIN: [_login(page), _login(page)],
    }
    return [*seen, renamed], [*want[expected], expected == OK]


def _manage_team(world: World, column: str, expected: str) -> tuple[list, list]:
    page, invite = world.url("team"), world.url("team_invite")
    form = {"email": "new@example.org", "role": "note_taker"}
    seen = [_answer(world.client.get(page)), _answer(world.client.post(invite, form))]
    want = {
        OK: [(200, ""), (302, page)],
        NO: [FORBIDDEN, FORBIDDEN],
        LOGIN: [_login(page), _login(invite)],
    }
    return seen, want[expected]


def _moderate(world: World, column: str, expected: str) -> tuple[list, list]:
    topic = world.others
    response = world.client.post(world.url("open_space_hide", topic.pk), {"hidden": "1"})
    topic.refresh_from_db()
    # A POST cannot send anyone to sign in and come back: signed out, it is refused too.
    want = (302, world.url("open_spaces"), True) if expected == OK else (*FORBIDDEN, False)
    return [(*_answer(response), topic.hidden)], [want]


def _create_event(world: World, column: str, expected: str) -> tuple[list, list]:
    page = reverse("sessions:event_create")
    want = {OK: (200, ""), NO: FORBIDDEN, LOGIN: _login(page)}
    return [_answer(world.client.get(page))], [want[expected]]


def _propose(world: World, column: str, expected: str) -> tuple[list, list]:
    response = world.client.post(world.url("open_space_propose"), {"title": "Idea", "host": "Me"})
    created = OpenSpace.objects.filter(title="Idea").first()
    where = f"{world.url('open_spaces')}#proposal-{created.pk}" if created else "(none)"
    return [_answer(response)], [(302, where) if expected in (OK, KEY) else FORBIDDEN]


def _show_interest(world: World, column: str, expected: str) -> tuple[list, list]:
    topic = world.others
    response = world.client.post(world.url("open_space_interest", topic.pk), {"interested": "1"})
    where = f"{world.url('open_spaces')}#proposal-{topic.pk}"
    return [_answer(response)], [(302, where) if expected in (OK, KEY) else FORBIDDEN]


def _star(world: World, column: str, expected: str) -> tuple[list, list]:
    """Star the talk and another's topic (whose star is an interest vote)."""
    seen, want = [], []
    talk_url = reverse("sessions:talk_star", args=[world.event.slug, world.talk.pk])
    topic_url = world.url("open_space_star", world.others.pk)
    for url in (talk_url, topic_url):
        response = world.client.post(url, {"starred": "1", "next": world.url("agenda")})
        seen.append(_answer(response))
        want.append((302, world.url("agenda")) if expected in (OK, KEY) else FORBIDDEN)
    stars = Star.objects.filter(talk=world.talk).count()
    votes = world.others.interests.count()
    seen.append((stars, votes))
    want.append((1, 1) if expected in (OK, KEY) else (0, 0))
    return seen, want


def _keep_agenda(world: World, column: str, expected: str) -> tuple[list, list]:
    """Get one's calendar address (a guest key is handed out first), and see the page."""
    response = world.client.post(world.url("agenda_feed_reset"))
    page = world.client.get(world.url("agenda"))
    made = AgendaFeed.objects.count()
    seen = [_answer(response), page.status_code, made]
    return seen, [(302, world.url("agenda") + "#calendar"), 200, 1]


def _place(world: World, column: str, expected: str) -> tuple[list, list]:
    topic = world.topic(column)
    cell = f"{world.room.pk}-{world.slot.pk}"
    response = world.client.post(world.url("board_place"), {"open_space": topic.pk, "cell": cell})
    topic.refresh_from_db()
    seen = (*_answer(response), topic.slot_id == world.slot.pk)
    return [seen], [(302, world.url("board"), True) if expected == OK else (*FORBIDDEN, False)]


def _edit(world: World, column: str, expected: str) -> tuple[list, list]:
    response = world.client.get(world.url("open_space_edit", world.topic(column).pk))
    return [_answer(response)], [(200, "") if expected == OK else FORBIDDEN]


def _read_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    return [_answer(world.client.get(world.talk.get_absolute_url()))], [(200, "")]


def _write_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    """The page offers the editor, or says why it is read-only."""
    page = world.talk.get_absolute_url() + "?write"
    html = world.client.get(page).content.decode()
    reason = re.search(r'id="notes-read-only-reason">(.*?)</p>', html)
    seen = (re.search(r'data-can-write="(\w+)"', html).group(1), reason.group(1) if reason else "")
    sign_in = (
        f'<a href="{reverse("account_login")}?next={page.replace("?", "%3F")}">Sign in</a>'
        " to take notes; you are following them live."
    )
    why = {
        "write_notes, archived event": NOTES_ARCHIVED.text,
        "write_notes, locked note": NOTES_LOCKED.text,
        "write_notes, team-only event": (
            "Only this event&#x27;s organizers and note-takers take notes."
        ),
    }
    want = {OK: ("true", ""), NO: ("false", why.get(column, "")), LOGIN: ("false", sign_in)}
    # Ticking a checklist item in the reading view is writing too (a POST: no sign-in).
    world.talk.note.markdown = "- [ ] call Bob"
    world.talk.note.save(update_fields=["markdown"])
    tick = reverse("sessions:talk_tick", args=[world.event.slug, world.talk.pk])
    form = {"line": 1, "key": task_key("- [ ] call Bob"), "done": "1"}
    ticked = (_answer(world.client.post(tick, form)), note_text(note=world.talk.note))
    if expected == OK:
        want_tick = ((302, world.talk.get_absolute_url() + "#notes"), "- [x] call Bob")
    else:
        want_tick = (FORBIDDEN, "- [ ] call Bob")
    return [seen, ticked], [want[expected], want_tick]


def _lock_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    """The organizers' lock button: it locks the note, or is refused."""
    page = world.talk.get_absolute_url()
    url = reverse("sessions:note_lock", args=[world.event.slug, world.talk.note_id])
    offered = 'id="notes-lock-button"' in world.client.get(page).content.decode()
    response = world.client.post(url, {"locked": "true"})
    locked = Note.objects.get(pk=world.talk.note_id).locked
    want = {
        OK: (True, 302, f"{page}#notes", True),
        NO: (False, *FORBIDDEN, False),
        LOGIN: (False, *_login(url), False),
    }
    return [(offered, *_answer(response), locked)], [want[expected]]


def _view_history(world: World, column: str, expected: str) -> tuple[list, list]:
    """The history page and a comparison with now."""
    base = world.talk.get_absolute_url()
    seen = [_answer(world.client.get(f"{base}history/"))]
    seen.append(_answer(world.client.get(f"{base}history/diff/", {"from": "now", "to": "now"})))
    return seen, [(200, ""), (200, "")]


def _view_authorship(world: World, column: str, expected: str) -> tuple[list, list]:
    """Who wrote what: the reading view's and the editor's."""
    base = world.talk.get_absolute_url()
    html = world.client.get(base, {"authors": ""}).content.decode()
    seen = [_answer(world.client.get(f"{base}authors.json")), 'id="notes-authorship"' in html]
    return seen, [(200, ""), True]


def _restore_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    """Restoring a revision: the notes read as it again, or nothing changes."""
    note = world.talk.note
    revision = NoteRevision.objects.create(note=note, markdown="Restored text")
    base = world.talk.get_absolute_url()
    response = world.client.post(f"{base}history/{revision.pk}/restore/")
    seen = (*_answer(response), note_text(note=note))
    # A POST cannot send anyone to sign in and come back: signed out, it is refused too.
    if expected == OK:
        return [seen], [(302, f"{base}history/#revisions", "Restored text")]
    return [seen], [(*FORBIDDEN, "")]


def _merge_speakers(world: World, column: str, expected: str) -> tuple[list, list]:
    """The merge page of a speaker of the table's event (whose organizers may merge them;
    several events at once: tests/sessions/archive/test_speaker_pages.py)."""
    talk_set_speakers(talk=world.talk, names=["Ada Lovelace"])
    page = reverse("sessions:speaker_merge", args=["ada-lovelace"])
    want = {OK: (200, ""), NO: FORBIDDEN, LOGIN: _login(page)}
    return [_answer(world.client.get(page))], [want[expected]]


def _monitor_notes(world: World, column: str, expected: str) -> tuple[list, list]:
    page = world.url("event_live")
    want = {OK: (200, ""), NO: FORBIDDEN, LOGIN: _login(page)}
    return [_answer(world.client.get(page))], [want[expected]]


PROBES = {
    "set_up_board": _set_up_board,
    "import_notes": _import_notes,
    "manage_event": _manage_event,
    "manage_team": _manage_team,
    "moderate": _moderate,
    "create_event": _create_event,
    "propose": _propose,
    "show_interest": _show_interest,
    "star": _star,
    "keep_agenda": _keep_agenda,
    "place": _place,
    "edit": _edit,
    "read_notes": _read_notes,
    "write_notes": _write_notes,
    "lock_notes": _lock_notes,
    "merge_speakers": _merge_speakers,
    "monitor_notes": _monitor_notes,
    "view_history": _view_history,
    "view_authorship": _view_authorship,
    "restore_notes": _restore_notes,
}


@pytest.mark.django_db
@pytest.mark.usefixtures("staff_only_creation")
@pytest.mark.parametrize(("role", "column", "expected"), CELLS)
def test_views_answer_as_the_table_says(role, column, expected):
    world = World(role, column)

    seen, want = PROBES[_capability(column)](world, column, expected)

    assert seen == want


# --- 3. The notes socket ------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("role", "column", "expected"), cells(only=NOTES_COLUMNS))
async def test_notes_socket_answers_as_the_table_says(role, column, expected):
    world = await database_sync_to_async(World)(role, column)
    if world.user is not None:
        cookie = await session_cookie(world.user)
    elif world.guest_key:
        cookie = f"{GUEST_COOKIE}={world.client.cookies[GUEST_COOKIE].value}".encode()
    else:
        cookie = None
    note_id = world.talk.note_id
    client = LiveClient(note_id, name="Matrix", cookie=cookie)

    await client.connect()  # reading: accepted and synced (a refusal would close with 4403)
    if column == "read_notes":
        assert (client.close_code, client.y.synced) == (None, True)
        await client.disconnect()
        return
    await client.append("Hello")
    if expected == OK:
        await room_flushed(note_id)
        assert (client.y.denied, await stored_text(note_id)) == ([], "Hello")
    else:
        await client.until(lambda: client.y.denied)
        await room_flushed(note_id)
        reasons = {
            "write_notes, signed-in only event": "Sign in to take notes.",
            "write_notes, archived event": NOTES_ARCHIVED.text,
            "write_notes, locked note": NOTES_LOCKED.text,
            "write_notes, team-only event": (
                "Only this event's organizers and note-takers take notes."
            ),
        }
        assert (client.y.denied, await stored_text(note_id)) == ([reasons[column]], "")
    await client.disconnect()
