"""People's accounts beyond Django's User: their profile."""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What a person shows of themselves. One per user, made when first needed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        max_length=60, help_text="Shown on your notes, proposals and cursor."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.display_name
