"""Writes of accounts: a person's profile.

The display name lives in `Profile.display_name`. It is mirrored into Django's
`User.first_name` (with `last_name` emptied) because code that only knows Django's user
names people by `get_full_name()`: the live notes engine, which must not depend on this
app, and the admin. `profile_update` is the one place that writes both.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Profile

MAX_DISPLAY_NAME = 60


def clean_display_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError({"display_name": "Give the name people will see."})
    if len(name) > MAX_DISPLAY_NAME:
        raise ValidationError({"display_name": f"At most {MAX_DISPLAY_NAME} characters."})
    return name


def profile_update(*, user, display_name: str) -> Profile:
    """Set `user`'s display name (whitespace collapsed), creating the profile if needed."""
    name = clean_display_name(display_name)
    with transaction.atomic():
        profile, _ = Profile.objects.update_or_create(user=user, defaults={"display_name": name})
        user.first_name, user.last_name = name, ""
        user.save(update_fields=["first_name", "last_name"])
    return profile
