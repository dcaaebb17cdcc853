"""Forms of the notes import page."""

from django import forms

MAX_FILE_BYTES = 10 * 1024 * 1024


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
        files = []
        for upload in self.cleaned_data["files"]:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
                )
            files.append((upload.name, upload.read()))
        return files


class ImportConfirmForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
