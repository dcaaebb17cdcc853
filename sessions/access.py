"""Who may do what at an event: every permission rule of Confnotes, in one place.

`event_access(event=, actor=)` answers for one person at one event. Each capability
returns None (allowed) or a `Refusal`: the words the person sees and the HTTP status /
WebSocket close code they map to, so the yes/no and the reason cannot drift apart.
Views, services, consumers and the notes policy ask here and nowhere else.

Organizers are the people listed in an event's organizers, plus Django superusers, who
organize every event. Staff status alone does not make an organizer: the admin scopes
staff to the events that list them, and so does every other page.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .board.fragments import LIVE_STATUS, REFUSED_PAGE
from .board.identity import Actor, request_actor
from .models import Event, OpenSpace

CAPABILITIES = (
    "set_up_board",
    "import_notes",
    "manage_event",
    "propose",
    "show_interest",
    "place",
    "edit",
    "read_notes",
    "write_notes",
    "lock_notes",
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
NOTES_ARCHIVED = Refusal("This event is archived: its notes are read-only.")
NOTES_LOCKED = Refusal("The organizers locked these notes: they are read-only for now.")


def _organizes_every_event(user) -> bool:
    return user.is_superuser


def counts_as_organizer(*, event: Event, user) -> bool:
    """The one definition of an organizer (see the module docstring)."""
    if user is None or not user.is_authenticated:
        return False
    return _organizes_every_event(user) or event.is_organizer(user)


def organized(queryset: QuerySet, *, user, lookup: str = "organizers") -> QuerySet:
    """`queryset` narrowed to what `user` organizes: events, or objects of events when
    `lookup` leads from them to the organizers (e.g. "event__organizers")."""
    if _organizes_every_event(user):
        return queryset
    return queryset.filter(**{lookup: user}).distinct()


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
    def is_organizer(self) -> bool:
        return counts_as_organizer(event=self.event, user=self.actor.user)

    def _organizers_only(self, text: str) -> Refusal | None:
        if self.is_organizer:
            return None
        return Refusal(text, sign_in=self.actor.user_id is None)

    # --- Capabilities: None, or the Refusal --------------------------------------

    def set_up_board(self) -> Refusal | None:
        return self._organizers_only("Only the organizers of this event may set up its board.")

    def import_notes(self) -> Refusal | None:
        return self._organizers_only("Only this event's organizers can import notes.")

    def manage_event(self) -> Refusal | None:
        return self._organizers_only("Only the organizers of this event may change it.")

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

    def place(self, open_space: OpenSpace, *, now: datetime | None = None) -> Refusal | None:
        """Put the topic into a cell, move it, or take it off the grid."""
        host = self.actor.hosts(open_space)
        return _place_rule(self.event, open_space, organizer=self.is_organizer, host=host, now=now)

    def edit(self, open_space: OpenSpace, *, now: datetime | None = None) -> Refusal | None:
        """Change the topic's title, host or description, or withdraw it."""
        host = self.actor.hosts(open_space)
        return _edit_rule(self.event, open_space, organizer=self.is_organizer, host=host, now=now)

    def read_notes(self) -> Refusal | None:
        # Notes are public: whoever reaches an event (listed or by its link) may read them.
        return None

    def write_notes(self, note) -> Refusal | None:
        """Write in `note` (a notes.Note of this event's talks or open spaces)."""
        if self.event.archived:
            return NOTES_ARCHIVED
        if note.locked:  # organizers too: a lock is undone by unlocking
            return NOTES_LOCKED
        if self.actor.user_id is not None or self.event.allows_guests:
            return None
        return Refusal("Sign in to take notes.", sign_in=True)

    def lock_notes(self) -> Refusal | None:
        """Lock or unlock a note of this event (every open editor turns read-only)."""
        return self._organizers_only("Only the organizers of this event may lock its notes.")

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
    """The access of a request's actor; with `ensure_key`, a guest gets a browser key."""
    actor = request_actor(request, ensure_key=ensure_key and not request.user.is_authenticated)
    return event_access(event=event, actor=actor)


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
