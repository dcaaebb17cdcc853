from django.contrib import admin

from .models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "updated_at"]
    search_fields = ["display_name", "user__username", "user__email"]
    list_select_related = ["user"]
