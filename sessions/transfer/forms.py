"""Forms of the notes import page."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".org,.md,.markdown,.txt"}))
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
        label="Org-mode (.org) or Markdown (.md) files",
        help_text="Each top-level heading becomes a talk, an open space or a group of them.",
    )

    def clean_files(self) -> list[tuple[str, bytes]]:
        """The files' names and contents, if they add up to at most IMPORT_MAX_BYTES
        (checked before anything is read or stored)."""
        uploads = self.cleaned_data["files"]
        limit = settings.IMPORT_MAX_BYTES
        total = sum(upload.size for upload in uploads)
        if total > limit:
            raise forms.ValidationError(
                f"These files add up to {filesizeformat(total)}; at most "
                f"{filesizeformat(limit)} can be imported at once. Nothing was imported.",
                code="too_large",
            )
        return [(upload.name, upload.read()) for upload in uploads]


class ImportConfirmForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
