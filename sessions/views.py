"""Pages of events, talks and open spaces: thin adapters over selectors."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from notes.selectors import note_authorship, note_contributor_names
from notes.tasks import task_key, text_tasks

from . import moderation, selectors
from .access import EventAccess, refuse, request_access, requires
from .agenda.follow import is_running, presence_of
from .agenda.selectors import mark_starred, starred_keys
from .archive.browse_selectors import talk_speakers
from .forms import NoteLockForm
from .models import Event, OpenSpace, Talk
from .schedule_formats import schedule_frab_json, schedule_ical
from .selectors import schedule_item


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@require_GET
@vary_on_headers("HX-Request")
def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = get_object_or_404(Event, slug=slug)
    scheduled, unscheduled = selectors.event_items(event=event)
    access = request_access(request, event)
    mark_starred([*scheduled, *unscheduled], keys=starred_keys(event=event, actor=access.actor))
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
        "can_star": not event.archived,
    }
    if request.htmx and request.GET.get("part") == "now-next":
        # The strip refreshes itself every minute while the event runs.
        return render(request, "sessions/event_detail.html#now_next", context)
    context |= {
        "days": selectors.event_schedule(event=event, scheduled=scheduled),
        "unscheduled": unscheduled,
        "can_import": access.can("import_notes"),
        "can_manage": access.can("manage_event"),
    }
    return render(request, "sessions/event_detail.html", context)


def talk_or_404(*, slug: str, talk_slug: str) -> Talk:
    """A talk of the event `slug`, with what its page and its notes export show."""
    return get_object_or_404(
        Talk.objects.select_related("event", "room", "note"), event__slug=slug, slug=talk_slug
    )


def open_space_or_404(*, slug: str, pk: int, request: HttpRequest) -> OpenSpace:
    """An open space of the event `slug`, with what its page and its notes export show.
    A topic the organizers hid is not found, except by them."""
    open_space = get_object_or_404(
        OpenSpace.objects.select_related("event", "room", "slot", "note"), event__slug=slug, pk=pk
    )
    if open_space.hidden and not request_access(request, open_space.event).can("moderate"):
        raise Http404("No such open space.")
    return open_space


def note_urls(item: Talk | OpenSpace) -> dict[str, str]:
    """The history and authorship addresses of an item's notes."""
    if isinstance(item, Talk):
        kind, args = "talk", [item.event.slug, item.slug]
    else:
        kind, args = "open_space", [item.event.slug, item.pk]
    history = reverse(f"sessions:{kind}_history", args=args)
    return {
        "history": history,
        "diff": reverse(f"sessions:{kind}_history_diff", args=args),
        "authors_json": reverse(f"sessions:{kind}_authors_json", args=args),
        "page": item.get_absolute_url(),
    }


def item_urls(item: Talk | OpenSpace) -> dict[str, str]:
    """The URLs of an item's page's own actions: star, tick (a checklist item), presence
    (its live strip) and notes_md (its notes as a download)."""
    prefix = "open_space" if isinstance(item, OpenSpace) else "talk"
    urls = {
        name: reverse(f"sessions:{prefix}_{name}", args=[item.event.slug, item.pk])
        for name in ("star", "tick", "presence")
    }
    # The download is addressed like the page: a talk by its slug.
    key = item.pk if isinstance(item, OpenSpace) else item.slug
    urls["notes_md"] = reverse(f"sessions:{prefix}_notes_md", args=[item.event.slug, key])
    return urls


def notes_body_context(request: HttpRequest, *, item: Talk | OpenSpace, can_write: bool) -> dict:
    """What the reading view of an item's notes shows (`_notes_section.html#notes-body`):
    for those who may write, the checklist items they may tick, each as "line:key"."""
    urls = item_urls(item)
    context = {"note": item.note, "notes_md_url": urls["notes_md"], "tick_url": ""}
    if can_write:
        tasks = text_tasks(item.note.markdown)
        context["tick_url"] = urls["tick"]
        context["task_keys"] = " ".join(f"{t.line}:{task_key(t.source)}" for t in tasks)
    return context


def _item_page(
    request: HttpRequest, *, event: Event, item: Talk | OpenSpace, template: str, **extra
):
    access = request_access(request, event)
    refusal = access.read_notes()
    if refusal is not None:
        return refuse(request, refusal, event=event)
    write_refusal = access.write_notes(item.note)
    user = request.user
    # `?authors`: the reading view shows who wrote what.
    authors = "authors" in request.GET and "write" not in request.GET
    shown = schedule_item(item)
    shown.starred = shown.star_key in starred_keys(event=event, actor=access.actor)
    running = is_running(shown, now=timezone.now())
    context = {
        **notes_body_context(request, item=item, can_write=write_refusal is None),
        "event": event,
        "item": item,
        "shown": shown,
        "can_star": not event.archived,
        "running": running,
        "presence": presence_of(note_id=item.note_id) if running else None,
        "presence_url": item_urls(item)["presence"],
        "contributors": note_contributor_names(note=item.note),
        "can_write": write_refusal is None,
        "write_refusal": write_refusal,
        # One click from reading to writing: `?write` swaps the rendered notes
        # for the live editor (read-only for those who may not write).
        "writing": "write" in request.GET,
        "user_name": (user.get_full_name() or user.get_username()) if user.is_authenticated else "",
        "is_guest": not user.is_authenticated,
        "can_lock": access.can("lock_notes"),
        "note_urls": note_urls(item),
        "authorship": note_authorship(note=item.note) if authors else None,
        **extra,
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
        speakers=talk_speakers(talk=talk),
        stars=talk.stars.count(),
    )


@require_GET
def open_space_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    open_space = open_space_or_404(slug=slug, pk=pk, request=request)
    return _item_page(
        request,
        event=open_space.event,
        item=open_space,
        template="sessions/open_space_detail.html",
        stars=open_space.interests.count(),
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


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page (settings' handler400), saying what went wrong where we know it.

    An upload Django cannot read fails before any view runs (the CSRF check reads the
    form first), e.g. a file name of about a thousand characters.
    """
    if isinstance(exception, MultiPartParserError):
        message = (
            "The upload could not be read. A file name may be too long (keep it under 200 "
            "characters), or the upload was cut off: rename the file and try again."
        )
    else:
        message = "The request could not be understood. Go back and try again."
    return render(request, "400.html", {"message": message}, status=400)
