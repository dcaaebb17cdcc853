"""Pages where organizers set up an event's programme: the board's settings, its rooms
and slots, and the talks (which take rooms and times on the board too).

Thin adapters like the other board views: each page works without JavaScript and,
with htmx, the same URLs answer with the fragment of the set-up page that changed.
Every write goes through `_submit` (form → service → errors → answer) or answers with
`_answer` directly.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services as event_services
from ..access import EventAccess, requires
from ..models import Event, Room, Slot, Talk
from . import fragments, services
from .forms import BoardSettingsForm, RoomForm, SlotForm, SlotGenerateForm, TalkForm, apply_errors

# The sections of the set-up page; the other fragments are a room's, slot's or talk's row
# or form.
_SECTIONS = {
    fragments.SETUP_SETTINGS,
    fragments.SETUP_ROOMS,
    fragments.SETUP_SLOTS,
    fragments.SETUP_TALKS,
}


def _setup_context(event: Event, **extra) -> dict:
    rooms = list(Room.objects.filter(event=event))
    slots = list(Slot.objects.filter(event=event))
    days: dict = {}
    for slot in slots:
        days.setdefault(slot.start.astimezone(event.tz).date(), []).append(slot)
    context = {
        "event": event,
        "rooms": rooms,
        "slot_days": sorted(days.items()),
        "talks": list(Talk.objects.filter(event=event).select_related("room")),
        "talk_form": TalkForm(event=event),
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


def _answer(
    request: HttpRequest,
    event: Event,
    *,
    fragment: str,
    status: int = 200,
    notice: str = "",
    error: str = "",
    **context,
) -> HttpResponse:
    """The one answer of the set-up views.

    With htmx: `fragment`, a section of the set-up page (with the whole page's context)
    or a room's or slot's row or edit form. Without: a write that was saved, or refused
    with `error`, goes back to the set-up page with its message (post/redirect/get);
    anything else is the page that holds the fragment, e.g. a form with its errors.
    """
    if not request.htmx and request.method == "POST" and (status < 400 or error):
        if notice:
            messages.success(request, notice)
        if error:
            messages.error(request, error)
        return redirect("sessions:board_setup", slug=event.slug)
    if fragment in _SECTIONS:
        context = _setup_context(event, notice=notice, error=error, **context)
        page = fragments.SETUP_PAGE
    else:
        context = {"event": event, "section": "setup", **context}
        page = fragments.SETUP_EDIT_PAGE
    return render(request, fragment if request.htmx else page, context, status=status)


def _submit(
    request: HttpRequest,
    event: Event,
    form: Form,
    *,
    write,
    saved,
    fragment: str,
    form_as: str = "form",
    **context,
) -> HttpResponse:
    """The set-up sequence: form → service → errors → answer.

    Valid input goes to `write(data)`, which calls a service; a ValidationError it raises
    lands on the form's fields. Saved: the answer `saved(result)` describes (a dict of
    `_answer`'s arguments). Not saved: `fragment` at 422, with the form as `form_as`.
    """
    if form.is_valid():
        try:
            result = write(form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _answer(request, event, **saved(result))
    return _answer(request, event, fragment=fragment, status=422, **{form_as: form}, **context)


@require_GET
@requires("set_up_board")
def setup(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return render(request, fragments.SETUP_PAGE, _setup_context(event))


@require_POST
@requires("set_up_board")
def setup_settings(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _submit(
        request,
        event,
        BoardSettingsForm(request.POST, instance=Event.objects.get(pk=event.pk)),
        write=lambda data: services.event_board_settings_update(
            actor=access.actor,
            event=event,
            placement=data["open_space_placement"],
            proposals_open=data["proposals_open"],
        ),
        saved=lambda _: {"fragment": fragments.SETUP_SETTINGS, "notice": "Settings saved."},
        fragment=fragments.SETUP_SETTINGS,
        form_as="settings_form",
    )


# --- Rooms ------------------------------------------------------------------------------


def _room(event: Event, pk: int) -> Room:
    return get_object_or_404(Room.objects.select_related("event"), event=event, pk=pk)


@require_POST
@requires("set_up_board")
def room_create(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _submit(
        request,
        event,
        RoomForm(request.POST),
        write=lambda data: services.room_create(
            actor=access.actor,
            event=event,
            name=data["name"],
            capacity=data["capacity"],
            position=data["position"],
        ),
        saved=lambda room: {"fragment": fragments.SETUP_ROOMS, "notice": f"Added “{room.name}”."},
        fragment=fragments.SETUP_ROOMS,
        form_as="room_form",
    )


@require_GET
@requires("set_up_board")
def room_row(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    if not request.htmx:
        return redirect(f"{reverse('sessions:board_setup', args=[event.slug])}#room-{pk}")
    return _answer(request, event, fragment=fragments.SETUP_ROW["room"], room=room)


@require_http_methods(["GET", "POST"])
@requires("set_up_board")
def room_edit(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    if request.method == "GET":
        form = RoomForm(instance=room)
        return _answer(request, event, fragment=fragments.SETUP_EDIT["room"], room=room, form=form)
    return _submit(
        request,
        event,
        RoomForm(request.POST, instance=Room.objects.get(pk=pk)),
        write=lambda data: services.room_update(
            actor=access.actor,
            room=room,
            name=data["name"],
            capacity=data["capacity"],
            position=data["position"] or 0,
        ),
        saved=lambda room: {
            "fragment": fragments.SETUP_ROW["room"],
            "notice": f"Saved “{room.name}”.",
            "room": room,
        },
        fragment=fragments.SETUP_EDIT["room"],
        room=room,
    )


@require_POST
@requires("set_up_board")
def room_delete(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    room = _room(event, pk)
    try:
        services.room_delete(actor=access.actor, room=room)
    except services.BoardError as refusal:
        return _answer(
            request, event, fragment=fragments.SETUP_ROOMS, status=409, error=refusal.message
        )
    return _answer(request, event, fragment=fragments.SETUP_ROOMS, notice=f"Deleted “{room.name}”.")


# --- Slots ------------------------------------------------------------------------------


def _slot(event: Event, pk: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("event"), event=event, pk=pk)


@require_POST
@requires("set_up_board")
def slot_create(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _submit(
        request,
        event,
        SlotForm(request.POST, event=event),
        write=lambda data: services.slot_create(
            actor=access.actor, event=event, start=data["start_at"], end=data["end_at"]
        ),
        saved=lambda slot: {
            "fragment": fragments.SETUP_SLOTS,
            "notice": f"Added the slot {slot.label(event.tz)}.",
        },
        fragment=fragments.SETUP_SLOTS,
        form_as="slot_form",
    )


@require_GET
@requires("set_up_board")
def slot_row(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    if not request.htmx:
        return redirect(f"{reverse('sessions:board_setup', args=[event.slug])}#slot-{pk}")
    return _answer(request, event, fragment=fragments.SETUP_ROW["slot"], slot=slot)


@require_http_methods(["GET", "POST"])
@requires("set_up_board")
def slot_edit(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    if request.method == "GET":
        form = SlotForm(initial=SlotForm.initial_for(slot), event=event)
        return _answer(request, event, fragment=fragments.SETUP_EDIT["slot"], slot=slot, form=form)
    return _submit(
        request,
        event,
        SlotForm(request.POST, event=event),
        # The service changes the slot it is given even when it refuses the change: give
        # it a copy, so that a refused edit shows the slot as it still is.
        write=lambda data: services.slot_update(
            actor=access.actor, slot=_slot(event, pk), start=data["start_at"], end=data["end_at"]
        ),
        saved=lambda slot: {
            "fragment": fragments.SETUP_ROW["slot"],
            "notice": f"Saved the slot {slot.label(event.tz)}.",
            "slot": slot,
        },
        fragment=fragments.SETUP_EDIT["slot"],
        slot=slot,
    )


@require_POST
@requires("set_up_board")
def slot_delete(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    slot = _slot(event, pk)
    label = slot.label(event.tz)
    try:
        services.slot_delete(actor=access.actor, slot=slot)
    except services.BoardError as refusal:
        return _answer(
            request, event, fragment=fragments.SETUP_SLOTS, status=409, error=refusal.message
        )
    return _answer(
        request, event, fragment=fragments.SETUP_SLOTS, notice=f"Deleted the slot {label}."
    )


def _generated_notice(result: services.SlotsGenerated) -> str:
    notice = f"Created {len(result.created)} slot(s)."
    if result.skipped:
        notice += f" Skipped {len(result.skipped)} that overlapped existing slots."
    return notice


@require_POST
@requires("set_up_board")
def slots_generate(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _submit(
        request,
        event,
        SlotGenerateForm(request.POST, event=event),
        write=lambda data: services.slots_generate(
            actor=access.actor,
            event=event,
            day=data["day"],
            start=data["start"],
            end=data["end"],
            length=data["length_delta"],
            gap=data["gap_delta"],
        ),
        saved=lambda result: {
            "fragment": fragments.SETUP_SLOTS,
            "notice": _generated_notice(result),
        },
        fragment=fragments.SETUP_SLOTS,
        form_as="generate_form",
    )


# --- Talks ------------------------------------------------------------------------------


def _talk(event: Event, pk: int) -> Talk:
    return get_object_or_404(
        Talk.objects.select_related("event", "room", "note"), event=event, pk=pk
    )


def _talk_fields(data: dict) -> dict:
    return {
        "title": data["title"],
        "speakers": data["speakers"],
        "kind": data["kind"],
        "room": data["room"],
        "start": data["start_at"],
        "end": data["end_at"],
        "abstract": data["abstract"],
    }


@require_POST
@requires("set_up_board")
def talk_create(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _submit(
        request,
        event,
        TalkForm(request.POST, event=event),
        write=lambda data: event_services.talk_save(
            actor=access.actor, event=event, **_talk_fields(data)
        ),
        saved=lambda talk: {"fragment": fragments.SETUP_TALKS, "notice": f"Added “{talk.title}”."},
        fragment=fragments.SETUP_TALKS,
        form_as="talk_form",
    )


@require_GET
@requires("set_up_board")
def talk_row(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    talk = _talk(event, pk)
    if not request.htmx:
        return redirect(f"{reverse('sessions:board_setup', args=[event.slug])}#talk-{pk}")
    return _answer(request, event, fragment=fragments.SETUP_ROW["talk"], talk=talk)


@require_http_methods(["GET", "POST"])
@requires("set_up_board")
def talk_edit(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    talk = _talk(event, pk)
    if request.method == "GET":
        form = TalkForm(initial=TalkForm.initial_for(talk), event=event)
        return _answer(request, event, fragment=fragments.SETUP_EDIT["talk"], talk=talk, form=form)
    return _submit(
        request,
        event,
        TalkForm(request.POST, event=event),
        # A copy, as for slots: a refused edit shows the talk as it still is.
        write=lambda data: event_services.talk_save(
            actor=access.actor, event=event, talk=_talk(event, pk), **_talk_fields(data)
        ),
        saved=lambda talk: {
            "fragment": fragments.SETUP_ROW["talk"],
            "notice": f"Saved “{talk.title}”.",
            "talk": talk,
        },
        fragment=fragments.SETUP_EDIT["talk"],
        talk=talk,
    )


@require_POST
@requires("set_up_board")
def talk_delete(request: HttpRequest, event: Event, access: EventAccess, pk: int) -> HttpResponse:
    talk = _talk(event, pk)
    try:
        event_services.talk_delete(actor=access.actor, talk=talk)
    except services.BoardError as refusal:
        return _answer(
            request, event, fragment=fragments.SETUP_TALKS, status=409, error=refusal.message
        )
    return _answer(
        request, event, fragment=fragments.SETUP_TALKS, notice=f"Deleted “{talk.title}”."
    )
