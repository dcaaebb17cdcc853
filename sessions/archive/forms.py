"""The search form: the words, and filters by event, year and kind."""

from html import escape

from django import forms
from django.utils.safestring import mark_safe

from ..models import Talk
from .models import OPEN_SPACE_KIND
from .query import ParsedQuery, parse_query
from .selectors import EVENT_FILTERS, ListedEvent

KIND_CHOICES = [("", "Any kind"), *Talk.Kind.choices, (OPEN_SPACE_KIND, "Open space")]


class SearchForm(forms.Form):
    # No max_length and no validation of the words: any text is a query (the parser
    # reads what it can and ignores the rest), so typing is never an error.
    q = forms.CharField(required=False, strip=True, label="Search the notes")
    event = forms.ChoiceField(required=False, label="Event")
    series = forms.ChoiceField(required=False, label="Series")
    year = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Year")
    kind = forms.ChoiceField(required=False, choices=KIND_CHOICES, label="Kind")

    def __init__(self, *args, events: list[ListedEvent], **kwargs) -> None:
        """`events`: the events the reader may search; the filters offer only those."""
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", "All events")] + [
            (e.slug, f"{e.name} ({e.start_date.year})") for e in events
        ]
        series = {e.series_slug: e.series_name for e in events if e.series_slug is not None}
        by_name = sorted(series.items(), key=lambda pair: pair[1].lower())
        self.fields["series"].choices = [("", "Any series"), *by_name]
        years = sorted({e.start_date.year for e in events}, reverse=True)
        self.fields["year"].choices = [("", "Any year")] + [(y, str(y)) for y in years]

    def filter_menus(self) -> list[dict]:
        """The filters as menus for the template: name, id, label and their options as
        HTML. Django's select widget renders each option through the template engine, and
        so does a loop in the template, and `format_html_join`'s lazy escaping is not much
        faster: for a menu of hundreds of events each took longer than the search's own
        query (bench/RESULTS.md). So the options are joined here, every value escaped."""
        menus = []
        for name in (*EVENT_FILTERS, "kind"):
            field = self[name]
            current = str(field.value() or "")
            options = "".join(
                f'<option value="{escape(str(value))}"{" selected" if str(value) == current else ""}>'
                f"{escape(str(label))}</option>"
                for value, label in field.field.choices
            )
            menus.append(
                {
                    "name": name,
                    "id": field.auto_id,
                    "label": field.label,
                    "options": mark_safe(options),  # noqa: S308 - escaped above
                }
            )
        return menus

    @property
    def parsed(self) -> ParsedQuery:
        return parse_query(self.cleaned_data.get("q", ""))

    @property
    def filters(self) -> dict[str, object]:
        """The values of the filters that narrow the events searched."""
        return {name: self.cleaned_data.get(name) for name in EVENT_FILTERS}
