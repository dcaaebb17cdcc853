"""Permalinks never break: an address that moved answers with a permanent redirect.

Events, talks and speakers keep their old slugs when they change (`KeepsOldSlugs` in
sessions/models.py; merged speakers in speakers.py). Rather than teach every view to look
them up, one middleware steps in when a GET finds nothing: it resolves the path, puts
today's slugs into the URL's arguments and redirects there — so every page under
/events/<slug>/ (talks, open spaces, downloads, schedule.json/.ics, the board, the
reading page) and /speakers/<slug>/ follows, including pages added later. This is how
django.contrib.redirects works, with the redirects kept by the models themselves.
"""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve, reverse

from ..models import Event, EventOldSlug, Speaker, SpeakerOldSlug, Talk, TalkOldSlug

EVENT_ROUTE = "events/<slug:slug>/"
SPEAKER_ROUTE = "speakers/<slug:speaker_slug>/"


def _event(slug: str) -> Event | None:
    event = Event.objects.filter(slug=slug).first()
    if event is None:
        moved = EventOldSlug.objects.select_related("event").filter(slug=slug).first()
        event = moved.event if moved else None
    return event


def _talk(event: Event, slug: str) -> Talk | None:
    talk = Talk.objects.select_related("event").filter(event=event, slug=slug).first()
    if talk is None:
        moved = (
            TalkOldSlug.objects.select_related("talk__event").filter(event=event, slug=slug).first()
        )
        talk = moved.talk if moved else None
    return talk


def _speaker(slug: str) -> Speaker | None:
    moved = SpeakerOldSlug.objects.select_related("speaker").filter(slug=slug).first()
    return moved.speaker if moved else None


def moved_path(path: str) -> str | None:
    """Where the page at `path` (a path_info, not found) lives now, or None."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    kwargs = dict(match.kwargs)
    if match.route.startswith(EVENT_ROUTE):
        event = _event(kwargs["slug"])
        if event is None:
            return None
        kwargs["slug"] = event.slug
        if "talk_slug" in kwargs:
            talk = _talk(event, kwargs["talk_slug"])
            if talk is None:
                return None
            kwargs["slug"], kwargs["talk_slug"] = talk.event.slug, talk.slug
    elif match.route.startswith(SPEAKER_ROUTE):
        speaker = _speaker(kwargs["speaker_slug"])
        if speaker is None:
            return None
        kwargs["speaker_slug"] = speaker.slug
    else:
        return None
    if kwargs == match.kwargs:
        return None  # nothing moved: the page is missing for another reason
    return reverse(match.view_name, kwargs=kwargs)


class PermalinkMiddleware:
    """Answer a GET or HEAD that found nothing at an old address with a 301 to the new one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        path = moved_path(request.path_info)
        if path is None:
            return response
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)
