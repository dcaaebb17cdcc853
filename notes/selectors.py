"""Reads of note documents."""

from .models import Note


def note_contributor_names(*, note: Note) -> list[str]:
    """Who wrote in a note, in the order they first wrote; each account once, by its
    current name (it may have written under several, e.g. as a guest before signing in)."""
    names: list[str] = []
    seen_users: set[int] = set()
    for contributor in note.contributors.select_related("user"):
        user = contributor.user
        if user is None:
            names.append(contributor.name)
        elif user.pk not in seen_users:
            seen_users.add(user.pk)
            names.append(user.get_full_name() or user.get_username())
    return names
