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
    """Who wrote in a note: a signed-in user, or a guest by display name."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="contributors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(max_length=100)
    first_edit_at = models.DateTimeField(auto_now_add=True)
    last_edit_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_edit_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["note", "name"], name="notecontributor_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class NoteRevision(models.Model):
    """A snapshot of the Markdown text, kept for history."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="revisions")
    markdown = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Revision {self.pk} of note {self.note_id}"
