from django.contrib import admin

from .models import Note, NoteContributor, NoteRevision
from .services import note_replace_text, note_set_locked


class ContributorInline(admin.TabularInline):
    model = NoteContributor
    extra = 0
    fields = ["user", "name", "is_guest", "first_edit_at", "last_edit_at"]
    readonly_fields = fields

    @admin.display(boolean=True, description="guest")
    def is_guest(self, contributor: NoteContributor) -> bool:
        return contributor.is_guest


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ["pk", "locked", "updated_at", "markdown_updated_at"]
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
        note_replace_text(note=stored, markdown=form.cleaned_data["markdown"])
        if "locked" in form.changed_data:
            note_set_locked(note_id=obj.pk, locked=form.cleaned_data["locked"])


@admin.register(NoteRevision)
class NoteRevisionAdmin(admin.ModelAdmin):
    list_display = ["note", "created_at"]
    readonly_fields = ["note", "markdown", "created_at"]
