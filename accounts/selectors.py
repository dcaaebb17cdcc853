"""Reads of accounts."""

from .models import Profile


def display_name(*, user) -> str:
    """The name a user shows: their profile's, else their full name, else their username."""
    profile = Profile.objects.filter(user=user).only("display_name").first()
    if profile is not None:
        return profile.display_name
    return user.get_full_name() or user.get_username()
