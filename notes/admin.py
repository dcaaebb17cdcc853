from django.contrib import admin

from .models import Note, NoteContributor, NoteRevision


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


@admin.register(NoteRevision)
class NoteRevisionAdmin(admin.ModelAdmin):
    list_display = ["note", "created_at"]
    readonly_fields = ["note", "markdown", "created_at"]
