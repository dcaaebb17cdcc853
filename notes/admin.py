from django.contrib import admin

from .models import Note, NoteContributor, NoteRevision
from .services import ReplacedBy, note_replace_text


class ContributorInline(admin.TabularInline):
    model = NoteContributor
    extra = 0
    readonly_fields = ["user", "name", "first_edit_at", "last_edit_at"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["pk", "updated_at", "markdown_updated_at"]
    search_fields = ["markdown"]
    readonly_fields = ["checkpoint_seq", "created_at", "updated_at", "markdown_updated_at"]
    exclude = ["checkpoint"]
    inlines = [ContributorInline]

    def save_model(self, request, obj, form, change):
        # The CRDT document is the source of the text: an edit here becomes one
        # change to it (live editors converge on it), never a write to the
        # Markdown column that the next refresh would overwrite.
        if not change:
            super().save_model(request, obj, form, change)
            return
        stored = Note.objects.get(pk=obj.pk)
        user = request.user
        note_replace_text(
            note=stored,
            markdown=form.cleaned_data["markdown"],
            reason=NoteRevision.Reason.BEFORE_ADMIN,
            by=ReplacedBy(name=user.get_full_name() or user.get_username(), user_id=user.pk),
        )


@admin.register(NoteRevision)
class NoteRevisionAdmin(admin.ModelAdmin):
    list_display = ["note", "created_at", "reason", "created_by_name"]
    list_filter = ["reason"]
    readonly_fields = [
        "note",
        "markdown",
        "created_at",
        "reason",
        "created_by",
        "created_by_name",
        "restored_from",
        "chars_added",
        "chars_removed",
    ]
    exclude = ["state_vector"]
