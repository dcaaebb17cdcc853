"""Pages of events, talks and open spaces: thin adapters over selectors."""

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from notes.selectors import note_contributor_names

from . import moderation, selectors
from .access import EventAccess, refuse, request_access, requires
from .models import Event, OpenSpace, Talk
from .schedule_formats import schedule_frab_json, schedule_ical


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "sessions/home.html", {"periods": selectors.events_by_period()})


@require_GET
@vary_on_headers("HX-Request")
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    scheduled, unscheduled = selectors.event_items(event=event)
    now = timezone.now()
    is_live = event.covers(now)
    running, upcoming = (
        selectors.now_and_next(scheduled=scheduled, now=now) if is_live else ([], [])
    )
    context = {
        "event": event,
        "running": running,
        "upcoming": upcoming,
        "is_live": is_live,
    }
    if request.htmx and request.GET.get("part") == "now-next":
        # The strip refreshes itself every minute while the event runs.
        return render(request, "sessions/event_detail.html#now_next", context)
    context |= {
        "days": selectors.event_schedule(event=event, scheduled=scheduled),
        "unscheduled": unscheduled,
        "can_import": request_access(request, event).can("import_notes"),
    }
    return render(request, "sessions/event_detail.html", context)


def talk_or_404(*, slug: str, talk_slug: str) -> Talk:
    """A talk of the event `slug`, with what its page and its notes export show."""
    return get_object_or_404(
        Talk.objects.select_related("event", "room", "note"), event__slug=slug, slug=talk_slug
    )


def open_space_or_404(*, slug: str, pk: int) -> OpenSpace:
    """An open space of the event `slug`, with what its page and its notes export show."""
    return get_object_or_404(
        OpenSpace.objects.select_related("event", "room", "slot", "note"), event__slug=slug, pk=pk
    )


def _item_page(
    request: HttpRequest, *, event: Event, item: Talk | OpenSpace, template: str, notes_md_url: str
):
    access = request_access(request, event)
    refusal = access.read_notes()
    if refusal is not None:
        return refuse(request, refusal, event=event)
    write_refusal = access.write_notes(item.note)
    user = request.user
    context = {
        "event": event,
        "item": item,
        "note": item.note,
        "contributors": note_contributor_names(note=item.note),
        "can_write": write_refusal is None,
        "write_refusal": write_refusal,
        # One click from reading to writing: `?write` swaps the rendered notes
        # for the live editor (read-only for those who may not write).
        "writing": "write" in request.GET,
        "user_name": (user.get_full_name() or user.get_username()) if user.is_authenticated else "",
        "is_guest": not user.is_authenticated,
        "notes_md_url": notes_md_url,
        "can_lock": access.can("lock_notes"),
    }
    return render(request, template, context)


@require_GET
def talk_detail(request: HttpRequest, slug: str, talk_slug: str) -> HttpResponse:
    talk = talk_or_404(slug=slug, talk_slug=talk_slug)
    return _item_page(
        request,
        event=talk.event,
        item=talk,
        template="sessions/talk_detail.html",
        notes_md_url=reverse("sessions:talk_notes_md", args=[slug, talk.slug]),
    )


@require_GET
def open_space_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = open_space_or_404(slug=slug, pk=pk)
    return _item_page(
        request,
        event=open_space.event,
        item=open_space,
        template="sessions/open_space_detail.html",
        notes_md_url=reverse("sessions:open_space_notes_md", args=[slug, open_space.pk]),
    )


@require_GET
def schedule_json(request: HttpRequest, slug: str) -> JsonResponse:
    event = get_object_or_404(Event, slug=slug)
    data = schedule_frab_json(event=event, base_url=_base_url(request))
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})


@require_GET
def schedule_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    response = HttpResponse(
        schedule_ical(event=event, base_url=_base_url(request)),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{event.slug}.ics"'
    return response


class NoteLockForm(forms.Form):
    locked = forms.BooleanField(required=False)
    # Back to the writing view when the form was sent from it.
    write = forms.BooleanField(required=False)


@require_POST
@requires("lock_notes")
def note_lock(request: HttpRequest, event: Event, access: EventAccess, note_id: int):
    """Lock or unlock a note of the event: every open editor follows at once."""
    owner = selectors.note_owner(note_id=note_id)
    if owner is None or owner.event_id != event.pk:
        raise Http404("No such note at this event.")
    form = NoteLockForm(request.POST)
    form.is_valid()  # two optional booleans: always valid
    moderation.note_lock(access=access, note=owner.note, locked=form.cleaned_data["locked"])
    query = "?write" if form.cleaned_data["write"] else ""
    return redirect(f"{owner.get_absolute_url()}{query}#notes")
