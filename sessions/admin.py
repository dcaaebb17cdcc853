from django.contrib import admin

from .access import organized
from .archive.speakers import speaker_remember_name, talk_set_speakers
from .models import (
    Event,
    EventInvite,
    EventRole,
    Interest,
    OpenSpace,
    Room,
    Series,
    Slot,
    Speaker,
    Talk,
)
from .moderation import event_access_changed


class OrganizerScopedAdmin(admin.ModelAdmin):
    """Staff see and edit only the objects of the events they organize (`access.organized`)."""

    event_lookup = "event"  # from the model to its event

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return organized(queryset, user=request.user, event_lookup=self.event_lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            kwargs["queryset"] = organized(Event.objects.all(), user=request.user)
        elif db_field.name in {"room", "slot"}:
            kwargs["queryset"] = organized(
                db_field.related_model.objects.all(), user=request.user, event_lookup="event"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoomInline(admin.TabularInline):
    model = Room
    extra = 1
    fields = ["name", "capacity", "position"]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 1
    fields = ["start", "end"]


@admin.register(Event)
class EventAdmin(OrganizerScopedAdmin):
    event_lookup = ""

    list_display = [
        "name",
        "slug",
        "series",
        "start_date",
        "end_date",
        "venue",
        "visibility",
        "archived",
    ]
    list_filter = ["visibility", "archived", "notes_access", "series", "start_date"]
    list_select_related = ["series"]
    search_fields = ["name", "slug", "venue", "description"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "start_date"
    inlines = [RoomInline, SlotInline]
    fieldsets = [
        (
            None,
            {"fields": ["name", "slug", "series", "start_date", "end_date", "timezone", "venue"]},
        ),
        ("Description", {"fields": ["description"]}),
        (
            "Access",
            {"fields": ["visibility", "notes_access", "archived"]},
        ),
        ("Open space", {"fields": ["proposals_open", "open_space_placement"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Archived, who may take notes: open editors follow at once (the team's roles
        # are EventRoleAdmin's).
        if change and {"archived", "notes_access"} & set(form.changed_data):
            event_access_changed(event=obj)


@admin.register(Talk)
class TalkAdmin(OrganizerScopedAdmin):
    list_display = ["title", "event", "kind", "speakers", "room", "start", "end"]
    list_filter = ["event", "kind", "room"]
    search_fields = ["title", "speakers", "abstract"]
    list_select_related = ["event", "room"]
    autocomplete_fields = ["event"]
    readonly_fields = ["note"]
    fields = [
        "event",
        "title",
        "slug",
        "kind",
        "speakers",
        "abstract",
        "room",
        "start",
        "end",
        "note",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The speakers as typed become links to Speaker pages too.
        talk_set_speakers(talk=obj, names=obj.speaker_list)


@admin.register(OpenSpace)
class OpenSpaceAdmin(OrganizerScopedAdmin):
    list_display = ["title", "event", "host", "status", "room", "slot"]
    list_filter = ["event", "status"]
    search_fields = ["title", "host", "description"]
    list_select_related = ["event", "room", "slot__event"]
    autocomplete_fields = ["event", "host_user"]
    readonly_fields = ["note"]
    fields = [
        "event",
        "title",
        "host",
        "host_user",
        "description",
        "status",
        "hidden",
        "room",
        "slot",
        "note",
    ]


@admin.register(Room)
class RoomAdmin(OrganizerScopedAdmin):
    list_display = ["name", "event", "capacity", "position"]
    list_filter = ["event"]
    search_fields = ["name", "event__name"]


@admin.register(Slot)
class SlotAdmin(OrganizerScopedAdmin):
    list_display = ["__str__", "event", "start", "end"]
    list_filter = ["event"]
    list_select_related = ["event"]


@admin.register(Interest)
class InterestAdmin(OrganizerScopedAdmin):
    event_lookup = "open_space__event"
    list_display = ["open_space", "user", "guest_key", "created_at"]
    list_select_related = ["open_space"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class TalkSpeakerInline(admin.TabularInline):
    model = Talk.people.through
    fields = ["talk", "position"]
    readonly_fields = ["talk", "position"]
    extra = 0
    can_delete = False
    verbose_name = "talk"

    def has_add_permission(self, request, obj=None):
        return False  # a talk's speakers are set on the talk (its "speakers" field)


@admin.register(Speaker)
class SpeakerAdmin(OrganizerScopedAdmin):
    """Speakers of the events one organizes. Merging two is on the speaker's page
    ("View on site", then "Merge with another speaker")."""

    event_lookup = "talks__event"
    list_display = ["name", "slug", "handle"]
    search_fields = ["name", "slug", "handle", "aliases__key"]
    fields = ["name", "slug", "handle"]
    inlines = [TalkSpeakerInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        speaker_remember_name(speaker=obj)


@admin.register(EventRole)
class EventRoleAdmin(OrganizerScopedAdmin):
    """The teams; organizers manage theirs in the app (the event's Team page)."""

    list_display = ["user", "event", "role", "created_at"]
    list_filter = ["role"]
    list_select_related = ["event", "user"]
    autocomplete_fields = ["user"]

    # A role decides who may take notes: open editors of the event follow at once.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        event_access_changed(event=obj.event)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        event_access_changed(event=obj.event)

    def delete_queryset(self, request, queryset):
        events = list(Event.objects.filter(roles__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for event in events:
            event_access_changed(event=event)


@admin.register(EventInvite)
class EventInviteAdmin(OrganizerScopedAdmin):
    list_display = ["email", "event", "role", "created_at", "accepted_at"]
    list_filter = ["role"]
    list_select_related = ["event"]
    readonly_fields = ["invited_by", "accepted_at", "accepted_by"]
