"""Reads of the open-space board, the marketplace and the display.

Everything here is read-only; writes live in `services.py`. Who may do what is
decided in `sessions/access.py`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ..access import EventAccess
from ..models import Event, Interest, OpenSpace, Room, Slot, Talk
from .identity import Actor

# --- The board ------------------------------------------------------------------


def host_identity(open_space: OpenSpace) -> str:
    """Who hosts a topic, for double-booking checks: the user, else the name (case-folded)."""
    if open_space.host_user_id is not None:
        return f"user:{open_space.host_user_id}"
    name = " ".join(open_space.host.split()).casefold()
    return f"name:{name}" if name else ""


def cell_label(*, room: Room, slot: Slot, event: Event) -> str:
    """A cell as people name it: "Room A, Wed 14:00" (event time zone)."""
    return f"{room.name}, {slot.start.astimezone(event.tz):%a %H:%M}"


@dataclass
class Card:
    """One topic as the board shows it."""

    open_space: OpenSpace
    interest: int
    capacity: int | None = None
    clashes: list[OpenSpace] = field(default_factory=list)
    # Whether the viewer of a page gets drag-and-drop and the "Move…" link (`apply_access`);
    # the page hands it to the card's template as `controls`.
    controls: bool = False
    # The topic's page (with its notes), its "Place…" form and its star; see `_UrlMaker`.
    url: str = ""
    place_url: str = ""
    star_url: str = ""
    # Whether the viewer starred it (a star on a topic is an interest): pages set it,
    # broadcasts leave it False and board.js puts each viewer's own in.
    starred: bool = False

    @property
    def pk(self) -> int:
        return self.open_space.pk

    @property
    def title(self) -> str:
        return self.open_space.title

    @property
    def star_key(self) -> str:
        return f"open-space-{self.open_space.pk}"

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.interest > self.capacity


class _UrlMaker:
    """`reverse()` once per board instead of twice per card: a 150-topic board spent a
    quarter of its render time reversing URLs."""

    PLACEHOLDER = 987654321

    def __init__(self, name: str, slug: str) -> None:
        sample = reverse(name, kwargs={"slug": slug, "pk": self.PLACEHOLDER})
        self.head, self.tail = sample.split(str(self.PLACEHOLDER))

    def __call__(self, pk: int) -> str:
        return f"{self.head}{pk}{self.tail}"


@dataclass
class Cell:
    room: Room
    slot: Slot
    card: Card | None = None
    # A talk scheduled in this room at this time: the cell cannot take an open space.
    blocked_by: Talk | None = None

    @property
    def key(self) -> str:
        return f"{self.room.pk}-{self.slot.pk}"

    @property
    def dom_id(self) -> str:
        return f"cell-{self.room.pk}-{self.slot.pk}"


@dataclass
class BoardRow:
    slot: Slot
    cells: list[Cell]


@dataclass
class BoardDay:
    date: date
    rows: list[BoardRow]


@dataclass
class Board:
    event: Event
    rooms: list[Room]
    days: list[BoardDay]
    unplaced: list[Card]
    cards: dict[int, Card]
    cells: dict[tuple[int, int], Cell]

    def cell(self, room_id: int, slot_id: int) -> Cell | None:
        return self.cells.get((room_id, slot_id))

    def apply_access(self, access: EventAccess, *, now: datetime | None = None) -> None:
        """Mark which cards the viewer may move, and which they starred."""
        now = now or timezone.now()
        starred = interested_ids(event=self.event, actor=access.actor)
        for card in self.cards.values():
            card.controls = access.can("place", card.open_space, now=now)
            card.starred = card.pk in starred

    @property
    def starred_ids(self) -> str:
        """The topics the viewer starred, for board.js ("3 7 12")."""
        return " ".join(str(card.pk) for card in self.cards.values() if card.starred)


def _overlaps(a: Slot, b: Slot) -> bool:
    return a.start < b.end and b.start < a.end


def board_grid(*, event: Event) -> Board:
    """The whole board of an event in four queries, whatever its size."""
    rooms = list(Room.objects.filter(event=event))
    slots = list(Slot.objects.filter(event=event))
    room_by_pk = {room.pk: room for room in rooms}
    slot_by_pk = {slot.pk: slot for slot in slots}
    open_spaces = list(
        OpenSpace.objects.filter(event=event)
        .shown()
        .annotate(interest_count=Count("interests"))
        .order_by("-interest_count", "created_at", "pk")
    )
    talks = list(
        Talk.objects.filter(event=event, room__isnull=False, start__isnull=False).only(
            "pk", "title", "room_id", "start", "end", "slug", "event_id", "note_id"
        )
    )

    cells: dict[tuple[int, int], Cell] = {}
    days: dict[date, list[BoardRow]] = {}
    for slot in slots:
        row_cells = []
        for room in rooms:
            cell = Cell(room=room, slot=slot)
            cells[(room.pk, slot.pk)] = cell
            row_cells.append(cell)
        days.setdefault(slot.start.astimezone(event.tz).date(), []).append(
            BoardRow(slot=slot, cells=row_cells)
        )
    for talk in talks:
        for slot in slots:
            if talk.start < slot.end and slot.start < talk.end:
                cell = cells.get((talk.room_id, slot.pk))
                if cell is not None and cell.blocked_by is None:
                    cell.blocked_by = talk

    cards: dict[int, Card] = {}
    unplaced: list[Card] = []
    placed: list[Card] = []
    page_url = _UrlMaker("sessions:open_space", event.slug)
    place_url = _UrlMaker("sessions:board_place_form", event.slug)
    star_url = _UrlMaker("sessions:open_space_star", event.slug)
    for open_space in open_spaces:
        open_space.event = event
        card = Card(
            open_space=open_space,
            interest=open_space.interest_count,
            url=page_url(open_space.pk),
            place_url=place_url(open_space.pk),
            star_url=star_url(open_space.pk),
        )
        cards[open_space.pk] = card
        if (open_space.room_id, open_space.slot_id) in cells:
            open_space.room = room_by_pk[open_space.room_id]
            open_space.slot = slot_by_pk[open_space.slot_id]
            card.capacity = open_space.room.capacity
            cells[(open_space.room_id, open_space.slot_id)].card = card
            placed.append(card)
        else:
            unplaced.append(card)

    # A host in two places at once: quadratic only within one host's sessions.
    by_host: dict[str, list[Card]] = {}
    for card in placed:
        who = host_identity(card.open_space)
        if who:
            by_host.setdefault(who, []).append(card)
    for group in by_host.values():
        for card in group:
            card.clashes = [
                other.open_space
                for other in group
                if other is not card and _overlaps(card.open_space.slot, other.open_space.slot)
            ]

    return Board(
        event=event,
        rooms=rooms,
        days=[BoardDay(date=day, rows=rows) for day, rows in sorted(days.items())],
        unplaced=unplaced,
        cards=cards,
        cells=cells,
    )


def host_clashes(*, open_space: OpenSpace) -> list[OpenSpace]:
    """Other placed topics of the same host whose slots overlap this one's."""
    if open_space.slot_id is None:
        return []
    who = host_identity(open_space)
    if not who:
        return []
    same_host = (
        Q(host_user_id=open_space.host_user_id)
        if open_space.host_user_id is not None
        else Q(host_user__isnull=True, host__iexact=" ".join(open_space.host.split()))
    )
    slot = open_space.slot
    return list(
        OpenSpace.objects.filter(
            same_host,
            event_id=open_space.event_id,
            slot__start__lt=slot.end,
            slot__end__gt=slot.start,
        )
        .exclude(pk=open_space.pk)
        .exclude(status=OpenSpace.Status.WITHDRAWN)
        .select_related("room", "slot")
    )


def board_changed_since(*, event_id: int, since: datetime) -> bool:
    """Whether a topic or an interest of the event changed after `since` (what a page
    rendered at `since` may have missed before its live connection opened)."""
    return (
        OpenSpace.objects.filter(event_id=event_id, updated_at__gt=since).exists()
        or Interest.objects.filter(open_space__event_id=event_id, created_at__gt=since).exists()
    )


# --- The marketplace --------------------------------------------------------------

MARKET_SORTS = {"interest": "Most interest", "newest": "Newest"}


def market_proposals(*, event: Event, sort: str = "interest") -> list[OpenSpace]:
    """Topics that are shown (not withdrawn, not hidden), with `interest_count`, in the
    requested order."""
    order = (
        ["-created_at", "-pk"] if sort == "newest" else ["-interest_count", "-created_at", "-pk"]
    )
    proposals = list(
        OpenSpace.objects.filter(event=event)
        .shown()
        .select_related("room", "slot")
        .annotate(interest_count=Count("interests"))
        .order_by(*order)
    )
    for open_space in proposals:
        open_space.event = event
    return proposals


def interested_ids(*, event: Event, actor: Actor) -> set[int]:
    """The topics of an event this actor has said they are interested in."""
    if actor.user_id is not None:
        mine = Q(user_id=actor.user_id)
    elif actor.guest_key:
        mine = Q(guest_key=actor.guest_key, user__isnull=True)
    else:
        return set()
    return set(
        Interest.objects.filter(mine, open_space__event=event).values_list(
            "open_space_id", flat=True
        )
    )


# --- The display (projector) --------------------------------------------------------


@dataclass
class DisplayRow:
    slot: Slot
    cells: list[Cell]
    state: str  # "past", "now", "next" or "later"


@dataclass
class Display:
    event: Event
    day: date | None
    rooms: list[Room]
    rows: list[DisplayRow]
    now: datetime

    @property
    def utc_offset_minutes(self) -> int:
        """The event's UTC offset now, so the display's clock can tick in event time."""
        return int(self.now.astimezone(self.event.tz).utcoffset().total_seconds() // 60)


def board_display(*, event: Event, now: datetime) -> Display:
    """The day a projector should show (today, else the next day with slots, else the
    last one), its rows marked past / now / next / later."""
    board = board_grid(event=event)
    today = now.astimezone(event.tz).date()
    day = None
    if board.days:
        upcoming = [d for d in board.days if d.date >= today]
        day = upcoming[0] if upcoming else board.days[-1]
    rows: list[DisplayRow] = []
    if day is not None:
        next_start = min((r.slot.start for r in day.rows if r.slot.start > now), default=None)
        for row in day.rows:
            if row.slot.start <= now < row.slot.end:
                state = "now"
            elif row.slot.end <= now:
                state = "past"
            elif row.slot.start == next_start:
                state = "next"
            else:
                state = "later"
            rows.append(DisplayRow(slot=row.slot, cells=row.cells, state=state))
    return Display(
        event=event,
        day=day.date if day else None,
        rooms=board.rooms,
        rows=rows,
        now=now,
    )


def hidden_proposals(*, event: Event) -> list[OpenSpace]:
    """Topics the organizers hid, newest first (only organizers see them)."""
    return list(
        OpenSpace.objects.filter(event=event, hidden=True)
        .exclude(status=OpenSpace.Status.WITHDRAWN)
        .order_by("-updated_at", "-pk")
    )
