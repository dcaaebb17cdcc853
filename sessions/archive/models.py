"""The search index: one entry per talk or open space, kept by database triggers.

Nothing in Python writes `SearchEntry`. Triggers created by the migration
`conf_sessions.0008_search_index` keep it current on every path that changes what
it indexes — forms, the admin, imports, and the live engine, which stores a note's
Markdown with a queryset `.update()` that no model signal would see:

- PostgreSQL: trigger functions on talks, open spaces and notes recompute the
  entry's `vector` (title weighted A, speakers or host B, abstract or description C,
  notes D) and `title_vector` (the title alone), each served by a GIN index.
- SQLite: triggers keep the entry and a row of the FTS5 table
  `conf_sessions_searchfts` (rowid = note id; columns title, people, body, notes, and
  `scope`: tokens naming the item's event and kind, so that filters are part of the
  full-text match); the vectors stay empty there.

Withdrawn and hidden open spaces have no entry. An entry is keyed by its note: every talk and
open space owns exactly one note, so the note id names the item across both tables. So the
entries are also the items readers see, with their event and whether their notes are
written: the browse pages count them (browse_selectors.with_counts).
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from notes.models import Note

from ..models import Event, OpenSpace, Talk

OPEN_SPACE_KIND = "open-space"  # the entry kind of open spaces; talks use Talk.Kind
SEARCH_CONFIG = "english"  # PostgreSQL text search configuration (the migration's too)
FTS_TABLE = "conf_sessions_searchfts"
FTS_TEXT_COLUMNS = ("title", "people", "body", "notes")  # what readers' words may match


class SearchEntry(models.Model):
    # No database constraints and DO_NOTHING: rows follow their items through the
    # triggers, so Django's deletion collector must not touch them.
    note = models.OneToOneField(
        Note, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # Searches look entries up by note; `(event, notes_updated_at)` serves feeds.
    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    talk = models.ForeignKey(
        Talk,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    open_space = models.ForeignKey(
        OpenSpace,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    kind = models.CharField(max_length=12)  # a Talk.Kind value, or OPEN_SPACE_KIND
    # When the note's text last changed; None while it holds nothing but white space
    # (conf_sessions.0009). What feeds order by, and what /events/ counts as "with notes".
    notes_updated_at = models.DateTimeField(null=True)
    # PostgreSQL only (GIN indexes created by the migration: SQLite cannot declare one).
    vector = SearchVectorField(null=True)
    # The title alone: small, so the title tier of a ranking never reads `vector`.
    title_vector = SearchVectorField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["notes_updated_at"], name="searchentry_notes_updated"),
            models.Index(fields=["event", "notes_updated_at"], name="searchentry_event_updated"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"Search entry of note {self.note_id}"

    @property
    def item(self) -> Talk | OpenSpace:
        return self.talk if self.talk_id is not None else self.open_space
