"""Forms of the notes import page: the upload, and the preview's per-item changes."""

import re
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from ..models import Talk
from .headings import OPEN_SPACE
from .sources import (
    ArchiveError,
    Limits,
    Repository,
    repository_from_files,
    repository_from_zip,
)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ZIP_BYTES = 20 * 1024 * 1024
# An upload waits in the session between the preview and the confirmation:
# the notes it holds stay small (the 20,000-bullet test file is 1.5 MB).
UPLOAD_LIMITS = Limits(files=1_000, total_bytes=10 * 1024 * 1024)

KIND_CHOICES = [*Talk.Kind.choices, (OPEN_SPACE, "Open space")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".org,.md,.markdown,.txt,.zip"})
        )
        # An empty file is reported by the importer, with its name and line.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data:
                return [single(None, initial)]
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class NotesUploadForm(forms.Form):
    files = MultipleFileField(
        label="Notes files, or a .zip of a notes repository",
        help_text=(
            "Org-mode (.org) or Markdown (.md) files — one per talk, or one with a heading "
            "per talk — or a .zip of a folder of them (a GitHub “Download ZIP” works)."
        ),
    )
    kind = forms.ChoiceField(
        label="Kind of every item",
        choices=[
            ("", "As the notes say (talk unless a heading or folder says otherwise)"),
            *KIND_CHOICES,
        ],
        required=False,
        help_text="For example “Open space” for a repository with one folder per open space.",
    )
    skip_bad = forms.BooleanField(
        label="Import the files that can be read, and list the others",
        required=False,
    )

    def clean_files(self) -> Repository:
        uploads = self.cleaned_data["files"]
        # The whole upload is capped before anything is read or stored.
        limit = settings.IMPORT_MAX_BYTES
        total = sum(upload.size for upload in uploads)
        if total > limit:
            raise forms.ValidationError(
                f"These files add up to {filesizeformat(total)}; at most "
                f"{filesizeformat(limit)} can be imported at once. Nothing was imported.",
                code="too_large",
            )
        zips = [u for u in uploads if PurePosixPath(u.name).suffix.lower() == ".zip"]
        if zips and len(uploads) > 1:
            raise forms.ValidationError("Upload a .zip on its own, or notes files without one.")
        if zips:
            upload = zips[0]
            if upload.size > MAX_ZIP_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is larger than {MAX_ZIP_BYTES // (1024 * 1024)} MB."
                )
            try:
                return repository_from_zip(upload.read(), name=upload.name, limits=UPLOAD_LIMITS)
            except ArchiveError as error:
                raise forms.ValidationError(str(error)) from None
        files = []
        for upload in uploads:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
                )
            files.append((upload.name, upload.read()))
        return repository_from_files(files)


class ImportConfirmForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)


def split_people(text: str) -> list[str]:
    """ "Ada Lovelace (Engines; Ltd), Grace Hopper" → the two people."""
    return [p.strip() for p in re.split(r",(?![^()]*\))", text) if p.strip()]


class ImportItemForm(forms.Form):
    """One planned item's kind and people, as the organizer may change them."""

    kind = forms.ChoiceField(label="Kind", choices=KIND_CHOICES)
    people = forms.CharField(
        label="Speakers (host of an open space)",
        max_length=300,
        required=False,
        help_text="Names separated by commas.",
    )

    def clean_people(self) -> list[str]:
        people = split_people(self.cleaned_data["people"])
        too_long = [p for p in people if len(p) > 200]
        if too_long:
            raise forms.ValidationError(f"“{too_long[0][:40]}…” is longer than 200 characters.")
        return people

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == OPEN_SPACE and len(cleaned.get("people") or []) > 1:
            self.add_error("people", "An open space has one host: give one name.")
        return cleaned


ImportItemFormSet = forms.formset_factory(ImportItemForm, extra=0, max_num=5000)
