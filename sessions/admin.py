from django.contrib import admin

from .access import organized
from .models import Event, Interest, OpenSpace, Room, Slot, Talk
from .moderation import event_access_changed


class OrganizerScopedAdmin(admin.ModelAdmin):
    """Staff see and edit only the objects of the events they organize (`access.organized`)."""

    organizers_lookup = "event__organizers"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return organized(queryset, user=request.user, lookup=self.organizers_lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            kwargs["queryset"] = organized(Event.objects.all(), user=request.user)
        elif db_field.name in {"room", "slot"}:
            kwargs["queryset"] = organized(
                db_field.related_model.objects.all(),
                user=request.user,
                lookup="event__organizers",
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
    organizers_lookup = "organizers"

    list_display = ["name", "slug", "start_date", "end_date", "venue", "visibility", "archived"]
    list_filter = ["visibility", "archived", "notes_access", "start_date"]
    search_fields = ["name", "slug", "venue", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["organizers"]
    date_hierarchy = "start_date"
    inlines = [RoomInline, SlotInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "start_date", "end_date", "timezone", "venue"]}),
        ("Description", {"fields": ["description"]}),
        (
            "Access",
            {"fields": ["visibility", "notes_access", "organizers", "archived"]},
        ),
        ("Open space", {"fields": ["proposals_open", "open_space_placement"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # organizers are saved here
        # Archived, who may take notes, the organizers: open editors follow at once.
        access_fields = {"archived", "notes_access", "organizers"}
        if change and access_fields & set(form.changed_data):
            event_access_changed(event=form.instance)


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
    organizers_lookup = "open_space__event__organizers"
    list_display = ["open_space", "user", "guest_key", "created_at"]
    list_select_related = ["open_space"]
