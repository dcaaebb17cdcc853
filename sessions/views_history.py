"""The history of a talk's or an open space's notes: its revisions, a timeslider, the
word-level difference between any two of them (or one and now), restoring one, and
who wrote what (the editor's JSON; the reading view is the item page with `?authors`).

Thin adapters over `notes.selectors` and `notes.services`; every rule is in
`access.py` (view_history, view_authorship, restore_notes). The same views serve talks
(`talk_slug` in the URL) and open spaces (`pk`). Every control is a link or a form that
works without JavaScript; with htmx, the timeslider and the comparison swap only their
own region.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from notes.models import NoteRevision
from notes.selectors import (
    RevisionEntry,
    note_authors_json,
    note_revisions,
    revision_diff_html,
    revision_text,
)
from notes.services import ReplacedBy, note_restore

from .access import EventAccess, refuse, request_access
from .views import note_urls, open_space_or_404, talk_or_404

HISTORY_PAGE = "sessions/history/history.html"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NOW = "now"


def _item(request: HttpRequest, slug: str, talk_slug: str | None, pk: int | None):
    if talk_slug is not None:
        return talk_or_404(slug=slug, talk_slug=talk_slug)
    return open_space_or_404(slug=slug, pk=pk, request=request)


def _guarded(capability: str, request: HttpRequest, slug: str, talk_slug, pk):
    """(item, access, None) or (None, None, the refusal's answer)."""
    item = _item(request, slug, talk_slug, pk)
    access = request_access(request, item.event)
    refusal = access.check(capability, item.note)
    if refusal is None:
        return item, access, None
    if refusal.sign_in and request.method == "GET":
        return None, None, redirect_to_login(request.get_full_path())
    return None, None, refuse(request, refusal, event=item.event)


@dataclass(frozen=True, slots=True)
class Row:
    """A revision as the history pages show it, in plain strings: a list of 200 then
    renders in a few milliseconds (the template engine would localize every number and
    date it prints, which costs more than the rest of the page)."""

    pk: str
    number: str
    iso: str
    when: str  # "Wed 10 Jun 2026, 11:30", in the event's time zone
    short: str  # "10 Jun, 11:30": the comparison's choices
    what: str  # "Restored by Olga (revision 3)"
    contributors: str
    added: str
    removed: str
    previous: str  # the revision before ("" for the first)


def _row(entry: RevisionEntry, tz: ZoneInfo) -> Row:
    local = entry.created_at.astimezone(tz)
    month, clock = MONTHS[local.month - 1], f"{local.hour:02}:{local.minute:02}"
    what = entry.reason_label
    if entry.created_by_name:
        what += f" by {entry.created_by_name}"
    if entry.restored_from_number:
        what += f" (revision {entry.restored_from_number})"
    return Row(
        pk=str(entry.pk),
        number=str(entry.number),
        iso=local.isoformat(),
        # Not strftime (its locale lookups cost 7 µs a call): "Wed 10 Jun 2026, 11:30".
        when=f"{DAYS[local.weekday()]} {local.day} {month} {local.year}, {clock}",
        short=f"{local.day} {month}, {clock}",
        what=what,
        contributors=", ".join(entry.contributors),
        added=str(entry.chars_added),
        removed=str(entry.chars_removed),
        previous=str(entry.previous_pk or ""),
    )


def _rows(item, entries: list[RevisionEntry]) -> list[Row]:
    tz = item.event.tz
    return [_row(entry, tz) for entry in entries]


def _context(item, access: EventAccess, **extra) -> dict:
    return {
        "event": item.event,
        "item": item,
        "note": item.note,
        "urls": note_urls(item),
        "can_restore": access.can("restore_notes", item.note),
        **extra,
    }


def _position(value: str | None, count: int) -> int:
    """The timeslider's position (1 = the oldest revision), newest by default."""
    try:
        position = int(value) if value else count
    except ValueError:
        position = count
    return min(max(position, 1), count) if count else 0


@require_GET
@vary_on_headers("HX-Request")
def history(request: HttpRequest, slug: str, talk_slug=None, pk=None) -> HttpResponse:
    item, access, answer = _guarded("view_history", request, slug, talk_slug, pk)
    if answer is not None:
        return answer
    rows = _rows(item, note_revisions(note=item.note))
    position = _position(request.GET.get("at"), len(rows))
    shown = rows[len(rows) - position] if rows else None
    context = _context(
        item,
        access,
        rows=rows,
        count=str(len(rows)),
        position=str(position),
        shown=shown,
        shown_text=revision_text(note=item.note, revision_id=int(shown.pk)) if shown else "",
        compare_old=rows[1].pk if len(rows) > 1 else (rows[0].pk if rows else NOW),
        compare_new=NOW,
    )
    if request.htmx and "at" in request.GET:
        return render(request, f"{HISTORY_PAGE}#timeslider_view", context)
    return render(request, HISTORY_PAGE, context)


@require_GET
def revision(request: HttpRequest, slug: str, revision_id: int, talk_slug=None, pk=None):
    item, access, answer = _guarded("view_history", request, slug, talk_slug, pk)
    if answer is not None:
        return answer
    rows = _rows(item, note_revisions(note=item.note))
    shown = next((row for row in rows if row.pk == str(revision_id)), None)
    if shown is None:
        raise Http404("No such revision of these notes.")
    context = _context(
        item,
        access,
        count=str(len(rows)),
        shown=shown,
        shown_text=revision_text(note=item.note, revision_id=revision_id),
    )
    return render(request, "sessions/history/revision.html", context)


def _side(note, value: str | None) -> int | None:
    """A side of a comparison: a revision of this note (its id), or None for now."""
    if not value or value == NOW:
        return None
    try:
        revision_id = int(value)
    except ValueError:
        raise Http404("No such revision.") from None
    if not NoteRevision.objects.filter(note=note, pk=revision_id).exists():
        raise Http404("No such revision of these notes.")
    return revision_id


@require_GET
@vary_on_headers("HX-Request")
def diff(request: HttpRequest, slug: str, talk_slug=None, pk=None) -> HttpResponse:
    item, access, answer = _guarded("view_history", request, slug, talk_slug, pk)
    if answer is not None:
        return answer
    old_id = _side(item.note, request.GET.get("from"))
    new_id = _side(item.note, request.GET.get("to"))
    rows = _rows(item, note_revisions(note=item.note))
    numbers = {row.pk: row.number for row in rows}
    context = _context(
        item,
        access,
        rows=rows,
        compare_old=str(old_id or NOW),
        compare_new=str(new_id or NOW),
        old_number=numbers.get(str(old_id)),
        new_number=numbers.get(str(new_id)),
        comparing=True,
        diff_html=revision_diff_html(note=item.note, old_id=old_id, new_id=new_id),
    )
    if request.htmx:
        return render(request, f"{HISTORY_PAGE}#diff_view", context)
    return render(request, "sessions/history/diff.html", context)


@require_POST
def restore(request: HttpRequest, slug: str, revision_id: int, talk_slug=None, pk=None):
    item, _, answer = _guarded("restore_notes", request, slug, talk_slug, pk)
    if answer is not None:
        return answer
    chosen = get_object_or_404(NoteRevision, note=item.note, pk=revision_id)
    user = request.user
    by = ReplacedBy(name=user.get_full_name() or user.get_username(), user_id=user.pk)
    when = chosen.created_at
    if note_restore(note=item.note, revision=chosen, by=by):
        messages.success(request, f"Restored the notes as they were on {_local(item, when)}.")
    else:
        messages.info(request, "The notes already read like this revision.")
    return redirect(f"{note_urls(item)['history']}#revisions")


def _local(item, moment) -> str:
    return moment.astimezone(item.event.tz).strftime("%d %b %Y, %H:%M")


@require_GET
def authors_json(request: HttpRequest, slug: str, talk_slug=None, pk=None) -> HttpResponse:
    """Client id → name and colour, for the editor's "who wrote what"."""
    item, _, answer = _guarded("view_authorship", request, slug, talk_slug, pk)
    if answer is not None:
        return answer
    return JsonResponse(note_authors_json(note=item.note))
