"""Who may do what at an event: every permission rule of Confnotes, in one place.

`event_access(event=, actor=)` answers for one person at one event. Each capability
returns None (allowed) or a `Refusal`: the words the person sees and the HTTP status /
WebSocket close code they map to, so the yes/no and the reason cannot drift apart.
Views, services, consumers and the notes policy ask here and nowhere else.

An event's team is its `EventRole` rows: organizers and note-takers. Organizers are the
users with the organizer role, plus Django superusers, who organize every event. Staff
status alone does not make an organizer: the admin scopes staff to the events they
organize, and so does every other page. Who may create events at all is
`event_creation_refusal` (settings.EVENT_CREATION).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from . import limits
from .board.fragments import LIVE_STATUS, REFUSED_PAGE
from .board.identity import Actor, request_actor
from .models import Event, EventRole, OpenSpace

CAPABILITIES = (
    "set_up_board",
    "import_notes",
    "manage_event",
    "manage_team",
    "moderate",
    "propose",
    "show_interest",
    "star",
    "keep_agenda",
    "place",
    "edit",
    "read_notes",
    "write_notes",
    "view_history",
    "view_authorship",
    "restore_notes",
    "merge_speakers",
    "lock_notes",
    "monitor_notes",
)


@dataclass(frozen=True)
class Refusal:
    """Why something is not allowed, for the person who tried."""

    text: str
    status: int = 403  # the HTTP answer
    close_code: int = 4403  # the WebSocket close code, where a socket is refused
    # Signing in may lift the refusal: pages send signed-out visitors to sign in.
    sign_in: bool = False


class NotAllowed(Exception):
    """Raised by `EventAccess.require`; carries the refusal to show."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.text)
        self.refusal = refusal

    @property
    def message(self) -> str:
        return self.refusal.text


ARCHIVED = Refusal("This event is archived.")
WITHDRAWN = Refusal("This topic was withdrawn.")
MERGE_SPEAKERS = "Only the organizers of every event these speakers spoke at may merge them."
HIDDEN = Refusal("The organizers hid this topic.")
NOTES_ARCHIVED = Refusal("This event is archived: its notes are read-only.")
NOTES_LOCKED = Refusal("The organizers locked these notes: they are read-only for now.")


def _organizes_every_event(user) -> bool:
    return user.is_superuser


def counts_as_organizer(*, event: Event, user) -> bool:
    """The one definition of an organizer (see the module docstring)."""
    if user is None or not user.is_authenticated:
        return False
    return _organizes_every_event(user) or event.is_organizer(user)


def organized(queryset: QuerySet, *, user, event_lookup: str = "") -> QuerySet:
    """`queryset` narrowed to what `user` organizes: events, or objects of events when
    `event_lookup` leads from them to their event (e.g. "event", "open_space__event")."""
    if _organizes_every_event(user):
        return queryset
    if user is None or not user.is_authenticated:
        return queryset.none()
    prefix = f"{event_lookup}__" if event_lookup else ""
    return queryset.filter(
        **{f"{prefix}roles__user": user, f"{prefix}roles__role": EventRole.Role.ORGANIZER}
    ).distinct()


def event_creation_refusal(*, user) -> Refusal | None:
    """Whether `user` may create an event (and so become its organizer)."""
    if user is None or not user.is_authenticated:
        return Refusal("Sign in to create an event.", sign_in=True)
    if settings.EVENT_CREATION == "staff" and not (user.is_staff or user.is_superuser):
        return Refusal("Only staff may create events on this site.")
    return None


@dataclass(frozen=True)
class Audience:
    """Who gets a live fragment's controls: the organizers and/or one host (a user or a
    guest browser). Plain values, so that it travels in channel-layer messages."""

    organizers: bool = False
    host_user_id: int | None = None
    host_key: str = ""

    def __bool__(self) -> bool:
        return self.organizers or self.host_user_id is not None or bool(self.host_key)


def _place_rule(
    event: Event, open_space: OpenSpace, *, organizer: bool, host: bool, now: datetime | None
) -> Refusal | None:
    if event.archived:
        return ARCHIVED
    if open_space.status == OpenSpace.Status.WITHDRAWN:
        return WITHDRAWN
    if open_space.hidden:  # hiding took it off the board; it comes back when shown again
        return HIDDEN
    if organizer:
        return None
    if event.open_space_placement != Event.Placement.HOSTS:
        return Refusal("Only the organizers place sessions on this board.")
    if not host:
        return Refusal("You may only place the topics you host.")
    if open_space.is_held(now=now):
        return Refusal("This session has already started; ask an organizer to move it.")
    return None


def _edit_rule(
    event: Event, open_space: OpenSpace, *, organizer: bool, host: bool, now: datetime | None
) -> Refusal | None:
    if event.archived:
        return ARCHIVED
    if open_space.status == OpenSpace.Status.WITHDRAWN:
        return WITHDRAWN
    if open_space.hidden and not organizer:
        return HIDDEN
    if open_space.is_held(now=now):
        return Refusal("This session has already started; it can no longer be changed.")
    if organizer or host:
        return None
    return Refusal("Only the host or an organizer may change this topic.")


_TOPIC_RULES = {"place": _place_rule, "edit": _edit_rule}


@dataclass
class EventAccess:
    """What one actor may do at one event. Build it with `event_access`."""

    event: Event
    actor: Actor

    @cached_property
    def role(self) -> str | None:
        """The actor's role in the event's team (an EventRole.Role value), or None."""
        return self.event.role_of(self.actor.user) if self.actor.user_id is not None else None

    @cached_property
    def is_organizer(self) -> bool:
        if self.actor.user_id is None:
            return False
        return _organizes_every_event(self.actor.user) or self.role == EventRole.Role.ORGANIZER

    @property
    def is_team(self) -> bool:
        """An organizer or a note-taker of the event."""
        return self.is_organizer or self.role == EventRole.Role.NOTE_TAKER

    def _organizers_only(self, text: str) -> Refusal | None:
        if self.is_organizer:
            return None
        return Refusal(text, sign_in=self.actor.user_id is None)

    # --- Capabilities: None, or the Refusal --------------------------------------

    def set_up_board(self) -> Refusal | None:
        return self._organizers_only("Only the organizers of this event may set up its board.")

    def import_notes(self) -> Refusal | None:
        refusal = self._organizers_only("Only this event's organizers can import notes.")
        if refusal is None and self.event.archived:
            # An import rewrites notes; archived notes are read-only.
            return Refusal(
                "This event is archived: its notes are read-only. "
                "Un-archive it in the event settings to import notes."
            )
        return refusal

    def manage_event(self) -> Refusal | None:
        """The event's settings: name, dates, visibility, who may write, archived…"""
        return self._organizers_only("Only the organizers of this event may change it.")

    def manage_team(self) -> Refusal | None:
        """Invite people to the team, and remove them."""
        return self._organizers_only("Only the organizers of this event manage its team.")

    def moderate(self) -> Refusal | None:
        """Hide a proposal (and show it again)."""
        return self._organizers_only("Only the organizers of this event may hide proposals.")

    def propose(self) -> Refusal | None:
        if self.event.archived:
            return ARCHIVED
        if not (self.is_organizer or self.event.proposals_open):
            return Refusal("Proposals are closed for this event.")
        if not self.actor.is_identified:
            return Refusal("Your browser could not be recognised; enable cookies to propose.")
        return None

    def show_interest(self) -> Refusal | None:
        if not self.actor.is_identified:
            return Refusal("Your browser could not be recognised; enable cookies to vote.")
        if self.event.archived:
            return ARCHIVED
        return None

    def star(self) -> Refusal | None:
        """Star a talk or an open space for one's agenda (an open space's star is its
        interest vote: `show_interest` too). Archived events keep the stars they had."""
        if self.event.archived:
            return ARCHIVED
        if not self.actor.is_identified:
            return Refusal("Your browser could not be recognised; enable cookies to star.")
        return None

    def keep_agenda(self) -> Refusal | None:
        """Have one's own agenda: its calendar feed's secret address, and its reset."""
        if not self.actor.is_identified:
            return Refusal(
                "Your browser could not be recognised; enable cookies to keep an agenda."
            )
        return None

    def place(self, open_space: OpenSpace, *, now: datetime | None = None) -> Refusal | None:
        """Put the topic into a cell, move it, or take it off the grid."""
        host = self.actor.hosts(open_space)
        return _place_rule(self.event, open_space, organizer=self.is_organizer, host=host, now=now)

    def edit(self, open_space: OpenSpace, *, now: datetime | None = None) -> Refusal | None:
        """Change the topic's title, host or description, or withdraw it."""
        host = self.actor.hosts(open_space)
        return _edit_rule(self.event, open_space, organizer=self.is_organizer, host=host, now=now)

    def merge_speakers(self) -> Refusal | None:
        """Merge speakers who spoke at this event; a merge asks it of every event involved
        (`merge_speakers_refusal`)."""
        return self._organizers_only(MERGE_SPEAKERS)

    def monitor_notes(self) -> Refusal | None:
        """The live dashboard: who is in which note now, how fast it is written."""
        return self._organizers_only("Only the organizers of this event see its live notes.")

    def read_notes(self) -> Refusal | None:
        # Notes are public: whoever reaches an event (listed or by its link) may read them.
        # `notes_readable` is the same rule for many events at once: change both together.
        return None

    def write_notes(self, note) -> Refusal | None:
        """Write in `note` (a notes.Note of this event's talks or open spaces)."""
        if self.event.archived:
            return NOTES_ARCHIVED
        if note.locked:  # organizers too: a lock is undone by unlocking
            return NOTES_LOCKED
        if self.event.notes_access == Event.NotesAccess.TEAM:
            if self.is_team:
                return None
            return Refusal(
                "Only this event's organizers and note-takers take notes.",
                sign_in=self.actor.user_id is None,
            )
        if self.actor.user_id is not None or self.event.allows_guests:
            return None
        return Refusal("Sign in to take notes.", sign_in=True)

    def lock_notes(self) -> Refusal | None:
        """Lock or unlock a note of this event (every open editor turns read-only)."""
        return self._organizers_only("Only the organizers of this event may lock its notes.")

    def view_history(self, note) -> Refusal | None:
        """`note`'s revisions, their differences and the timeslider: whoever may read
        the note may read what it said before."""
        return self.read_notes()

    def view_authorship(self, note) -> Refusal | None:
        """Who wrote what in `note` (names as shown next to cursors and in the note's
        contributors): as public as the note."""
        return self.read_notes()

    def restore_notes(self, note) -> Refusal | None:
        """Make `note` read as one of its revisions again: its event's team only (a
        restore undoes everyone's writing since), never in an archived event or a
        locked note (a lock is undone by unlocking)."""
        if self.event.archived:
            return NOTES_ARCHIVED
        if note.locked:
            return NOTES_LOCKED
        if self.is_team:
            return None
        return Refusal(
            "Only this event's organizers and note-takers may restore a revision.",
            sign_in=self.actor.user_id is None,
        )

    # --- Wrappers ---------------------------------------------------------------

    def check(self, capability: str, *args, **kwargs) -> Refusal | None:
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}")
        return getattr(self, capability)(*args, **kwargs)

    def can(self, capability: str, *args, **kwargs) -> bool:
        return self.check(capability, *args, **kwargs) is None

    def require(self, capability: str, *args, **kwargs) -> None:
        refusal = self.check(capability, *args, **kwargs)
        if refusal is not None:
            raise NotAllowed(refusal)

    def receives(self, audience: Audience) -> bool:
        """Whether this actor gets the controls of a live fragment meant for `audience`."""
        # An audience names its host the way a topic does (host_user_id, host_key).
        return (audience.organizers and self.is_organizer) or self.actor.hosts(audience)

    # --- What pages show --------------------------------------------------------

    @property
    def self_scheduling(self) -> bool:
        return self.event.open_space_placement == Event.Placement.HOSTS

    @property
    def can_place_any(self) -> bool:
        """Whether the board offers drag and drop at all to this actor."""
        if self.event.archived:
            return False
        return self.is_organizer or (self.self_scheduling and self.actor.is_identified)


def event_access(*, event: Event, actor: Actor) -> EventAccess:
    return EventAccess(event=event, actor=actor)


def notes_readable(events: QuerySet[Event], *, actor: Actor) -> QuerySet[Event]:
    """`events` narrowed to those whose notes `actor` may read: the rule of
    `EventAccess.read_notes` as a query, so that lists of events (search, feeds) need no
    model instance per event to ask it."""
    return events  # notes are public (see read_notes)


def merge_speakers_refusal(*, user, events: QuerySet[Event]) -> Refusal | None:
    """`merge_speakers` at every one of `events` (the events the speakers spoke at) at
    once, in one query. Speakers who spoke nowhere belong to no organizer: only superusers
    may merge them."""
    if user is None or not user.is_authenticated:
        return Refusal(MERGE_SPEAKERS, sign_in=True)
    if _organizes_every_event(user):
        return None
    involved = set(events.values_list("pk", flat=True))
    organizes = set(
        organized(Event.objects.filter(pk__in=involved), user=user).values_list("pk", flat=True)
    )
    if involved and organizes == involved:
        return None
    return Refusal(MERGE_SPEAKERS)


def mergeable_speakers(speakers: QuerySet, *, user) -> QuerySet:
    """`speakers` narrowed to those `user` may merge (the rule of `merge_speakers_refusal`):
    every event they spoke at is one `user` organizes, and there is at least one."""
    if user is None or not user.is_authenticated:
        return speakers.none()
    if _organizes_every_event(user):
        return speakers
    elsewhere = Event.objects.exclude(pk__in=organized(Event.objects.all(), user=user).values("pk"))
    return (
        speakers.filter(talk_links__isnull=False)
        .exclude(talk_links__talk__event__in=elsewhere)
        .distinct()
    )


def audience(
    capability: str, *, event: Event, open_space: OpenSpace, now: datetime | None = None
) -> Audience:
    """Who may use `capability` ("place" or "edit") on this topic: the same rule as
    `EventAccess.place` / `.edit`, asked once for any organizer and once for its host."""
    rule = _TOPIC_RULES[capability]  # a KeyError for any other capability
    organizers = rule(event, open_space, organizer=True, host=False, now=now) is None
    if rule(event, open_space, organizer=False, host=True, now=now) is not None:
        return Audience(organizers=organizers)
    return Audience(
        organizers=organizers, host_user_id=open_space.host_user_id, host_key=open_space.host_key
    )


# --- Views: the request's access, one refusal answer, one guard ---------------------------


def request_access(request: HttpRequest, event: Event, *, ensure_key: bool = False) -> EventAccess:
    """The access of a request's actor; with `ensure_key`, a guest gets a browser key,
    unless its address started too many new guests lately (`limits`: guest_new_ip)."""
    mint = ensure_key and not request.user.is_authenticated
    if mint and not request_actor(request).guest_key:
        if not hasattr(request, "_confnotes_guest_ceiling"):  # count a request once
            over = limits.consume(limit="guest_new_ip", who=limits.client_ip(request))
            request._confnotes_guest_ceiling = over
        mint = request._confnotes_guest_ceiling is None
    actor = request_actor(request, ensure_key=mint)
    return event_access(event=event, actor=actor)


def _too_many(text: str) -> Refusal:
    return Refusal(text, status=429, close_code=4429)


_LIMITED = {
    "propose": "You proposed {count} topics within {period}: wait a little before proposing more.",
    "interest": "That is {count} votes within {period}: wait a moment, then try again.",
    "import": "That is {count} imports within {period}: wait a few minutes, then try again.",
    "invite": "You sent {count} invitations within {period}: wait before sending more.",
    "star": "That is {count} stars within {period}: wait a moment, then try again.",
    "tick": "That is {count} ticks within {period}: wait a moment, then try again.",
    "agenda_feed": "You made {count} new calendar addresses within {period}: wait a little.",
}
# Organizers enter many proposals at once (from post-its, say): they are not limited there.
_ORGANIZERS_UNLIMITED = {"propose"}


def write_refusal(
    request: HttpRequest, access: EventAccess, capability: str, *args, limit: str = ""
) -> Refusal | None:
    """The refusal of a write a stranger can repeat (proposing, voting…), in this order:
    too many new guests from the request's address (429, see `request_access`), the
    capability's own refusal, then the actor's rate `limit` (429; counts this write)."""
    ceiling = getattr(request, "_confnotes_guest_ceiling", None)
    if ceiling is not None:
        return _too_many(
            f"Too many new guests from your network within {ceiling.period}. "
            "Sign in, or try again in a few minutes."
        )
    refusal = access.check(capability, *args)
    if refusal is not None or not limit:
        return refusal
    if limit in _ORGANIZERS_UNLIMITED and access.is_organizer:
        return None
    over = limits.consume(limit=limit, who=limits.identity(access.actor))
    if over is not None:
        return _too_many(_LIMITED[limit].format(count=over.count, period=over.period))
    return None


def refuse(request: HttpRequest, refusal: Refusal, *, event: Event | None = None) -> HttpResponse:
    """A refusal at its status: the status fragment for htmx, a small page otherwise."""
    context = {"message": refusal.text, "level": "error", "event": event}
    template = LIVE_STATUS if request.htmx else REFUSED_PAGE
    return render(request, template, context, status=refusal.status)


def requires(capability: str):
    """Guard a view of an event (`slug` in its URL) with a capability that takes no
    argument, such as the organizers' `set_up_board` and `import_notes`.

    Signed-out visitors are sent to sign in when that may help; others get the refusal.
    The view is called as `view(request, event, access, ...)`.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            event = get_object_or_404(Event, slug=slug)
            access = request_access(request, event)
            refusal = access.check(capability)
            if refusal is not None and refusal.sign_in:
                return redirect_to_login(request.get_full_path())
            if refusal is not None:
                return refuse(request, refusal)
            return view(request, event, access, *args, **kwargs)

        return wrapper

    return decorate
