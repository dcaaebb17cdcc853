"""Forms of the browse pages."""

from django import forms

from ..models import Series, Speaker


class EventFilterForm(forms.Form):
    """The filter of /events/: `?series=<slug>`; an empty value means every series."""

    series = forms.ModelChoiceField(
        queryset=Series.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All series",
    )


class SpeakerMergeForm(forms.Form):
    """Which speaker to merge into `keep`, by slug (a candidate's button, or typed)."""

    merged = forms.ModelChoiceField(
        queryset=Speaker.objects.all(),
        to_field_name="slug",
        label="Speaker to merge into this one (their address, e.g. rich-hickey-2)",
        error_messages={"invalid_choice": "There is no speaker at that address."},
        widget=forms.TextInput(attrs={"list": "merge-candidates", "autocomplete": "off"}),
    )

    def __init__(self, *args, keep: Speaker, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.keep = keep

    def clean_merged(self) -> Speaker:
        merged = self.cleaned_data["merged"]
        if merged.pk == self.keep.pk:
            raise forms.ValidationError("A speaker cannot be merged into themselves.")
        return merged
