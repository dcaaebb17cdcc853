from django.db import migrations

# A search entry's `notes_updated_at` is None while its note holds nothing but white
# space, not only while it is empty: an emptied live document keeps a newline, and it
# has no notes to list in a feed or to count on /events/, which counts the entries with
# an index-only scan of `searchentry_event_updated` instead of reading every note.
#
# 0008 tested `markdown <> ''`. This migration puts the trimmed test into the trigger
# code of both vendors, frozen here like 0008's, and corrects the entries of blank notes;
# going back restores 0008's test (the SQL below is written once, for either test).
# No table is altered: no SQLite table remake, so no trigger is lost on the way.


class VendorSQL(migrations.RunSQL):
    """RunSQL for one database vendor; a no-op on the others."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor, kwargs.pop("sql"), kwargs.pop("reverse_sql")], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# The white space an emptied editor leaves (the same characters browse_selectors trims).
PG_WRITTEN = r"btrim({text}, E' \t\r\n') <> ''"
SQLITE_WRITTEN = "trim({text}, char(32, 9, 13, 10)) <> ''"
EMPTY_0008 = "{text} <> ''"


# --- PostgreSQL ---------------------------------------------------------------------
# 0008's function with the test of written notes as a parameter; its triggers call it
# by name, so replacing the function is enough.
_PG_REFRESH = r"""
CREATE OR REPLACE FUNCTION conf_sessions_search_refresh(target bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO conf_sessions_searchentry AS e
        (note_id, event_id, talk_id, open_space_id, kind, notes_updated_at, title_vector, vector)
    SELECT n.id, t.event_id, t.id, NULL, t.kind,
           CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END,
           to_tsvector('english', t.title),
           setweight(to_tsvector('english', t.title), 'A')
           || setweight(to_tsvector('english', t.speakers), 'B')
           || setweight(to_tsvector('english', t.abstract), 'C')
           || setweight(to_tsvector('english', left(n.markdown, 200000)), 'D')
    FROM conf_sessions_talk t JOIN notes_note n ON n.id = t.note_id
    WHERE t.note_id = target
    UNION ALL
    SELECT n.id, o.event_id, NULL, o.id, 'open-space',
           CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END,
           to_tsvector('english', o.title),
           setweight(to_tsvector('english', o.title), 'A')
           || setweight(to_tsvector('english', o.host), 'B')
           || setweight(to_tsvector('english', o.description), 'C')
           || setweight(to_tsvector('english', left(n.markdown, 200000)), 'D')
    FROM conf_sessions_openspace o JOIN notes_note n ON n.id = o.note_id
    WHERE o.note_id = target AND o.status <> 'withdrawn' AND NOT o.hidden
    ON CONFLICT (note_id) DO UPDATE SET
        event_id = EXCLUDED.event_id,
        talk_id = EXCLUDED.talk_id,
        open_space_id = EXCLUDED.open_space_id,
        kind = EXCLUDED.kind,
        notes_updated_at = EXCLUDED.notes_updated_at,
        title_vector = EXCLUDED.title_vector,
        vector = EXCLUDED.vector;
    IF NOT FOUND THEN  -- the item is gone, withdrawn or hidden
        DELETE FROM conf_sessions_searchentry WHERE note_id = target;
    END IF;
END
$$;
"""
# Existing entries, corrected in one statement (not one refresh per note, which would
# recompute every vector).
_PG_ENTRIES = r"""
UPDATE conf_sessions_searchentry e
SET notes_updated_at =
    CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END
FROM notes_note n
WHERE n.id = e.note_id
  AND (e.notes_updated_at IS NULL) IS DISTINCT FROM (NOT ({written}));
"""


def _postgresql(written: str) -> str:
    test = written.format(text="n.markdown")
    return _PG_REFRESH.format(written=test) + _PG_ENTRIES.format(written=test)


# --- SQLite ---------------------------------------------------------------------------
# SQLite triggers cannot call a shared routine: the five of 0008 that test a note's text
# are dropped and created again, as 0008 wrote them but for that test.
_SQLITE_WORDS_FORGET = """
    INSERT INTO conf_sessions_searchwords
        (conf_sessions_searchwords, rowid, title, people, body, notes)
    SELECT 'delete', rowid, title, people, body, notes
    FROM conf_sessions_searchfts WHERE rowid = {note_id};
"""
_SQLITE_WORDS_LEARN = """
    INSERT INTO conf_sessions_searchwords (rowid, title, people, body, notes)
    SELECT rowid, title, people, body, notes
    FROM conf_sessions_searchfts WHERE rowid = {note_id};
"""
_SQLITE_TALK_ROWS = """
    INSERT INTO conf_sessions_searchentry
        (note_id, event_id, talk_id, open_space_id, kind, notes_updated_at)
    SELECT NEW.note_id, NEW.event_id, NEW.id, NULL, NEW.kind,
           CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END
    FROM notes_note n WHERE n.id = NEW.note_id;
    INSERT INTO conf_sessions_searchfts (rowid, title, people, body, notes, scope)
    SELECT NEW.note_id, NEW.title, NEW.speakers, NEW.abstract, n.markdown,
           'e' || NEW.event_id || ' k' || NEW.kind
    FROM notes_note n WHERE n.id = NEW.note_id;
""" + _SQLITE_WORDS_LEARN.format(note_id="NEW.note_id")
_SQLITE_OPEN_SPACE_ROWS = """
    INSERT INTO conf_sessions_searchentry
        (note_id, event_id, talk_id, open_space_id, kind, notes_updated_at)
    SELECT NEW.note_id, NEW.event_id, NULL, NEW.id, 'open-space',
           CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END
    FROM notes_note n WHERE n.id = NEW.note_id AND NEW.status <> 'withdrawn' AND NOT NEW.hidden;
    INSERT INTO conf_sessions_searchfts (rowid, title, people, body, notes, scope)
    SELECT NEW.note_id, NEW.title, NEW.host, NEW.description, n.markdown,
           'e' || NEW.event_id || ' kopenspace'
    FROM notes_note n WHERE n.id = NEW.note_id AND NEW.status <> 'withdrawn' AND NOT NEW.hidden;
""" + _SQLITE_WORDS_LEARN.format(note_id="NEW.note_id")
_SQLITE_DELETE_OLD = _SQLITE_WORDS_FORGET.format(note_id="OLD.note_id") + """
    DELETE FROM conf_sessions_searchentry WHERE note_id = OLD.note_id;
    DELETE FROM conf_sessions_searchfts WHERE rowid = OLD.note_id;
"""
_SQLITE_TRIGGERS = f"""
DROP TRIGGER conf_sessions_search_talk_insert;
DROP TRIGGER conf_sessions_search_talk_update;
DROP TRIGGER conf_sessions_search_openspace_insert;
DROP TRIGGER conf_sessions_search_openspace_update;
DROP TRIGGER conf_sessions_search_note_update;

CREATE TRIGGER conf_sessions_search_talk_insert AFTER INSERT ON conf_sessions_talk
BEGIN {_SQLITE_TALK_ROWS} END;
CREATE TRIGGER conf_sessions_search_talk_update
AFTER UPDATE OF title, speakers, abstract, kind, event_id, note_id ON conf_sessions_talk
WHEN OLD.title IS NOT NEW.title OR OLD.speakers IS NOT NEW.speakers
     OR OLD.abstract IS NOT NEW.abstract OR OLD.kind IS NOT NEW.kind
     OR OLD.event_id IS NOT NEW.event_id OR OLD.note_id IS NOT NEW.note_id
BEGIN {_SQLITE_DELETE_OLD} {_SQLITE_TALK_ROWS} END;

CREATE TRIGGER conf_sessions_search_openspace_insert AFTER INSERT ON conf_sessions_openspace
BEGIN {_SQLITE_OPEN_SPACE_ROWS} END;
CREATE TRIGGER conf_sessions_search_openspace_update
AFTER UPDATE OF title, host, description, status, hidden, event_id, note_id ON conf_sessions_openspace
WHEN OLD.title IS NOT NEW.title OR OLD.host IS NOT NEW.host
     OR OLD.description IS NOT NEW.description OR OLD.status IS NOT NEW.status
     OR OLD.hidden IS NOT NEW.hidden
     OR OLD.event_id IS NOT NEW.event_id OR OLD.note_id IS NOT NEW.note_id
BEGIN {_SQLITE_DELETE_OLD} {_SQLITE_OPEN_SPACE_ROWS} END;

-- The live engine stores Markdown with a queryset .update(): only a trigger sees it.
CREATE TRIGGER conf_sessions_search_note_update AFTER UPDATE OF markdown ON notes_note
WHEN OLD.markdown IS NOT NEW.markdown
BEGIN
    UPDATE conf_sessions_searchentry
    SET notes_updated_at =
        CASE WHEN {{new_written}} THEN coalesce(NEW.markdown_updated_at, NEW.created_at) END
    WHERE note_id = NEW.id;
    {_SQLITE_WORDS_FORGET.format(note_id="NEW.id")}
    UPDATE conf_sessions_searchfts SET notes = NEW.markdown WHERE rowid = NEW.id;
    {_SQLITE_WORDS_LEARN.format(note_id="NEW.id")}
END;
"""
_SQLITE_ENTRIES = """
UPDATE conf_sessions_searchentry
SET notes_updated_at = (
    SELECT CASE WHEN {written} THEN coalesce(n.markdown_updated_at, n.created_at) END
    FROM notes_note n WHERE n.id = conf_sessions_searchentry.note_id
)
WHERE (notes_updated_at IS NULL) IS NOT (
    SELECT NOT ({written}) FROM notes_note n WHERE n.id = conf_sessions_searchentry.note_id
);
"""


def _sqlite(written: str) -> str:
    test = written.format(text="n.markdown")
    return _SQLITE_TRIGGERS.format(
        written=test, new_written=written.format(text="NEW.markdown")
    ) + _SQLITE_ENTRIES.format(written=test)


class Migration(migrations.Migration):
    dependencies = [
        ("conf_sessions", "0009_guest_note_names_to_contributors"),
    ]

    operations = [
        VendorSQL("postgresql", _postgresql(PG_WRITTEN), _postgresql(EMPTY_0008)),
        VendorSQL("sqlite", _sqlite(SQLITE_WRITTEN), _sqlite(EMPTY_0008)),
    ]
