"""Forms of events and their teams (talk, room and slot forms: board/forms.py).

Forms parse and validate input; the services decide and write.
"""

import zoneinfo

from django import forms

from .models import Event, EventRole
from .services import EVENT_FIELDS

# The event settings form edits exactly what the services may change.
EVENT_FORM_FIELDS = list(EVENT_FIELDS)


class EventForm(forms.Form):
    """An event's settings (the model's fields and choices); `create` leaves out what only
    matters later (archiving). Give `initial=event_initial(event)` to edit one."""

    def __init__(self, *args, create: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        names = [name for name in EVENT_FORM_FIELDS if not (create and name == "archived")]
        self.fields.update(
            forms.fields_for_model(
                Event,
                fields=names,
                labels={"slug": "Address", "start_date": "First day", "end_date": "Last day"},
                help_texts={
                    "slug": "Its address on this site, as in /events/ops-days-2026/: letters, "
                    "digits and dashes.",
                    "archived": "Archived events' notes are read-only; nothing can be imported.",
                },
                widgets={
                    "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    "description": forms.Textarea(attrs={"rows": 4}),
                    "visibility": forms.RadioSelect,
                    "notes_access": forms.RadioSelect,
                    "open_space_placement": forms.RadioSelect,
                },
            )
        )
        self.fields["timezone"] = forms.ChoiceField(
            label="Time zone",
            help_text="Times of talks and slots are entered and shown in it.",
            choices=[(name, name) for name in sorted(zoneinfo.available_timezones())],
            initial="UTC",
        )
        self.order_fields(names)


def event_initial(event: Event) -> dict:
    return forms.model_to_dict(event, fields=EVENT_FORM_FIELDS)


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        choices=EventRole.Role.choices,
        initial=EventRole.Role.NOTE_TAKER,
        widget=forms.RadioSelect,
        help_text="Note-takers write notes (also where only the team may); organizers "
        "also change the event, its programme and its team.",
    )


class NoteLockForm(forms.Form):
    """The organizers' lock button of a note (two optional booleans: always valid)."""

    locked = forms.BooleanField(required=False)
    # Back to the writing view when the form was sent from it.
    write = forms.BooleanField(required=False)
