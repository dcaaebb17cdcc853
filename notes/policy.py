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
        """Return None when no such note exists (or it belongs to nothing visible).

        Asked when a connection opens, and again for every open connection when
        `notes.services.note_access_changed` says the rules of the note changed."""

    def guest_key(self, *, headers) -> str:
        """The key that tells one guest browser from another (from the raw headers of
        the WebSocket handshake, e.g. a signed cookie), or "" when there is none.
        Connection limits and contributor records use it; it is never shown."""


def guest_key(policy: NotePolicy, *, headers) -> str:
    """`policy.guest_key(...)`, or "" for a policy that tells no guests apart."""
    method = getattr(policy, "guest_key", None)
    return method(headers=headers) if method is not None else ""


@cache
def get_policy() -> NotePolicy:
    return import_string(settings.NOTES_POLICY)()
