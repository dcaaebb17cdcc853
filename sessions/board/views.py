"""Pages of the open-space marketplace, the board and its display mode (set-up: views_setup).

Thin adapters: parse input through a form, call a service or selector, render.
Every page works without JavaScript (plain links and form POSTs); with htmx the
same URLs answer with fragments (`request.htmx`). Refusals keep their HTTP
status (403, 409, 422); board.js lets htmx show those answers too.
"""

import functools
from datetime import datetime, timedelta
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from notes.presence import notes_presence

from ..access import EventAccess, NotAllowed, Refusal, refuse, request_access, write_refusal
from ..agenda.outcomes import SessionOutcomes, event_outcomes, just_ended
from ..models import Event, OpenSpace
from . import fragments, services
from .forms import InterestForm, PlaceForm, ProposalForm, apply_errors
from .identity import remember_guest
from .queries import (
    MARKET_SORTS,
    board_display,
    board_grid,
    cell_label,
    hidden_proposals,
    interested_ids,
    market_proposals,
)


def guest_cookie(view):
    """Write the guest-identity cookie if the view created a guest key."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        return remember_guest(request, view(request, *args, **kwargs))

    return wrapper


def _ws_url(event: Event, view: str, *, read_at: datetime) -> str:
    """The live connection of a page whose data was read at `read_at`: the consumer tells
    the page to refresh if something changed before the connection opened."""
    since = int(read_at.timestamp() * 1000)
    return f"/ws/events/{event.slug}/board/?view={view}&since={since}"


# --- Marketplace ------------------------------------------------------------------------


def _market_context(request, *, event: Event, access: EventAccess, sort: str, form=None) -> dict:
    read_at = timezone.now()
    proposals = market_proposals(event=event, sort=sort)
    mine = interested_ids(event=event, actor=access.actor)
    now = timezone.now()
    moderate = access.can("moderate")
    for p in proposals:
        p.viewer_interested = p.pk in mine
        p.viewer_controls = access.can("edit", p, now=now)
        p.viewer_moderate = moderate
    if form is None and access.can("propose"):
        form = _proposal_form(request, access=access)
    return {
        "event": event,
        "access": access,
        "proposals": proposals,
        "hidden_proposals": hidden_proposals(event=event) if moderate else [],
        "sort": sort,
        "sorts": MARKET_SORTS,
        "form": form,
        "ws_url": _ws_url(event, "market", read_at=read_at),
        "section": "market",
    }


def _proposal_form(request, *, access: EventAccess, data=None) -> ProposalForm:
    user = request.user if request.user.is_authenticated else None
    return ProposalForm(
        data,
        host_required=user is None,
        host_placeholder=(user.get_full_name() or user.get_username()) if user else "",
    )


@require_GET
@vary_on_headers("HX-Request")
@guest_cookie
def market(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    # Guests get their browser key now, so the live connection already knows them.
    access = request_access(request, event, ensure_key=True)
    sort = request.GET.get("sort", "interest")
    if sort not in MARKET_SORTS:
        sort = "interest"
    context = _market_context(request, event=event, access=access, sort=sort)
    template = fragments.MARKET_REGION if request.htmx else fragments.MARKET_PAGE
    return render(request, template, context)


@require_POST
@guest_cookie
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    access = request_access(request, event, ensure_key=True)
    refusal = write_refusal(request, access, "propose", limit="propose")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    form = _proposal_form(request, access=access, data=request.POST)
    if form.is_valid():
        try:
            open_space = services.open_space_propose(
                actor=access.actor,
                event=event,
                title=form.cleaned_data["title"],
                host=form.cleaned_data["host"],
                description=form.cleaned_data["description"],
            )
        except NotAllowed as error:
            return refuse(request, error.refusal, event=event)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            notice = f"Proposed “{open_space.title}”. People can now say they are interested."
            if request.htmx:
                context = {
                    "event": event,
                    "form": _proposal_form(request, access=access),
                    "notice": notice,
                }
                return render(request, fragments.MARKET_PROPOSE_FORM, context)
            messages.success(request, notice)
            return redirect(
                f"{reverse('sessions:open_spaces', args=[slug])}#proposal-{open_space.pk}"
            )
    if request.htmx:
        return render(
            request, fragments.MARKET_PROPOSE_FORM, {"event": event, "form": form}, status=422
        )
    context = _market_context(request, event=event, access=access, sort="interest", form=form)
    return render(request, fragments.MARKET_PAGE, context, status=422)


def _open_space(slug: str, pk: int) -> OpenSpace:
    return get_object_or_404(
        OpenSpace.objects.select_related("event", "room", "slot"), event__slug=slug, pk=pk
    )


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = _open_space(slug, pk)
    event = open_space.event
    access = request_access(request, event)
    refusal = access.edit(open_space)
    if refusal is not None:
        return refuse(request, refusal, event=event)
    host_required = open_space.host_user_id is None
    if request.method == "POST":
        form = ProposalForm(request.POST, host_required=host_required)
        if form.is_valid():
            try:
                services.open_space_update(
                    actor=access.actor, open_space=open_space, **form.cleaned_data
                )
            except NotAllowed as error:
                return refuse(request, error.refusal, event=event)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Saved “{form.cleaned_data['title']}”.")
                return redirect(f"{reverse('sessions:open_spaces', args=[slug])}#proposal-{pk}")
        status = 422
    else:
        form = ProposalForm(
            initial={
                "title": open_space.title,
                "host": open_space.host,
                "description": open_space.description,
            },
            host_required=host_required,
        )
        status = 200
    context = {"event": event, "open_space": open_space, "form": form, "section": "market"}
    return render(request, fragments.EDIT_PAGE, context, status=status)


@require_POST
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = _open_space(slug, pk)
    access = request_access(request, open_space.event)
    try:
        services.open_space_withdraw(actor=access.actor, open_space=open_space)
    except NotAllowed as error:
        return refuse(request, error.refusal, event=open_space.event)
    notice = f"Withdrew “{open_space.title}”."
    if request.htmx:
        return render(request, fragments.LIVE_STATUS, {"message": notice, "level": "success"})
    messages.success(request, notice)
    return redirect("sessions:open_spaces", slug=slug)


@require_POST
def hide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Moderation: hide a topic from everyone but the organizers, or show it again."""
    open_space = _open_space(slug, pk)
    access = request_access(request, open_space.event)
    hidden = request.POST.get("hidden", "1") == "1"
    try:
        services.open_space_hide(actor=access.actor, open_space=open_space, hidden=hidden)
    except NotAllowed as error:
        return refuse(request, error.refusal, event=open_space.event)
    if hidden:
        notice = f"Hid “{open_space.title}”: only organizers see it now."
    else:
        notice = f"“{open_space.title}” is shown again."
    if request.htmx:
        return render(request, fragments.LIVE_STATUS, {"message": notice, "level": "success"})
    messages.success(request, notice)
    return redirect("sessions:open_spaces", slug=slug)


@require_POST
@guest_cookie
def interest(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = _open_space(slug, pk)
    access = request_access(request, open_space.event, ensure_key=True)
    refusal = write_refusal(request, access, "show_interest", limit="interest")
    if refusal is not None:
        return refuse(request, refusal, event=open_space.event)
    form = InterestForm(request.POST)
    if not form.is_valid():
        return refuse(request, Refusal("Say yes or no.", status=400), event=open_space.event)
    try:
        state = services.interest_toggle(
            actor=access.actor, open_space=open_space, interested=form.cleaned_data["interested"]
        )
    except NotAllowed as error:
        return refuse(request, error.refusal, event=open_space.event)
    except services.BoardError as error:
        return refuse(request, Refusal(error.message, status=409), event=open_space.event)
    if request.htmx:
        open_space.interest_count = state.count
        context = {"event": open_space.event, "p": open_space, "interested": state.interested}
        return render(request, fragments.MARKET_INTEREST, context)
    messages.success(
        request,
        f"You are interested in “{open_space.title}”."
        if state.interested
        else f"You are no longer interested in “{open_space.title}”.",
    )
    return redirect(f"{reverse('sessions:open_spaces', args=[slug])}#proposal-{pk}")


# --- Board ----------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@guest_cookie
def board(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    access = request_access(request, event, ensure_key=True)
    read_at = timezone.now()
    grid = board_grid(event=event)
    grid.apply_access(access)
    context = {
        "event": event,
        "board": grid,
        "access": access,
        "ws_url": _ws_url(event, "board", read_at=read_at),
        "section": "board",
    }
    template = fragments.BOARD_REGION if request.htmx else fragments.BOARD_PAGE
    return render(request, template, context)


def _cell_choices(event: Event, open_space: OpenSpace) -> list:
    """Options of the "where" select: one group per day, every cell saying what holds it."""
    grid = board_grid(event=event)
    groups = [("", [("unplaced", "Not placed — back to the list")])]
    for day in grid.days:
        options = []
        for row in day.rows:
            start = row.slot.start.astimezone(event.tz)
            end = row.slot.end.astimezone(event.tz)
            for cell in row.cells:
                if cell.card is not None and cell.card.pk == open_space.pk:
                    state = "here now"
                elif cell.card is not None:
                    state = f"taken by “{cell.card.open_space.title}”"
                elif cell.blocked_by is not None:
                    state = f"talk “{cell.blocked_by.title}”"
                else:
                    state = "free"
                label = f"{start:%H:%M}–{end:%H:%M} · {cell.room.name} — {state}"
                options.append((cell.key, label))
        groups.append((f"{day.date:%A %-d %B}", options))
    return groups


def _place_page(request, *, event, open_space, status=200, notice=None, conflict=None):
    current = f"{open_space.room_id}-{open_space.slot_id}" if open_space.slot_id else "unplaced"
    context = {
        "event": event,
        "open_space": open_space,
        "choices": _cell_choices(event, open_space),
        "current": current,
        "message": notice,
        "level": "error" if notice else "",
        "conflict": conflict,
        "section": "board",
    }
    template = fragments.BOARD_PLACE_PANEL if request.htmx else fragments.PLACE_PAGE
    return render(request, template, context, status=status)


@require_GET
@vary_on_headers("HX-Request")
def place_form(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = _open_space(slug, pk)
    event = open_space.event
    access = request_access(request, event)
    refusal = access.place(open_space)
    if refusal is not None:
        return refuse(request, refusal, event=event)
    return _place_page(request, event=event, open_space=open_space)


def _placed_notice(result: services.Placement, event: Event) -> str:
    open_space = result.open_space
    if open_space.slot_id is None:
        return f"“{open_space.title}” is back in the list of unplaced topics."
    where = cell_label(room=open_space.room, slot=open_space.slot, event=event)
    if not result.changed:
        return f"“{open_space.title}” is already in {where}."
    return f"Placed “{open_space.title}” in {where}."


@require_POST
def place(request: HttpRequest, slug: str) -> HttpResponse:
    """Place, move, unplace or swap a topic: the target of drag and drop and of the form."""
    event = get_object_or_404(Event, slug=slug)
    access = request_access(request, event)
    form = PlaceForm(request.POST, event=event)
    if not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return refuse(request, Refusal(message, status=400), event=event)
    open_space, cell, other = (
        form.cleaned_data["open_space"],
        form.cleaned_data["cell"],
        form.cleaned_data["swap_with"],
    )
    try:
        if other is not None:
            room, slot = cell
            result = services.open_space_swap(
                actor=access.actor,
                open_space=open_space,
                other=other,
                expected_cell=(room.pk, slot.pk),
            )
        elif cell is None:
            result = services.open_space_unplace(actor=access.actor, open_space=open_space)
        elif open_space.slot_id is None:
            result = services.open_space_place(
                actor=access.actor, open_space=open_space, room=cell[0], slot=cell[1]
            )
        else:
            result = services.open_space_move(
                actor=access.actor, open_space=open_space, room=cell[0], slot=cell[1]
            )
    except NotAllowed as error:
        return refuse(request, error.refusal, event=event)
    except services.CellOccupied as conflict:
        swap = None
        if conflict.occupant is not None and access.can("place", conflict.occupant):
            swap = {"open_space": open_space, "other": conflict.occupant, "cell": cell}
        context = {"event": event, "message": conflict.message, "level": "error", "swap": swap}
        if request.htmx:
            return render(request, fragments.LIVE_STATUS, context, status=409)
        return _place_page(
            request,
            event=event,
            open_space=open_space,
            status=409,
            notice=conflict.message,
            conflict=swap,
        )
    except services.BoardError as error:
        return refuse(request, Refusal(error.message, status=409), event=event)
    notice = _placed_notice(result, event)
    if request.htmx:
        context = {
            "event": event,
            "message": notice,
            "level": "warning" if result.warnings else "success",
            "warnings": result.warnings,
        }
        return render(request, fragments.LIVE_STATUS, context)
    messages.success(request, notice)
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("sessions:board", slug=slug)


def _qr_svg(url: str) -> str:
    # segno writes plain SVG markup (attributes, no inline styles), safe for our CSP.
    return mark_safe(segno.make(url, error="m").svg_inline(scale=4, border=2))  # noqa: S308


def _preview_moment(text: str, *, event: Event) -> datetime:
    """The moment `?at=` asks the display to preview (event time zone if none given).

    Only moments within a year of the event: they are what a preview is for, and far
    dates (year 1) overflow when converted between time zones.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=event.tz)
    if abs((moment.date() - event.start_date).days) > 366:
        raise ValueError(text)
    return moment


# The display's closing-circle mode shows the sessions that ended within this long.
CLOSING_CIRCLE = timedelta(hours=3)


def _display_url(request: HttpRequest, event: Event, **params: str) -> str:
    """The display's own address, keeping its `at` and `show`, plus `params`."""
    query = {key: request.GET[key] for key in ("at", "show") if request.GET.get(key)}
    query.update(params)
    base = reverse("sessions:board_display", args=[event.slug])
    return f"{base}?{urlencode(query)}" if query else base


def _running_cells(view) -> list:
    """The cells of the slot that is on now that hold a session (a topic or a talk)."""
    return [
        cell
        for row in view.rows
        if row.state == "now"
        for cell in row.cells
        if cell.card is not None or cell.blocked_by is not None
    ]


def _with_presence(cells: list) -> None:
    """Who is writing the notes of each running session (cell.presence)."""

    def note_id(cell):
        return cell.card.open_space.note_id if cell.card is not None else cell.blocked_by.note_id

    found = notes_presence(note_id(cell) for cell in cells)
    for cell in cells:
        cell.presence = found[note_id(cell)]


@require_GET
@vary_on_headers("HX-Request")
def display(request: HttpRequest, slug: str) -> HttpResponse:
    """Projector mode. `?at=2026-06-10T11:15` previews another moment (event time zone);
    `?show=outcomes` shows what came out of the sessions that just ended (the closing
    circle); `?part=writing` answers the "notes being written" counts of the running
    sessions (the page asks every 10 s)."""
    event = get_object_or_404(Event, slug=slug)
    now = timezone.now()
    if request.GET.get("at"):
        try:
            now = _preview_moment(request.GET["at"], event=event)
        except ValueError:
            refusal = Refusal(
                "“at” must be a date and time within a year of the event, such as "
                f"{event.start_date:%Y-%m-%d}T14:20.",
                status=400,
            )
            return refuse(request, refusal, event=event)
    read_at = timezone.now()
    view = board_display(event=event, now=now)
    running = _running_cells(view)
    _with_presence(running)
    if request.GET.get("part") == "writing":
        return render(request, fragments.DISPLAY_WRITING, {"cells": running})
    closing = None
    if request.GET.get("show") == "outcomes":
        ended = just_ended(event=event, now=now, within=CLOSING_CIRCLE)
        found = {s.item.star_key: s for s in event_outcomes(event=event, items=ended)}
        closing = [found.get(item.star_key) or SessionOutcomes(item, []) for item in ended]
    for cell in running:
        if cell.card is not None:
            # Straight into the live editor: people scan it to take notes.
            cell.card.qr_svg = _qr_svg(request.build_absolute_uri(cell.card.url + "?write#notes"))
    context = {
        "event": event,
        "display": view,
        "closing": closing,
        "self_url": _display_url(request, event),
        "writing_url": _display_url(request, event, part="writing"),
        "ws_url": _ws_url(event, "display", read_at=read_at),
    }
    template = fragments.DISPLAY_REGION if request.htmx else fragments.DISPLAY_PAGE
    return render(request, template, context)
