"""The live board: after a write commits, render what changed once and send it to
every open board, marketplace and display of the event (Channels group
`board.<event_id>`).

A message carries server-rendered fragments ("parts") for out-of-band swaps
(htmx WebSocket extension). A part that shows controls exists in two variants:
`html` (anyone) and `controls_html` (for its `audience`, from `access.audience`:
the organizers and/or one host). It is rendered once, not once per viewer, and
reaches each process once: its hub (`hub.py`) hands the same strings to every
viewer, picking per viewer only where the message has controls for them.
Permissions are still checked by the services on every write: a control only
saves a click.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string
from django.utils import timezone

from .. import access
from ..access import Audience, EventAccess
from ..models import Event, OpenSpace
from . import fragments
from .queries import Board, Card, board_grid, host_identity

logger = logging.getLogger(__name__)

VIEWS = ("board", "market", "display")
ABSENT = "absent"  # the topic was not on the board before (new) or is no longer (withdrawn)


@dataclass(frozen=True)
class Touched:
    """A topic a write changed, and where it was before: a (room, slot) cell, None for the
    unplaced column, or ABSENT."""

    pk: int
    before: tuple[int, int] | str | None


def board_group(event_id: int) -> str:
    return f"board.{event_id}"


def board_changed(*, event_id: int, touched=(), refresh: bool = False) -> None:
    """Broadcast a committed change. Never raises: the write has happened either way, and a
    board that missed a message heals when it reconnects or is reloaded."""
    try:
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            return
        parts = render_parts(event=event, touched=touched, refresh=refresh)
        if parts:
            layer = get_channel_layer()
            async_to_sync(layer.group_send)(
                board_group(event_id), {"type": "board.update", "event": event_id, "parts": parts}
            )
    except Exception:
        logger.exception("Could not broadcast a change of the board of event %s", event_id)


# --- Who sees controls ------------------------------------------------------------


def fragments_for(message: dict, *, view: str, access: EventAccess) -> list[str]:
    """The fragments one viewer receives for a broadcast message, one per frame.

    One frame per fragment, because a browser parses a frame as one piece of HTML: a
    table cell (`<td>`) after a list item would be dropped by the HTML parser.
    """
    chosen = []
    for part in message["parts"]:
        if part["view"] != view:
            continue
        html = part["html"]
        if "controls_html" in part and access.receives(Audience(**part["audience"])):
            html = part["controls_html"]
        chosen.append(html)
    return chosen


# --- Rendering ------------------------------------------------------------------------
# `render_parts` answers "what changed, for whom": one small step per region of the pages
# (the unplaced column, the marketplace, the cells of the grid, the display).


def _part(view: str, *templates: str, context: dict, audience: Audience | None = None) -> dict:
    """A fragment for the pages of `view`; rendered a second time with controls
    (`controls` in the context) when someone is in `audience`."""

    def render(controls: bool) -> str:
        return "".join(render_to_string(t, {**context, "controls": controls}) for t in templates)

    part = {"view": view, "html": render(False)}
    if audience:
        part["controls_html"] = render(True)
        part["audience"] = asdict(audience)
    return part


@dataclass
class _Change:
    """A committed change as the parts see it: the board after it, and `now` for the rules."""

    event: Event
    board: Board
    now: datetime

    def where(self, pk: int) -> tuple[int, int] | str | None:
        """Where a topic is now: its (room, slot) cell, None (unplaced) or ABSENT."""
        card = self.board.cards.get(pk)
        if card is None:
            return ABSENT
        open_space = card.open_space
        return (open_space.room_id, open_space.slot_id) if open_space.slot_id else None

    def audience(self, capability: str, card: Card | None) -> Audience:
        if card is None:
            return Audience()
        return access.audience(
            capability, event=self.event, open_space=card.open_space, now=self.now
        )


def _column_parts(change: _Change, item: Touched, after) -> list[dict]:
    """The unplaced column: a topic leaves it, joins it, or changes in it."""
    if item.before is None and after is not None:  # placed or withdrawn
        context = {"event": change.event, "pk": item.pk, "oob": "delete"}
        return [_part("board", fragments.BOARD_UNPLACED_ITEM, context=context)]
    if after is not None:
        return []
    card = change.board.cards[item.pk]
    oob = "true" if item.before is None else "append"
    context = {"event": change.event, "card": card, "pk": item.pk, "oob": oob}
    audience = change.audience("place", card)
    return [_part("board", fragments.BOARD_UNPLACED_ITEM, context=context, audience=audience)]


def _market_parts(change: _Change, item: Touched, after) -> list[dict]:
    """The marketplace: a topic appears, changes, or goes away."""
    if after == ABSENT:
        if item.before == ABSENT:
            return []
        return [_part("market", fragments.MARKET_PROPOSAL_GONE, context={"pk": item.pk})]
    card = change.board.cards[item.pk]
    if item.before == ABSENT:
        context = {
            "event": change.event,
            "p": card.open_space,
            "insert": "afterbegin:#proposal-list",
        }
        audience = change.audience("edit", card)
        return [_part("market", fragments.MARKET_PROPOSAL_NEW, context=context, audience=audience)]
    context = {"event": change.event, "p": card.open_space, "oob": "true"}
    templates = (fragments.MARKET_PROPOSAL_MAIN, fragments.MARKET_INTEREST_COUNT)
    return [_part("market", *templates, context=context)]


def _cells(change: _Change, touched: list[Touched], moved: set) -> list[tuple[int, int]]:
    """The cells to render again: where topics were and are, and the cells of the same
    hosts' other sessions (they may gain or lose a double-booking warning)."""
    cells = set(moved)
    changed = OpenSpace.objects.filter(pk__in=[t.pk for t in touched]).only("host", "host_user_id")
    hosts = {host_identity(o) for o in changed} - {""}
    for card in change.board.cards.values():
        open_space = card.open_space
        if open_space.slot_id and host_identity(open_space) in hosts:
            cells.add((open_space.room_id, open_space.slot_id))
    return sorted(cells)


def _cell_parts(change: _Change, cells: list[tuple[int, int]]) -> list[dict]:
    parts = []
    for key in cells:
        cell = change.board.cell(*key)
        if cell is None:  # the room or slot is gone: boards refresh on that broadcast
            continue
        context = {"event": change.event, "cell": cell, "oob": "true"}
        audience = change.audience("place", cell.card)
        parts.append(_part("board", fragments.BOARD_CELL, context=context, audience=audience))
    return parts


def render_parts(*, event: Event, touched, refresh: bool = False) -> list[dict]:
    """The parts of a broadcast: everything that shows the touched topics, or a refresh
    of every live page (`refresh`, e.g. after a room or slot changed)."""
    if refresh:
        return [_part(view, fragments.LIVE_REFRESH, context={}) for view in VIEWS]
    touched = list(touched)
    if not touched:
        return []
    change = _Change(event=event, board=board_grid(event=event), now=timezone.now())
    parts: list[dict] = []
    moved: set[tuple[int, int]] = set()  # cells a topic left or entered
    for item in touched:
        after = change.where(item.pk)
        moved |= {where for where in (item.before, after) if isinstance(where, tuple)}
        parts += _column_parts(change, item, after)
        parts += _market_parts(change, item, after)
    parts += _cell_parts(change, _cells(change, touched, moved))
    if moved:
        parts.append(_part("display", fragments.LIVE_REFRESH, context={}))
    return parts
