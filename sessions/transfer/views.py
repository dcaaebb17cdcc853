"""Notes in and out of an event: Markdown/Org/zip downloads and the organizers' import page."""

import base64
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..access import EventAccess, refuse, requires, write_refusal
from ..models import Event
from ..views import open_space_or_404, talk_or_404
from . import exporting
from .forms import ImportConfirmForm, ImportItemFormSet, NotesUploadForm
from .importing import ImportResult, ItemChange, UnreadableFiles, event_import
from .sources import FileProblem, Repository, SkippedFile, SourceFile

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


def _kept(repository: Repository) -> dict:
    """The uploaded repository as session data, for the confirming request."""
    return {
        "files": [
            [f.path, base64.b64encode(f.data).decode(), list(f.folders), f.at_root]
            for f in repository.files
        ],
        "skipped": [[s.path, s.reason] for s in repository.skipped],
        "problems": [[p.path, p.line, p.message] for p in repository.problems],
        "ignored": repository.ignored,
    }


def _restored(data: dict) -> Repository:
    return Repository(
        files=[
            SourceFile(path=path, data=base64.b64decode(b64), folders=tuple(folders), at_root=root)
            for path, b64, folders, root in data["files"]
        ],
        skipped=[SkippedFile(path, reason) for path, reason in data["skipped"]],
        problems=[FileProblem(path, line, message) for path, line, message in data["problems"]],
        ignored=data["ignored"],
    )


def _item_forms(result: ImportResult) -> ImportItemFormSet:
    return ImportItemFormSet(
        initial=[{"kind": item.kind, "people": ", ".join(item.people)} for item in result.items]
    )


def _preview(
    request, event, *, pending, changes=None, item_forms=None, status=200
) -> tuple[HttpResponse, ImportResult]:
    """Render the preview of the pending upload (a dry run), with the organizer's changes."""
    result = event_import(
        event=event,
        repository=_restored(pending["repository"]),
        kind=pending["kind"] or None,
        skip_bad=pending["skip_bad"],
        changes=changes,
        dry_run=True,
    )
    if item_forms is None:
        item_forms = _item_forms(result)
    context = {
        "event": event,
        "result": result,
        "rows": list(zip(result.items, item_forms, strict=True)),
        "item_forms": item_forms,
        "confirm": ImportConfirmForm(initial={"token": pending["token"]}),
        "file_count": len(pending["repository"]["files"]),
    }
    return render(request, "sessions/event_import.html", context, status=status), result


def _changes(item_forms: ImportItemFormSet) -> dict[int, ItemChange]:
    return {
        index: ItemChange(kind=form.cleaned_data["kind"], people=form.cleaned_data["people"])
        for index, form in enumerate(item_forms)
    }


@require_http_methods(["GET", "POST"])
@requires("import_notes")
def event_import_notes(request: HttpRequest, event: Event, access: EventAccess) -> HttpResponse:
    """Upload → preview (a dry run, where kinds and speakers can be changed) → confirm
    (the same files, kept in the session, with the same changes)."""
    context = {"event": event, "form": NotesUploadForm(), "problems": None}
    if request.method == "GET":
        return render(request, "sessions/event_import.html", context)
    if "token" in request.POST:
        return _preview_or_confirm(request, event)

    refusal = write_refusal(request, access, "import_notes", limit="import")
    if refusal is not None:
        return refuse(request, refusal, event=event)
    form = NotesUploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        status = 413 if form.has_error("files", code="too_large") else 400
        return render(request, "sessions/event_import.html", context, status=status)
    repository = form.cleaned_data["files"]
    pending = {
        "token": secrets.token_urlsafe(24),
        "event": event.pk,
        "repository": _kept(repository),
        "kind": form.cleaned_data["kind"],
        "skip_bad": form.cleaned_data["skip_bad"],
    }
    try:
        response, result = _preview(request, event, pending=pending)
    except UnreadableFiles as error:
        context["problems"] = error.problems
        return render(request, "sessions/event_import.html", context, status=400)
    pending["items"] = len(result.items)
    request.session[_SESSION_KEY] = pending
    return response


def _preview_or_confirm(request: HttpRequest, event: Event) -> HttpResponse:
    confirm = ImportConfirmForm(request.POST)
    pending = request.session.get(_SESSION_KEY, {})
    if not confirm.is_valid() or pending.get("token") != confirm.cleaned_data["token"]:
        messages.error(request, "That preview has expired: upload the files again.")
        return redirect("sessions:event_import", slug=event.slug)
    if pending.get("event") != event.pk:
        raise PermissionDenied("That preview belongs to another event.")
    item_forms = ImportItemFormSet(request.POST)
    if item_forms.non_form_errors() or item_forms.total_form_count() != pending.get("items"):
        # Not the preview this session showed (or a tampered form): start again.
        messages.error(request, "That preview has expired: upload the files again.")
        return redirect("sessions:event_import", slug=event.slug)
    if not item_forms.is_valid():
        return _preview(request, event, pending=pending, item_forms=item_forms, status=400)[0]
    changes = _changes(item_forms)
    if request.POST.get("action") != "confirm":
        return _preview(request, event, pending=pending, changes=changes, item_forms=item_forms)[0]
    result = event_import(
        event=event,
        repository=_restored(pending["repository"]),
        kind=pending["kind"] or None,
        skip_bad=pending["skip_bad"],
        changes=changes,
    )
    del request.session[_SESSION_KEY]
    messages.success(request, result.summary())
    return redirect(event.get_absolute_url())
