"""Pages where organizers set up an event's board: its settings, rooms and slots.

Thin adapters like the other board views: each page works without JavaScript and,
with htmx, the same URLs answer with the fragment of the set-up page that changed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import EventAccess, requires
from ..models import Event, Room, Slot
from . import services
from .forms import BoardSettingsForm, RoomForm, SlotForm, SlotGenerateForm, apply_errors

SETUP = "sessions/board/setup.html"


def _setup_context(event: Event, **extra) -> dict:
    rooms = list(Room.objects.filter(event=event))
    slots = list(Slot.objects.filter(event=event))
    days: dict = {}
    for slot in slots:
        slot.event = event
        days.setdefault(slot.start.astimezone(event.tz).date(), []).append(slot)
    context = {
        "event": event,
        "rooms": rooms,
        "slot_days": sorted(days.items()),
        "settings_form": BoardSettingsForm(instance=event),
        "room_form": RoomForm(),
        "slot_form": SlotForm(event=event, initial={"day": event.start_date}),
        "generate_form": SlotGenerateForm(
            event=event,
            initial={"day": event.start_date, "start": "14:00", "end": "18:00"},
        ),
        "section": "setup",
    }
    context.update(extra)
    return context


def _setup_answer(
    request, event, *, fragment: str, status: int = 200, notice=None, error=None, **extra
):
    """htmx: the named fragment of the set-up page; otherwise the page (PRG on success,
    and with the reason as a message when the write was refused with `error`)."""
    if request.htmx:
        context = _setup_context(event, notice=notice, error=error, **extra)
        return render(request, f"{SETUP}#{fragment}", context, status=status)
    if status < 400 or error:
        if notice:
            messages.success(request, notice)
        if error:
            messages.error(request, error)
        return redirect("sessions:board_setup", slug=event.slug)
    return render(request, SETUP, _setup_context(event, **extra), status=status)


def _setup_saved(request, event: Event, *, kind: str, obj, notice: str) -> HttpResponse:
    """A room or slot was saved: its row for htmx, else back to the set-up page."""
    if request.htmx:
        return render(request, f"{SETUP}#{kind}-row", {"event": event, kind: obj})
    messages.success(request, notice)
    return redirect("sessions:board_setup", slug=event.slug)


def _setup_edit_page(request, event: Event, *, kind: str, obj, form, status: int) -> HttpResponse:
    """The edit form of a room or slot: a fragment replacing its row for htmx, else a page."""
    context = {"event": event, kind: obj, "form": form, "section": "setup"}
    template = f"{SETUP}#{kind}-edit" if request.htmx else "sessions/board/setup_edit.html"
    return render(request, template, context, status=status)


@require_GET
@requires("set_up_board")
def setup(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return render(request, SETUP, _setup_context(event))


@require_POST
@requires("set_up_board")
def setup_settings(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    form = BoardSettingsForm(request.POST, instance=Event.objects.get(pk=event.pk))
    if not form.is_valid():
        return _setup_answer(request, event, fragment="settings", status=422, settings_form=form)
    services.event_board_settings_update(
        actor=access.actor,
        event=event,
        placement=form.cleaned_data["open_space_placement"],
        proposals_open=form.cleaned_data["proposals_open"],
    )
    return _setup_answer(request, event, fragment="settings", notice="Settings saved.")


@require_POST
@requires("set_up_board")
def room_create(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            room = services.room_create(
                actor=access.actor,
                event=event,
                name=form.cleaned_data["name"],
                capacity=form.cleaned_data["capacity"],
                position=form.cleaned_data["position"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _setup_answer(request, event, fragment="rooms", notice=f"Added “{room.name}”.")
    return _setup_answer(request, event, fragment="rooms", status=422, room_form=form)


def _room(event: Event, pk: int) -> Room:
    return get_object_or_404(Room.objects.select_related("event"), event=event, pk=pk)


@require_GET
@requires("set_up_board")
def room_row(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    if not request.htmx:
        return redirect(f"{reverse('sessions:board_setup', args=[event.slug])}#room-{pk}")
    return render(request, f"{SETUP}#room-row", {"event": event, "room": room})


@require_http_methods(["GET", "POST"])
@requires("set_up_board")
def room_edit(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    if request.method == "GET":
        form = RoomForm(instance=room)
        status = 200
    else:
        form = RoomForm(request.POST, instance=Room.objects.get(pk=pk))
        if form.is_valid():
            try:
                room = services.room_update(
                    actor=access.actor,
                    room=room,
                    name=form.cleaned_data["name"],
                    capacity=form.cleaned_data["capacity"],
                    position=form.cleaned_data["position"] or 0,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return _setup_saved(
                    request, event, kind="room", obj=room, notice=f"Saved “{room.name}”."
                )
        status = 422
    return _setup_edit_page(request, event, kind="room", obj=room, form=form, status=status)


@require_POST
@requires("set_up_board")
def room_delete(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    try:
        services.room_delete(actor=access.actor, room=room)
    except services.BoardError as refusal:
        return _setup_answer(request, event, fragment="rooms", status=409, error=refusal.message)
    return _setup_answer(request, event, fragment="rooms", notice=f"Deleted “{room.name}”.")


@require_POST
@requires("set_up_board")
def slot_create(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    form = SlotForm(request.POST, event=event)
    if form.is_valid():
        try:
            slot = services.slot_create(
                actor=access.actor,
                event=event,
                start=form.cleaned_data["start_at"],
                end=form.cleaned_data["end_at"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _setup_answer(request, event, fragment="slots", notice=f"Added the slot {slot}.")
    return _setup_answer(request, event, fragment="slots", status=422, slot_form=form)


def _slot(event: Event, pk: int) -> Slot:
    slot = get_object_or_404(Slot, event=event, pk=pk)
    slot.event = event
    return slot


@require_GET
@requires("set_up_board")
def slot_row(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    if not request.htmx:
        return redirect(f"{reverse('sessions:board_setup', args=[event.slug])}#slot-{pk}")
    return render(request, f"{SETUP}#slot-row", {"event": event, "slot": slot})


@require_http_methods(["GET", "POST"])
@requires("set_up_board")
def slot_edit(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    if request.method == "GET":
        form = SlotForm(initial=SlotForm.initial_for(slot), event=event)
        status = 200
    else:
        form = SlotForm(request.POST, event=event)
        if form.is_valid():
            try:
                slot = services.slot_update(
                    actor=access.actor,
                    slot=slot,
                    start=form.cleaned_data["start_at"],
                    end=form.cleaned_data["end_at"],
                )
            except ValidationError as error:
                apply_errors(form, error)
                slot = _slot(event, pk)
            else:
                return _setup_saved(
                    request, event, kind="slot", obj=slot, notice=f"Saved the slot {slot}."
                )
        status = 422
    return _setup_edit_page(request, event, kind="slot", obj=slot, form=form, status=status)


@require_POST
@requires("set_up_board")
def slot_delete(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    label = str(slot)
    try:
        services.slot_delete(actor=access.actor, slot=slot)
    except services.BoardError as refusal:
        return _setup_answer(request, event, fragment="slots", status=409, error=refusal.message)
    return _setup_answer(request, event, fragment="slots", notice=f"Deleted the slot {label}.")


@require_POST
@requires("set_up_board")
def slots_generate(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    form = SlotGenerateForm(request.POST, event=event)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.slots_generate(
                actor=access.actor,
                event=event,
                day=data["day"],
                start=data["start"],
                end=data["end"],
                length=data["length_delta"],
                gap=data["gap_delta"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            notice = f"Created {len(result.created)} slot(s)."
            if result.skipped:
                notice += f" Skipped {len(result.skipped)} that overlapped existing slots."
            return _setup_answer(request, event, fragment="slots", notice=notice)
    return _setup_answer(request, event, fragment="slots", status=422, generate_form=form)
