"""Events and what happens at them: rooms, slots, talks, open spaces."""

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Paris).")


class EventQuerySet(models.QuerySet):
    def listed(self) -> "EventQuerySet":
        return self.filter(visibility=Event.Visibility.PUBLIC)


class Event(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public (listed on the home page)"
        UNLISTED = "unlisted", "Unlisted (reachable by its link only)"

    class NotesAccess(models.TextChoices):
        USERS = "users", "Signed-in users"
        GUESTS = "guests", "Signed-in users and guests with a display name"

    class Placement(models.TextChoices):
        ORGANIZERS = "organizers", "Organizers only"
        HOSTS = "hosts", "Organizers and each topic's host (self-scheduling)"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    start_date = models.DateField()
    end_date = models.DateField()
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    venue = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organized_events"
    )
    notes_access = models.CharField(
        "who may take notes", max_length=10, choices=NotesAccess.choices, default=NotesAccess.USERS
    )
    archived = models.BooleanField(default=False, help_text="Archived events' notes are read-only.")
    open_space_placement = models.CharField(
        "who may place open spaces on the board",
        max_length=12,
        choices=Placement.choices,
        default=Placement.ORGANIZERS,
    )
    proposals_open = models.BooleanField("open-space proposals are open", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="event_ends_after_start",
                violation_error_message="The event must end on or after its first day.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sessions:event", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The event must end on or after its first day."})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def allows_guests(self) -> bool:
        return self.notes_access == self.NotesAccess.GUESTS

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def covers(self, moment: datetime) -> bool:
        """Whether an aware datetime falls on one of the event's days (its own time zone)."""
        return self.start_date <= self.local_date(moment) <= self.end_date

    def is_organizer(self, user) -> bool:
        """Whether `user` is listed among the organizers. Who counts as an organizer
        (superusers too) is decided in `sessions/access.py`."""
        return self.organizers.filter(pk=user.pk).exists()


class Room(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(max_length=100)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="room_unique_name_per_event"),
        ]

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    """A time slot of the open-space grid (rooms × slots)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
            models.UniqueConstraint(fields=["event", "start"], name="slot_unique_start_per_event"),
        ]

    def __str__(self) -> str:
        tz = self.event.tz
        return f"{self.start.astimezone(tz):%a %d %b %H:%M}–{self.end.astimezone(tz):%H:%M}"

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = "The slot must end after it starts."
        if self.event_id and self.start and not self.event.covers(self.start):
            errors["start"] = "The slot must be within the event's dates."
        if self.event_id and self.end and not self.event.covers(self.end):
            errors.setdefault("end", "The slot must be within the event's dates.")
        if errors:
            raise ValidationError(errors)


def _unique_slug(model, *, event_id: int, base: str, exclude_pk: int | None) -> str:
    root = slugify(base)[:80] or "item"
    candidate, n = root, 2
    taken = model.objects.filter(event_id=event_id).exclude(pk=exclude_pk)
    while taken.filter(slug=candidate).exists():
        candidate, n = f"{root}-{n}", n + 1
    return candidate


class NoteOwnerMixin(models.Model):
    """A talk or an open space: each owns exactly one shared notes document."""

    note = models.OneToOneField("notes.Note", on_delete=models.PROTECT, related_name="+")
    # Stable identity of an item that came from an imported file, so that a
    # re-import updates it instead of duplicating it.
    import_key = models.CharField(max_length=200, blank=True, default="", db_index=True)
    # The day of an item that has no time yet (imported notes often only say
    # "day 2"), and its place in the imported document, so that an export
    # lists items in the order they were written.
    day = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.note_id is None:
            from notes.models import Note  # `sessions` uses `notes`, never the reverse

            self.note = Note.objects.create()
        super().save(*args, **kwargs)


class Talk(NoteOwnerMixin):
    class Kind(models.TextChoices):
        KEYNOTE = "keynote", "Keynote"
        TALK = "talk", "Talk"
        IGNITE = "ignite", "Ignite"
        DEMO = "demo", "Demo"
        SPONSOR = "sponsor", "Sponsor"
        OTHER = "other", "Other"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="talks")
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=100, blank=True, help_text="Filled from the title if empty.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TALK)
    speakers = models.CharField(max_length=300, blank=True, help_text="Names separated by commas.")
    abstract = models.TextField(blank=True, help_text="Markdown.")
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.SET_NULL, related_name="talks"
    )
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "room__position", "title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="talk_unique_slug_per_event"),
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                | (Q(start__isnull=False) & Q(end__gt=F("start"))),
                name="talk_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sessions:talk", kwargs={"slug": self.event.slug, "talk_slug": self.slug})

    @property
    def speaker_list(self) -> list[str]:
        return [name.strip() for name in self.speakers.split(",") if name.strip()]

    @property
    def is_scheduled(self) -> bool:
        return self.start is not None

    def clean(self) -> None:
        errors = {}
        if (self.start is None) != (self.end is None):
            errors["end" if self.start else "start"] = "Give both a start and an end, or neither."
        elif self.start and self.end:
            if self.end <= self.start:
                errors["end"] = "The talk must end after it starts."
            elif self.event_id and not (
                self.event.covers(self.start) and self.event.covers(self.end)
            ):
                errors["start"] = "The talk must take place within the event's dates."
        if self.room_id and self.event_id and self.room.event_id != self.event_id:
            errors["room"] = "This room belongs to another event."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = _unique_slug(
                Talk, event_id=self.event_id, base=self.title, exclude_pk=self.pk
            )
        super().save(*args, **kwargs)


class OpenSpace(NoteOwnerMixin):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        SCHEDULED = "scheduled", "Scheduled"
        HELD = "held", "Held"
        WITHDRAWN = "withdrawn", "Withdrawn"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="open_spaces")
    title = models.CharField(max_length=300)
    host = models.CharField(max_length=200, blank=True, help_text="The host's display name.")
    host_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hosted_open_spaces",
    )
    # A guest host's browser identity (the signed guest cookie), so that the same
    # browser may edit or withdraw its proposal; empty for signed-in hosts.
    host_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    description = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    # RESTRICT, not PROTECT: a placed session keeps its room and slot from being deleted
    # on their own, yet deleting the whole event (which cascades to all three) works.
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.RESTRICT, related_name="open_spaces"
    )
    slot = models.ForeignKey(
        Slot, null=True, blank=True, on_delete=models.RESTRICT, related_name="open_spaces"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slot__start", "room__position", "created_at", "pk"]
        constraints = [
            # The board's invariant: two placements into one cell cannot both win.
            models.UniqueConstraint(fields=["room", "slot"], name="openspace_one_per_room_slot"),
            models.CheckConstraint(
                condition=Q(room__isnull=True, slot__isnull=True)
                | Q(room__isnull=False, slot__isnull=False),
                name="openspace_room_and_slot_together",
            ),
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(slot__isnull=False),
                name="openspace_scheduled_has_slot",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sessions:open_space", kwargs={"slug": self.event.slug, "pk": self.pk})

    @property
    def is_placed(self) -> bool:
        return self.slot_id is not None

    @property
    def start(self) -> datetime | None:
        return self.slot.start if self.slot_id else None

    @property
    def end(self) -> datetime | None:
        return self.slot.end if self.slot_id else None

    def is_held(self, *, now: datetime | None = None) -> bool:
        """Marked held, or its slot has started (the session is happening or happened)."""
        if self.status == self.Status.HELD:
            return True
        return self.slot_id is not None and self.slot.start <= (now or timezone.now())

    def clean(self) -> None:
        errors = {}
        if (self.room_id is None) != (self.slot_id is None):
            errors["slot" if self.room_id else "room"] = "Give both a room and a slot, or neither."
        if self.room_id and self.event_id and self.room.event_id != self.event_id:
            errors["room"] = "This room belongs to another event."
        if self.slot_id and self.event_id and self.slot.event_id != self.event_id:
            errors["slot"] = "This slot belongs to another event."
        if self.status == self.Status.SCHEDULED and not self.slot_id:
            errors.setdefault("status", "A scheduled open space needs a room and a slot.")
        if errors:
            raise ValidationError(errors)


class Interest(models.Model):
    """One person's "I'm interested" in an open space (a user, or a guest's browser)."""

    open_space = models.ForeignKey(OpenSpace, on_delete=models.CASCADE, related_name="interests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    guest_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["open_space", "user"],
                condition=Q(user__isnull=False),
                name="interest_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["open_space", "guest_key"],
                condition=~Q(guest_key=""),
                name="interest_one_per_guest",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_key=""),
                name="interest_has_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Interest in {self.open_space_id}"


from .archive.models import SearchEntry  # noqa: E402, F401  (the search index; see there)
