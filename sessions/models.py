"""Events and what happens at them: rooms, slots, talks, open spaces."""

import re
import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Paris).")


class KeepsOldSlugs(models.Model):
    """A model whose pages are addressed by its slug. A save that changes the address
    keeps the old one (`keep_old_address`), so that the old URLs answer with a permanent
    redirect (sessions/archive/permalinks.py). `QuerySet.update()` bypasses this.
    """

    # The fields (attnames) remembered as loaded; `address_fields` make up the address.
    remembered_fields: tuple[str, ...] = ("slug",)
    address_fields: tuple[str, ...] = ("slug",)

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember()
        return instance

    def _remember(self) -> None:
        # A deferred field is absent from __dict__: it is not remembered, and a save then
        # keeps no old address (it cannot know it).
        self._remembered = {
            name: self.__dict__[name] for name in self.remembered_fields if name in self.__dict__
        }

    def saved_value(self, name: str):
        return getattr(self, "_remembered", {}).get(name)

    def _saved_address(self) -> tuple | None:
        saved = getattr(self, "_remembered", {})
        if not all(name in saved for name in self.address_fields):
            return None
        return tuple(saved[name] for name in self.address_fields)

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        old = self._saved_address()
        new = tuple(getattr(self, name) for name in self.address_fields)
        moves = (
            old is not None
            and old != new
            and (
                update_fields is None
                or {f.removesuffix("_id") for f in update_fields}
                & {f.removesuffix("_id") for f in self.address_fields}
            )
        )
        if moves:
            # The new address and the old one's redirect are one change.
            with transaction.atomic():
                super().save(*args, **kwargs)
                self.keep_old_address(old)
        else:
            super().save(*args, **kwargs)
        self._remember()

    def keep_old_address(self, old: tuple) -> None:
        raise NotImplementedError


class Series(models.Model):
    """Events that recur: "DevOpsDays Paris" 2013, 2014…"""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="Markdown.")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sessions:series", kwargs={"series_slug": self.slug})


class EventQuerySet(models.QuerySet):
    def listed(self) -> "EventQuerySet":
        return self.filter(visibility=Event.Visibility.PUBLIC)


class Event(KeepsOldSlugs):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public (listed on the home page)"
        UNLISTED = "unlisted", "Unlisted (reachable by its link only)"

    class NotesAccess(models.TextChoices):
        TEAM = "team", "The event's team only (organizers and note-takers)"
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
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
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

    def role_of(self, user) -> str | None:
        """`user`'s role in this event's team (an EventRole.Role value), or None."""
        if user is None or not user.is_authenticated:
            return None
        return self.roles.filter(user=user).values_list("role", flat=True).first()

    def is_organizer(self, user) -> bool:
        """Whether `user` has the organizer role here. Who counts as an organizer
        (superusers too) is decided in `sessions/access.py`."""
        return self.role_of(user) == EventRole.Role.ORGANIZER

    @property
    def organizers(self) -> "TeamMembers":
        """The users with the organizer role, as a small manager: `.all()`, `.add(user)`,
        `.remove(user)`. Organizers used to be a many-to-many field; code written
        against it keeps working, and every write goes to `EventRole`."""
        return TeamMembers(event=self, role=EventRole.Role.ORGANIZER)

    def keep_old_address(self, old: tuple) -> None:
        (slug,) = old
        EventOldSlug.objects.update_or_create(slug=slug, defaults={"event": self})
        EventOldSlug.objects.filter(slug=self.slug).delete()  # its address again


class EventRole(models.Model):
    """A person's role in an event's team. One role per person and event."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", "Organizer"
        NOTE_TAKER = "note_taker", "Note-taker"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_roles"
    )
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.ORGANIZER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "role", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="eventrole_one_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} of {self.event}"


class TeamMembers:
    """The users of one role in an event's team (see `Event.organizers`)."""

    def __init__(self, *, event: Event, role: str) -> None:
        self.event, self.role = event, role

    def all(self):
        return get_user_model().objects.filter(
            event_roles__event=self.event, event_roles__role=self.role
        )

    def filter(self, *args, **kwargs):
        return self.all().filter(*args, **kwargs)

    def add(self, *users) -> None:
        for user in users:
            EventRole.objects.update_or_create(
                event=self.event, user=user, defaults={"role": self.role}
            )

    def remove(self, *users) -> None:
        EventRole.objects.filter(event=self.event, user__in=users, role=self.role).delete()


class EventInvite(models.Model):
    """An invitation by email to join an event's team with a role.

    The link carries a signed token naming this row (sessions/team.py); it expires, and
    is used once. Deleting the row revokes it.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    role = models.CharField(max_length=12, choices=EventRole.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invite of {self.email} to {self.event} as {self.get_role_display()}"


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
        # For the admin, which selects each slot's event with it; code calls `label`.
        return self.label(self.event.tz)

    def label(self, tz: zoneinfo.ZoneInfo) -> str:
        """The slot as people read it in `tz` (its event's): "Wed 10 Jun 14:00–14:45"."""
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


def _slug_derived_from(slug: str, title: str) -> bool:
    """Whether `slug` is what `_unique_slug` makes of `title` ("title" or "title-3")."""
    root = slugify(title)[:80] or "item"
    return re.fullmatch(rf"{re.escape(root)}(-\d+)?", slug) is not None


class Talk(NoteOwnerMixin, KeepsOldSlugs):
    class Kind(models.TextChoices):
        KEYNOTE = "keynote", "Keynote"
        TALK = "talk", "Talk"
        IGNITE = "ignite", "Ignite"
        DEMO = "demo", "Demo"
        WORKSHOP = "workshop", "Workshop"
        SPONSOR = "sponsor", "Sponsor"
        OTHER = "other", "Other"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="talks")
    title = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=100,
        blank=True,
        help_text="Filled from the title if empty; follows the title when it changes, "
        "unless set by hand. Old addresses keep working.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TALK)
    # The speakers as written (the display string, what imports read and exports write);
    # `people` links the same names to Speaker pages (sessions/archive/speakers.py).
    speakers = models.CharField(max_length=300, blank=True, help_text="Names separated by commas.")
    people = models.ManyToManyField(
        "Speaker", through="TalkSpeaker", related_name="talks", blank=True
    )
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

    remembered_fields = ("event_id", "slug", "title")
    address_fields = ("event_id", "slug")

    def _slug_follows_title(self) -> bool:
        """Renamed, with a slug nobody set by hand: the slug follows the new title."""
        old_title, old_slug = self.saved_value("title"), self.saved_value("slug")
        return (
            old_title is not None
            and old_title != self.title
            and self.slug == old_slug
            and _slug_derived_from(old_slug, old_title)
        )

    def save(self, *args, **kwargs) -> None:
        if not self.slug or self._slug_follows_title():
            self.slug = _unique_slug(
                Talk, event_id=self.event_id, base=self.title, exclude_pk=self.pk
            )
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "slug" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "slug"]
        super().save(*args, **kwargs)

    def keep_old_address(self, old: tuple) -> None:
        event_id, slug = old
        TalkOldSlug.objects.update_or_create(event_id=event_id, slug=slug, defaults={"talk": self})
        TalkOldSlug.objects.filter(event_id=self.event_id, slug=self.slug).delete()


class OpenSpaceQuerySet(models.QuerySet):
    def shown(self) -> "OpenSpaceQuerySet":
        """Topics people see: neither withdrawn by their host nor hidden by an organizer."""
        return self.exclude(status=OpenSpace.Status.WITHDRAWN).filter(hidden=False)


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
    # Moderation: a hidden topic is off the marketplace, the board, the schedule and the
    # exports for everyone but the organizers (who can show it again).
    hidden = models.BooleanField(default=False)
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

    objects = OpenSpaceQuerySet.as_manager()

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


def _one_identity(prefix: str) -> models.CheckConstraint:
    """A user's row, or a guest browser's (by its key): exactly one of the two."""
    return models.CheckConstraint(
        condition=(Q(user__isnull=False) & Q(guest_key=""))
        | (Q(user__isnull=True) & ~Q(guest_key="")),
        name=f"{prefix}_user_or_guest",
    )


class Star(models.Model):
    """One person's star on a talk (a user, or a guest's browser): it is on their agenda.

    An open space's star is its `Interest`: starring a topic says "I'm interested", so a
    person never counts twice on the board, and the marketplace's button is the same star.
    """

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="stars")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    guest_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["talk", "user"], condition=Q(user__isnull=False), name="star_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["talk", "guest_key"],
                condition=~Q(guest_key=""),
                name="star_one_per_guest",
            ),
            _one_identity("star"),
        ]

    def __str__(self) -> str:
        return f"Star on talk {self.talk_id}"


class AgendaFeed(models.Model):
    """The secret address of one person's agenda as an iCalendar feed (their stars).

    A calendar app subscribes to it without signing in, so the token is the only key:
    resetting it (a new token) makes every old address answer 404.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    guest_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="agendafeed_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["guest_key"], condition=~Q(guest_key=""), name="agendafeed_one_per_guest"
            ),
            _one_identity("agendafeed"),
        ]

    def __str__(self) -> str:
        return f"Agenda feed of {self.user_id or 'a guest'}"


class Speaker(KeepsOldSlugs):
    """A person who gave talks, at any number of events."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    handle = models.CharField(max_length=100, blank=True, help_text="Without the @: “richhickey”.")

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sessions:speaker", kwargs={"speaker_slug": self.slug})

    def keep_old_address(self, old: tuple) -> None:
        (slug,) = old
        SpeakerOldSlug.objects.update_or_create(slug=slug, defaults={"speaker": self})
        SpeakerOldSlug.objects.filter(slug=self.slug).delete()


class SpeakerAlias(models.Model):
    """A name (its identity key, see sessions/archive/names.py) that means this speaker:
    the name it was created with, and those of the speakers merged into it."""

    key = models.CharField(max_length=200, unique=True)
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name_plural = "speaker aliases"

    def __str__(self) -> str:
        return self.key


class TalkSpeaker(models.Model):
    """A speaker of a talk, in the order the talk names them."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="speaker_links")
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="talk_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["talk", "speaker"], name="talkspeaker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.speaker_id} at {self.talk_id}"


# --- Addresses that moved: the old slug answers with a permanent redirect ----------------


class EventOldSlug(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="old_slugs")

    def __str__(self) -> str:
        return self.slug


class TalkOldSlug(models.Model):
    # The event the old address was under: a talk may also have moved to another event.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=100)
    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="old_slugs")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "slug"], name="talkoldslug_unique"),
        ]

    def __str__(self) -> str:
        return self.slug


class SpeakerOldSlug(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="old_slugs")

    def __str__(self) -> str:
        return self.slug


from .archive.models import SearchEntry  # noqa: E402, F401  (the search index; see there)
