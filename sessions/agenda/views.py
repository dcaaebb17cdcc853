"""Pages of stars, "my agenda" and its calendar feed, outcomes, a session's live strip,
and ticking checklist items: thin adapters over the services and selectors here.

Every write is a plain form POST that works without JavaScript; with htmx the same URLs
answer with the fragment to swap. Refusals keep their HTTP status (sessions/access.py).
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from notes.tasks import TaskMoved

from ..access import (
    EventAccess,
    NotAllowed,
    Refusal,
    refuse,
    request_access,
    requires,
    write_refusal,
)
from ..board.services import BoardError
from ..board.views import guest_cookie
from ..models import Event, Talk
from ..schedule_formats import items_ical
from ..selectors import schedule_item
from ..views import notes_body_context, open_space_or_404
from . import selectors, services
from .follow import is_running, presence_of
from .forms import StarForm, TickForm
from .outcomes import event_outcomes, outcomes_markdown

STAR = "sessions/agenda/_star.html#star"
FOLLOW_STRIP = "sessions/agenda/_follow.html#strip"
NOTES_BODY = "sessions/_notes_section.html#notes-body"
# Calendar apps are asked to fetch the agenda again this often (an open space may move).
FEED_REFRESH = "PT15M"


def _item(request: HttpRequest, slug: str, talk_pk: int | None, pk: int | None):
    """The talk or open space a URL names (`talk_pk`, or an open space's `pk`), as its
    page finds it."""
    if talk_pk is not None:
        return get_object_or_404(
            Talk.objects.select_related("event", "room", "note"), event__slug=slug, pk=talk_pk
        )
    return open_space_or_404(slug=slug, pk=pk, request=request)


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _back(request: HttpRequest, default: str) -> str:
    """Where a form came from (its `next`), if it is a page of this site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Stars ------------------------------------------------------------------------------


@require_POST
@guest_cookie
def star(
    request: HttpRequest, slug: str, talk_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    item = _item(request, slug, talk_pk, pk)
    event = item.event
    access = request_access(request, event, ensure_key=True)
    refusal = write_refusal(request, access, "star", limit="star")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    form = StarForm(request.POST)
    if not form.is_valid():
        return refuse(request, Refusal("Say yes or no.", status=400), event=event)
    try:
        state = services.star_set(
            actor=access.actor, item=item, starred=form.cleaned_data["starred"]
        )
    except NotAllowed as error:
        return refuse(request, error.refusal, event=event)
    except BoardError as error:  # a withdrawn or hidden topic
        return refuse(request, Refusal(error.message, status=409), event=event)
    if request.htmx:
        shown = schedule_item(item)
        shown.starred = state.starred
        return render(request, STAR, {"s": shown, "event": event})
    messages.success(
        request,
        f"Starred “{item.title}”: it is on your agenda."
        if state.starred
        else f"“{item.title}” is off your agenda.",
    )
    return redirect(_back(request, item.get_absolute_url()))


# --- My agenda and its calendar feed ----------------------------------------------------


@require_GET
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    access = request_access(request, event)
    actor = access.actor
    feed = selectors.agenda_feed_of(actor=actor)
    feed_url = ""
    if feed is not None:
        path = reverse("sessions:agenda_ics", args=[event.slug, feed.token])
        feed_url = request.build_absolute_uri(path)
    context = {
        "event": event,
        "agenda": selectors.agenda(event=event, actor=actor),
        "feed_url": feed_url,
        "archived": event.archived,
    }
    return render(request, "sessions/agenda/agenda.html", context)


@require_POST
@guest_cookie
def agenda_feed_reset(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    access = request_access(request, event, ensure_key=True)
    refusal = write_refusal(request, access, "keep_agenda", limit="agenda_feed")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    had_one = selectors.agenda_feed_of(actor=access.actor) is not None
    services.agenda_feed_reset(actor=access.actor, event=event)
    messages.success(
        request,
        "Your calendar has a new address: the old one no longer works. "
        "Subscribe to the new one in your calendar app."
        if had_one
        else "Your calendar address is ready: subscribe to it in your calendar app.",
    )
    return redirect(f"{reverse('sessions:agenda', args=[slug])}#calendar")


@require_GET
def agenda_ics(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A person's agenda as iCalendar, for calendar apps: the token is the only key."""
    event = get_object_or_404(Event, slug=slug)
    actor = selectors.feed_actor(token=token)
    if actor is None:
        raise Http404("No such calendar.")
    mine = selectors.agenda(event=event, actor=actor)
    response = HttpResponse(
        items_ical(
            event=event,
            items=[entry.item for entry in mine.scheduled],
            name=f"{event.name} · my agenda",
            base_url=_base_url(request),
            refresh=FEED_REFRESH,
        ),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="{event.slug}-agenda.ics"'
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


# --- Outcomes -------------------------------------------------------------------------


@require_GET
@requires("read_notes")
def outcomes(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    sessions = event_outcomes(event=event)
    context = {
        "event": event,
        "sessions": sessions,
        "actions": sum(len(s.actions) for s in sessions),
        "open_actions": sum(s.open_actions for s in sessions),
        "decisions": sum(len(s.decisions) for s in sessions),
    }
    return render(request, "sessions/agenda/outcomes.html", context)


@require_GET
@requires("read_notes")
def outcomes_md(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    text = outcomes_markdown(
        event=event, sessions=event_outcomes(event=event), base_url=_base_url(request)
    )
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-outcomes.md"'
    return response


# --- Following a session ------------------------------------------------------------------


@require_GET
def presence(
    request: HttpRequest, slug: str, talk_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    """The live strip of a session's page: who is in its notes, how many are writing."""
    item = _item(request, slug, talk_pk, pk)
    refusal = request_access(request, item.event).read_notes()
    if refusal is not None:
        return refuse(request, refusal, event=item.event)
    shown = schedule_item(item)
    context = {
        "event": item.event,
        "item": item,
        "presence": presence_of(note_id=item.note_id),
        "presence_url": request.path,
        "running": is_running(shown, now=timezone.now()),
    }
    response = render(request, FOLLOW_STRIP, context)
    add_never_cache_headers(response)
    return response


# --- Checklists -------------------------------------------------------------------------


@require_POST
@guest_cookie
def tick(
    request: HttpRequest, slug: str, talk_pk: int | None = None, pk: int | None = None
) -> HttpResponse:
    """Tick or untick a checklist item in the reading view (for those who may write)."""
    item = _item(request, slug, talk_pk, pk)
    event = item.event
    access = request_access(request, event, ensure_key=True)
    refusal = write_refusal(request, access, "write_notes", item.note, limit="tick")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    form = TickForm(request.POST)
    if not form.is_valid():
        return refuse(request, Refusal("Which item, and ticked or not?", status=400), event=event)
    data = form.cleaned_data
    try:
        services.checklist_tick(
            actor=access.actor, item=item, line=data["line"], key=data["key"], done=data["done"]
        )
    except NotAllowed as error:
        return refuse(request, error.refusal, event=event)
    except TaskMoved:
        refusal = Refusal(
            "This item changed since you opened the notes: reload the page to tick it.",
            status=409,
        )
        return refuse(request, refusal, event=event)
    item.note.refresh_from_db(fields=["markdown"])
    if request.htmx:
        context = notes_body_context(request, item=item, can_write=True)
        return render(request, NOTES_BODY, context)
    return redirect(item.get_absolute_url() + "#notes")
