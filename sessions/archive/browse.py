"""Pages for readers: the home page, every event, series, speakers, and an event's notes
on one page ("Read it all"). Thin adapters over browse_selectors and speakers."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from ..access import (
    EventAccess,
    Refusal,
    event_creation_refusal,
    merge_speakers_refusal,
    mergeable_speakers,
    refuse,
    requires,
)
from ..models import Event, Series, Speaker
from . import browse_selectors as selectors
from .browse_forms import EventFilterForm, SpeakerMergeForm
from .speakers import speaker_merge


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    events = selectors.home_events(today=timezone.localdate())
    context = {
        "events": events,
        # Signed-out visitors see the link too: it asks them to sign in first.
        "can_create": event_creation_refusal(user=request.user) is None
        or not request.user.is_authenticated,
    }
    return render(request, "sessions/home.html", context)


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET)
    if not form.is_valid():
        raise Http404("There is no such series.")
    series = form.cleaned_data["series"]
    page, years = selectors.events_page(series=series, page=request.GET.get("page"))
    context = {
        "series": series,
        "page": page,
        "years": years,
        "all_series": selectors.all_series(),
    }
    return render(request, "sessions/archive/events.html", context)


@require_GET
def series_detail(request: HttpRequest, series_slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=series_slug)
    context = {"series": series, "events": selectors.series_events(series=series)}
    return render(request, "sessions/archive/series.html", context)


@require_GET
@requires("read_notes")
def event_read(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    context = {
        "event": event,
        "proceedings": selectors.event_proceedings(event=event),
        # Printed pages show where each item lives: absolute addresses.
        "base_url": f"{request.scheme}://{request.get_host()}",
    }
    return render(request, "sessions/archive/read.html", context)


@require_GET
def speaker_detail(request: HttpRequest, speaker_slug: str) -> HttpResponse:
    speaker = get_object_or_404(Speaker, slug=speaker_slug)
    page, events = selectors.speaker_talks_page(speaker=speaker, page=request.GET.get("page"))
    if not page.paginator.count:
        # Someone who only spoke at unlisted events has no public page.
        raise Http404("No talks by this speaker at public events.")
    can_merge = request.user.is_authenticated and (
        merge_speakers_refusal(
            user=request.user, events=selectors.speaker_events(speakers=[speaker])
        )
        is None
    )
    context = {"speaker": speaker, "page": page, "events": events, "can_merge": can_merge}
    return render(request, "sessions/archive/speaker.html", context)


def _refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    if refusal.sign_in:
        return redirect_to_login(request.get_full_path())
    return refuse(request, refusal)


@require_http_methods(["GET", "POST"])
def speaker_merge_page(request: HttpRequest, speaker_slug: str) -> HttpResponse:
    """Merge another speaker into this one; organizers of every event involved only."""
    keep = get_object_or_404(Speaker, slug=speaker_slug)
    refusal = merge_speakers_refusal(
        user=request.user, events=selectors.speaker_events(speakers=[keep])
    )
    if refusal is not None:
        return _refused(request, refusal)
    form = SpeakerMergeForm(request.POST or None, keep=keep)
    if form.is_valid():
        merged = form.cleaned_data["merged"]
        refusal = merge_speakers_refusal(
            user=request.user, events=selectors.speaker_events(speakers=[keep, merged])
        )
        if refusal is not None:
            return _refused(request, refusal)
        speaker_merge(keep=keep, merged=merged)
        messages.success(
            request,
            f"“{merged.name}” is now “{keep.name}”: their talks are listed here, "
            f"and /speakers/{merged.slug}/ leads to this speaker.",
        )
        return redirect("sessions:speaker_merge", speaker_slug=keep.slug)
    candidates = selectors.speaker_merge_candidates(
        speaker=keep, among=mergeable_speakers(Speaker.objects.all(), user=request.user)
    )
    context = {
        "speaker": keep,
        "form": form,
        "candidates": candidates,
        "talks": selectors.speaker_talks(speaker=keep, listed_only=False),
    }
    return render(
        request,
        "sessions/archive/speaker_merge.html",
        context,
        status=400 if form.is_bound else 200,
    )
