"""The live board: after a write commits, render what changed once and send it to
every open board, marketplace and display of the event (Channels group
`board.<event_id>`).

A message carries server-rendered fragments ("parts") for out-of-band swaps
(htmx WebSocket extension). A part that shows controls exists in two variants:
`html` (anyone) and `controls_html` (for its `audience`, from `access.audience`:
the organizers and/or one host). Each consumer picks, per part, the variant its
viewer may see, so a change is rendered once, not once per viewer. Permissions
are still checked by the services on every write: a control only saves a click.
"""

import logging
from dataclasses import asdict, dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.template.loader import render_to_string
from django.utils import timezone

from .. import access
from ..access import Audience, EventAccess
from ..models import Event, OpenSpace
from .queries import Board, Card, board_grid, host_identity

logger = logging.getLogger(__name__)

VIEWS = ("board", "market", "display")
ABSENT = "absent"  # the topic was not on the board before (new) or is no longer (withdrawn)
BOARD_TEMPLATE = "sessions/board/board.html"
MARKET_TEMPLATE = "sessions/board/market.html"
LIVE_TEMPLATE = "sessions/board/_live.html"


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
                board_group(event_id), {"type": "board.update", "parts": parts}
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


def _variants(template: str, context: dict, *, card: Card | None, audience: Audience) -> dict:
    """Render a fragment plainly and, if anyone may control the card, with controls."""
    if card is not None:
        card.controls = False
    part = {"html": render_to_string(template, context)}
    if card is not None and audience:
        card.controls = True
        part["controls_html"] = render_to_string(template, context)
        part["audience"] = asdict(audience)
        card.controls = False
    return part


def _after(board: Board, pk: int):
    card = board.cards.get(pk)
    if card is None:
        return ABSENT
    open_space = card.open_space
    return (open_space.room_id, open_space.slot_id) if open_space.slot_id else None


def render_parts(*, event: Event, touched, refresh: bool = False) -> list[dict]:
    if refresh:
        html = render_to_string(f"{LIVE_TEMPLATE}#refresh", {})
        return [{"view": view, "html": html} for view in VIEWS]
    touched = list(touched)
    if not touched:
        return []
    now = timezone.now()
    board = board_grid(event=event)
    parts: list[dict] = []
    cells: set[tuple[int, int]] = set()
    board_moved = False

    # Sessions of the same host may gain or lose a double-booking warning.
    hosts = {
        host_identity(o)
        for o in OpenSpace.objects.filter(pk__in=[t.pk for t in touched]).only(
            "host", "host_user_id"
        )
    } - {""}

    for item in touched:
        before, after = item.before, _after(board, item.pk)
        card = board.cards.get(item.pk)
        for where in (before, after):
            if isinstance(where, tuple):
                cells.add(where)
                board_moved = True
        # The unplaced column.
        context = {"event": event, "card": card}
        if before is None and after is not None:  # left the column: placed or withdrawn
            parts.append(
                {
                    "view": "board",
                    "html": render_to_string(
                        f"{BOARD_TEMPLATE}#unplaced-item",
                        {"event": event, "pk": item.pk, "oob": "delete"},
                    ),
                }
            )
        elif after is None:
            audience = access.audience("place", event=event, open_space=card.open_space, now=now)
            oob = "true" if before is None else "append"
            parts.append(
                {
                    "view": "board",
                    **_variants(
                        f"{BOARD_TEMPLATE}#unplaced-item",
                        {**context, "pk": item.pk, "oob": oob},
                        card=card,
                        audience=audience,
                    ),
                }
            )
        # The marketplace.
        if after == ABSENT:
            if before != ABSENT:
                parts.append(
                    {
                        "view": "market",
                        "html": render_to_string(
                            f"{MARKET_TEMPLATE}#proposal-gone", {"pk": item.pk}
                        ),
                    }
                )
        else:
            open_space = card.open_space
            audience = access.audience("edit", event=event, open_space=open_space, now=now)
            if before == ABSENT:
                context = {"event": event, "p": open_space, "insert": "afterbegin:#proposal-list"}
                part = {"html": render_to_string(f"{MARKET_TEMPLATE}#proposal-new", context)}
                if audience:
                    part["controls_html"] = render_to_string(
                        f"{MARKET_TEMPLATE}#proposal-new", {**context, "controls": True}
                    )
                    part["audience"] = asdict(audience)
                parts.append({"view": "market", **part})
            else:
                context = {"event": event, "p": open_space, "oob": "true"}
                parts.append(
                    {
                        "view": "market",
                        "html": render_to_string(f"{MARKET_TEMPLATE}#proposal-main", context)
                        + render_to_string(f"{MARKET_TEMPLATE}#interest-count", context),
                    }
                )

    for card in board.cards.values():
        open_space = card.open_space
        if open_space.slot_id and host_identity(open_space) in hosts:
            cells.add((open_space.room_id, open_space.slot_id))
    for key in sorted(cells):
        cell = board.cell(*key)
        if cell is None:  # the room or slot is gone: boards refresh on that broadcast
            continue
        audience = (
            access.audience("place", event=event, open_space=cell.card.open_space, now=now)
            if cell.card
            else Audience()
        )
        parts.append(
            {
                "view": "board",
                **_variants(
                    f"{BOARD_TEMPLATE}#cell",
                    {"event": event, "cell": cell, "oob": "true"},
                    card=cell.card,
                    audience=audience,
                ),
            }
        )
    if board_moved:
        parts.append({"view": "display", "html": render_to_string(f"{LIVE_TEMPLATE}#refresh", {})})
    return parts
