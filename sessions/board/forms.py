"""Forms of the open-space marketplace, the board and its set-up.

Forms parse and validate input; the services in `services.py` decide and write.
"""

from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError

from ..models import Event, OpenSpace, Room, Slot, Talk


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form itself)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class ProposalForm(forms.Form):
    title = forms.CharField(max_length=300, label="Topic")
    host = forms.CharField(
        max_length=200,
        required=False,
        label="Host",
        help_text="Who leads the session.",
    )
    description = forms.CharField(
        max_length=4000,
        required=False,
        label="Short description",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional; Markdown.",
    )

    def __init__(self, *args, host_required: bool = True, host_placeholder: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].required = host_required
        if not host_required:
            self.fields["host"].help_text = "Leave empty to host it yourself."
        if host_placeholder:
            self.fields["host"].widget.attrs["placeholder"] = host_placeholder


class InterestForm(forms.Form):
    """`interested` is the state the button asks for, so a double submit changes nothing."""

    interested = forms.TypedChoiceField(
        choices=[("1", "yes"), ("0", "no")],
        coerce=lambda value: value == "1",
        required=False,
        empty_value=None,
    )


UNPLACED = "unplaced"


class PlaceForm(forms.Form):
    """Where to put a topic: a cell "<room>-<slot>", or "unplaced"; optionally a swap."""

    open_space = forms.IntegerField(widget=forms.HiddenInput)
    cell = forms.CharField(label="Where", max_length=50)
    swap_with = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_open_space(self) -> OpenSpace:
        pk = self.cleaned_data["open_space"]
        open_space = (
            OpenSpace.objects.select_related("event", "room", "slot")
            .filter(event=self.event, pk=pk)
            .first()
        )
        if open_space is None:
            raise ValidationError("No such topic on this board.")
        return open_space

    def clean_cell(self) -> tuple[Room, Slot] | None:
        value = self.cleaned_data["cell"].strip()
        if value == UNPLACED:
            return None
        try:
            room_pk, slot_pk = (int(part) for part in value.split("-"))
        except ValueError:
            raise ValidationError("Choose a room and a slot.") from None
        room = Room.objects.filter(event=self.event, pk=room_pk).first()
        slot = Slot.objects.filter(event=self.event, pk=slot_pk).first()
        if room is None or slot is None:
            raise ValidationError("No such room and slot on this board.")
        return room, slot

    def clean_swap_with(self) -> OpenSpace | None:
        pk = self.cleaned_data.get("swap_with")
        if pk is None:
            return None
        other = (
            OpenSpace.objects.select_related("event", "room", "slot")
            .filter(event=self.event, pk=pk)
            .first()
        )
        if other is None:
            raise ValidationError("No such topic on this board.")
        return other

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("swap_with") is not None and "cell" in cleaned and not cleaned["cell"]:
            self.add_error("cell", "A swap needs a cell.")
        return cleaned


class BoardSettingsForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = ["open_space_placement", "proposals_open"]
        widgets = {"open_space_placement": forms.RadioSelect}


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["name", "capacity", "position"]
        help_texts = {"capacity": "Seats; leave empty if unknown.", "position": "Column order."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        if self.instance.pk is None:
            self.initial["position"] = None  # empty: the new room becomes the last column
            self.fields["position"].help_text = "Column order; empty puts it last."


class SlotForm(forms.Form):
    """A slot as organizers think of it: a day and two times in the event's time zone."""

    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["day"].widget.attrs.update(
            {"min": event.start_date.isoformat(), "max": event.end_date.isoformat()}
        )

    @classmethod
    def initial_for(cls, slot: Slot) -> dict:
        tz = slot.event.tz
        start, end = slot.start.astimezone(tz), slot.end.astimezone(tz)
        return {"day": start.date(), "start": start.time(), "end": end.time()}

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("day"), cleaned.get("start"), cleaned.get("end")
        if day is None or start is None or end is None:
            return cleaned
        if not self.event.start_date <= day <= self.event.end_date:
            self.add_error("day", "Choose a day of the event.")
        elif end <= start:
            self.add_error("end", "The slot must end after it starts.")
        else:
            cleaned["start_at"] = datetime.combine(day, start, tzinfo=self.event.tz)
            cleaned["end_at"] = datetime.combine(day, end, tzinfo=self.event.tz)
        return cleaned


class SlotGenerateForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label="First slot starts", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label="Last slot ends by", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    length = forms.IntegerField(label="Length (minutes)", min_value=5, max_value=480, initial=45)
    gap = forms.IntegerField(label="Break (minutes)", min_value=0, max_value=240, initial=15)

    def __init__(self, *args, event: Event, **kwargs):
        kwargs.setdefault("auto_id", "generate_%s")  # the one-slot form has the same fields
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["day"].widget.attrs.update(
            {"min": event.start_date.isoformat(), "max": event.end_date.isoformat()}
        )

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("day")
        if day is not None and not self.event.start_date <= day <= self.event.end_date:
            self.add_error("day", "Choose a day of the event.")
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", "The last slot must end after the first one starts.")
        if "length" in cleaned:
            cleaned["length_delta"] = timedelta(minutes=cleaned["length"])
        if "gap" in cleaned:
            cleaned["gap_delta"] = timedelta(minutes=cleaned["gap"])
        return cleaned


class TalkForm(forms.Form):
    """A talk as organizers enter it: who, what kind, where, and a day and two times in
    the event's time zone (all three empty: not scheduled yet)."""

    title = forms.CharField(max_length=300)
    speakers = forms.CharField(
        max_length=300, required=False, help_text="Names separated by commas."
    )
    kind = forms.ChoiceField(choices=Talk.Kind.choices, initial=Talk.Kind.TALK)
    room = forms.ModelChoiceField(queryset=Room.objects.none(), required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    abstract = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Optional; Markdown."
    )

    def __init__(self, *args, event: Event, **kwargs):
        # Ids of their own: the set-up page also holds the slot forms' day, start and end.
        kwargs.setdefault("auto_id", "talk_%s")
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["room"].queryset = Room.objects.filter(event=event)
        self.fields["room"].empty_label = "No room yet"
        self.fields["day"].widget.attrs.update(
            {"min": event.start_date.isoformat(), "max": event.end_date.isoformat()}
        )

    @classmethod
    def initial_for(cls, talk: Talk) -> dict:
        initial = {
            "title": talk.title,
            "speakers": talk.speakers,
            "kind": talk.kind,
            "room": talk.room_id,
            "abstract": talk.abstract,
        }
        if talk.start and talk.end:
            tz = talk.event.tz
            start, end = talk.start.astimezone(tz), talk.end.astimezone(tz)
            initial |= {"day": start.date(), "start": start.time(), "end": end.time()}
        return initial

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("day"), cleaned.get("start"), cleaned.get("end")
        given = [value is not None for value in (day, start, end)]
        cleaned["start_at"] = cleaned["end_at"] = None
        if any(given) and not all(given):
            for name, value in (("day", day), ("start", start), ("end", end)):
                if value is None and name not in self.errors:
                    self.add_error(name, "Give a day, a start and an end, or none of them.")
        elif all(given):
            if not self.event.start_date <= day <= self.event.end_date:
                self.add_error("day", "Choose a day of the event.")
            elif end <= start:
                self.add_error("end", "The talk must end after it starts.")
            else:
                cleaned["start_at"] = datetime.combine(day, start, tzinfo=self.event.tz)
                cleaned["end_at"] = datetime.combine(day, end, tzinfo=self.event.tz)
        return cleaned
