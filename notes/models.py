"""Shared notes documents.

A note holds a CRDT document (pycrdt / Yjs) stored as a checkpoint plus an
append-only log of updates, and the Markdown text derived from it for pages,
search and export. `notes` knows nothing of events or talks.
"""

from django.conf import settings
from django.db import models


class Note(models.Model):
    # Markdown rendered from the CRDT document (or set by an import); what pages,
    # search and export read.
    markdown = models.TextField(blank=True, default="")
    # Full CRDT state (Yjs update v1) that already contains every update up to
    # and including `checkpoint_seq`; empty means "no CRDT state yet": the live
    # engine then seeds the document from `markdown`.
    checkpoint = models.BinaryField(blank=True, default=b"")
    checkpoint_seq = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    markdown_updated_at = models.DateTimeField(null=True, blank=True)
    # Locked notes are read-only for everyone; what that means (and who may lock) is
    # the policy's to say (settings.NOTES_POLICY). Change it with `note_set_locked`,
    # which tells the open connections. The database default lets code that does not
    # know the column yet (a worker of the previous release during a deploy) still
    # create notes.
    locked = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Note {self.pk}"

    @property
    def ws_path(self) -> str:
        return f"/ws/notes/{self.pk}/"


class NoteUpdate(models.Model):
    """One CRDT update as a client sent it (or a micro-batch merged from several)."""

    id = models.BigAutoField(primary_key=True)
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="updates")
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["note", "id"], name="noteupdate_note_id")]

    def __str__(self) -> str:
        return f"Update {self.pk} of note {self.note_id}"


class NoteContributor(models.Model):
    """Who wrote in a note: an account (one row per user), or a guest (one row per name
    and browser). A guest row never becomes an account's by its name: a guest may call
    themselves anything, so guests are always shown as guests (`label`)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="contributors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The account's display name when it wrote, or the name the guest gave.
    name = models.CharField(max_length=100)
    # A guest's browser key (the signed guest cookie), so that the guest's credit can
    # follow them into an account they sign up for; "" for accounts and unknown guests.
    guest_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    first_edit_at = models.DateTimeField(auto_now_add=True)
    last_edit_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_edit_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["note", "user"],
                condition=models.Q(user__isnull=False),
                name="notecontributor_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["note", "name", "guest_key"],
                condition=models.Q(user__isnull=True),
                name="notecontributor_one_per_guest",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_guest(self) -> bool:
        # A deleted account's rows (user set to NULL) read as guests from then on:
        # nothing proves who wrote them any more.
        return self.user_id is None

    @property
    def label(self) -> str:
        """The name as shown to everyone: guests are marked as guests."""
        return guest_label(self.name) if self.is_guest else self.name


def guest_label(name: str) -> str:
    """How a guest's chosen name is shown (contributor lists, history, cursors)."""
    return "Guest" if name in ("", "Guest") else f"{name} (guest)"


class NoteRevision(models.Model):
    """A snapshot of the Markdown text, kept for history."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    markdown = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision {self.pk} of note {self.note_id}"
