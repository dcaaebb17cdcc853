"""Notes in and out of an event: Markdown/Org/zip downloads and the organizers' import page."""

import base64
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from notes.outline import OutlineError

from ..access import EventAccess, refuse, requires, write_refusal
from ..models import Event
from ..views import open_space_or_404, talk_or_404
from . import exporting
from .forms import ImportConfirmForm, NotesUploadForm
from .importing import event_import

_SESSION_KEY = "notes_import"
MARKDOWN = "text/markdown; charset=utf-8"


def _download(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _event_download(event: Event, export, *, extension: str, content_type: str) -> HttpResponse:
    """All of an event's notes as one file, `export(event=...)` writing its content."""
    return _download(
        export(event=event), filename=f"{event.slug}-notes.{extension}", content_type=content_type
    )


@require_GET
@requires("read_notes")
def event_notes_md(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _event_download(
        event, exporting.event_export_markdown, extension="md", content_type=MARKDOWN
    )


@require_GET
@requires("read_notes")
def event_notes_org(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _event_download(
        event, exporting.event_export_org, extension="org", content_type="text/org; charset=utf-8"
    )


@require_GET
@requires("read_notes")
def event_notes_zip(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    return _event_download(
        event, exporting.event_export_zip, extension="zip", content_type="application/zip"
    )


@require_GET
@requires("read_notes")
def talk_notes_md(
    request: HttpRequest, event: Event, access: EventAccess, talk_slug: str
) -> HttpResponse:
    talk = talk_or_404(slug=event.slug, talk_slug=talk_slug)
    return _download(
        exporting.item_export_markdown(item=talk),
        filename=f"{talk.slug}.md",
        content_type=MARKDOWN,
    )


@require_GET
@requires("read_notes")
def open_space_notes_md(
    request: HttpRequest, event: Event, access: EventAccess, pk: int
) -> HttpResponse:
    open_space = open_space_or_404(slug=event.slug, pk=pk, request=request)
    return _download(
        exporting.item_export_markdown(item=open_space),
        filename=f"open-space-{open_space.pk}.md",
        content_type=MARKDOWN,
    )


@require_http_methods(["GET", "POST"])
@requires("import_notes")
def event_import_notes(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    """Upload → preview (a dry run) → confirm (the same files, kept in the session)."""
    context = {"event": event, "form": NotesUploadForm(), "error": None, "result": None}
    if request.method == "GET":
        return render(request, "sessions/event_import.html", context)

    if "token" in request.POST:
        confirm = ImportConfirmForm(request.POST)
        pending = request.session.get(_SESSION_KEY, {})
        if not confirm.is_valid() or pending.get("token") != confirm.cleaned_data["token"]:
            messages.error(request, "That preview has expired: upload the files again.")
            return redirect("sessions:event_import", slug=event.slug)
        if pending.get("event") != event.pk:
            raise PermissionDenied("That preview belongs to another event.")
        files = [(name, base64.b64decode(data)) for name, data in pending["files"]]
        try:
            result = event_import(event=event, files=files)
        except OutlineError as error:  # the files were read once already; be safe anyway
            context["error"] = error
            return render(request, "sessions/event_import.html", context, status=400)
        del request.session[_SESSION_KEY]
        messages.success(request, result.summary())
        return redirect(event.get_absolute_url())

    refusal = write_refusal(request, access, "import_notes", limit="import")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    form = NotesUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        status = 413 if form.has_error("files", code="too_large") else 400
        return render(request, "sessions/event_import.html", context, status=status)
    files = form.cleaned_data["files"]
    try:
        result = event_import(event=event, files=files, dry_run=True)
    except OutlineError as error:
        context["error"] = error
        return render(request, "sessions/event_import.html", context, status=400)
    token = secrets.token_urlsafe(24)
    request.session[_SESSION_KEY] = {
        "token": token,
        "event": event.pk,
        "files": [(name, base64.b64encode(data).decode()) for name, data in files],
    }
    context["result"] = result
    context["confirm"] = ImportConfirmForm(initial={"token": token})
    context["file_names"] = [name for name, _ in files]
    return render(request, "sessions/event_import.html", context)
