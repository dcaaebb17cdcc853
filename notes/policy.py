"""Who may read or write a note: asked of the policy named in settings.NOTES_POLICY.

`notes` is a generic live-document engine and knows nothing of events; the app
that owns notes (here `sessions`) provides the policy, the way Django names its
auth backends.
"""

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NoteAccess:
    can_read: bool
    can_write: bool
    # Why a reader may not write, in words shown to them ("This event is archived…").
    read_only_reason: str = ""


NO_ACCESS = NoteAccess(can_read=False, can_write=False, read_only_reason="not allowed")


class NotePolicy(Protocol):
    def access(self, *, user, note_id: int) -> NoteAccess | None:
        """Return None when no such note exists (or it belongs to nothing visible)."""


@cache
def get_policy() -> NotePolicy:
    return import_string(settings.NOTES_POLICY)()
