"""The search form: the words, and filters by event, year and kind."""

from django import forms

from ..models import Event, Talk
from .models import OPEN_SPACE_KIND
from .query import ParsedQuery, parse_query
from .selectors import EVENT_FILTERS

KIND_CHOICES = [("", "Any kind"), *Talk.Kind.choices, (OPEN_SPACE_KIND, "Open space")]


class SearchForm(forms.Form):
    # No max_length and no validation of the words: any text is a query (the parser
    # reads what it can and ignores the rest), so typing is never an error.
    q = forms.CharField(required=False, strip=True, label="Search the notes")
    event = forms.ChoiceField(required=False, label="Event")
    series = forms.ChoiceField(required=False, label="Series")
    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Year")
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES, label="Kind")

    def __init__(self, *args, events: list[Event], **kwargs) -> None:
        """`events`: the events the reader may search; the filters offer only those."""
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", "All events")] + [
            (e.slug, f"{e.name} ({e.start_date.year})") for e in events
        ]
        series = {e.series.slug: e.series.name for e in events if e.series is not None}
        by_name = sorted(series.items(), key=lambda pair: pair[1].lower())
        self.fields["series"].choices = [("", "Any series"), *by_name]
        years = sorted({e.start_date.year for e in events}, reverse=True)
        self.fields["year"].choices = [("", "Any year")] + [(y, str(y)) for y in years]

    def filter_menus(self) -> list[dict]:
        """The filters as menus for the template: name, id, label and (value, label,
        selected) options. Django's select widget renders each option through the
        template engine, which is slow for hundreds of events."""
        menus = []
        for name in (*EVENT_FILTERS, "kind"):
            field = self[name]
            current = str(field.value() or "")
            options = [
                (value, label, str(value) == current) for value, label in field.field.choices
            ]
            menus.append(
                {"name": name, "id": field.auto_id, "label": field.label, "options": options}
            )
        return menus

    @property
    def parsed(self) -> ParsedQuery:
        return parse_query(self.cleaned_data.get("q", ""))

    @property
    def filters(self) -> dict[str, object]:
        """The values of the filters that narrow the events searched."""
        return {name: self.cleaned_data.get(name) for name in EVENT_FILTERS}
