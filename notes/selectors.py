"""Reads of note documents."""

from .models import Note


def note_contributor_names(*, note: Note) -> list[str]:
    """Who wrote in a note, in the order they first wrote. Each account once, by its
    current name; guests marked as guests (`NoteContributor.label`), each label once: a
    guest may have chosen an account's name, and is never credited as that account."""
    names: list[str] = []
    seen_users: set[int] = set()
    seen_guests: set[str] = set()
    for contributor in note.contributors.select_related("user"):
        user = contributor.user
        if user is None:
            label = contributor.label
            if label not in seen_guests:
                seen_guests.add(label)
                names.append(label)
        elif user.pk not in seen_users:
            seen_users.add(user.pk)
            names.append(user.get_full_name() or user.get_username())
    return names
