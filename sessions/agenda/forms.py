"""Forms of stars and checklist ticks: they parse; the services decide and write."""

from django import forms


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("1", "yes"), ("0", "no")],
        coerce=lambda value: value == "1",
        required=False,
        empty_value=None,
    )


class StarForm(forms.Form):
    """`starred` is the state the button asks for, so a double submit changes nothing;
    without it, the star flips."""

    starred = _yes_no("starred")


class TickForm(forms.Form):
    """A checklist item as the reader saw it: its line and fingerprint (notes/tasks.py)."""

    line = forms.IntegerField(min_value=1)
    key = forms.RegexField(regex=r"^[0-9a-f]{16}$")
    done = forms.TypedChoiceField(
        choices=[("1", "yes"), ("0", "no")], coerce=lambda value: value == "1"
    )
