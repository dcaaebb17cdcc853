"""The data migration that turned `Event.organizers` into `EventRole` rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("conf_sessions", "0005_link_talk_speakers")]
AFTER = [("conf_sessions", "0006_eventrole_invites_moderation")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_organizers_become_organizer_roles_and_back():
    old = migrate(BEFORE)
    User = old.get_model("auth", "User")
    Event = old.get_model("conf_sessions", "Event")
    ada, bob = User.objects.create(username="ada"), User.objects.create(username="bob")
    one = Event.objects.create(
        name="One", slug="one", start_date="2026-06-10", end_date="2026-06-10"
    )
    two = Event.objects.create(
        name="Two", slug="two", start_date="2026-06-10", end_date="2026-06-10"
    )
    one.organizers.add(ada, bob)
    two.organizers.add(bob)

    new = migrate(AFTER)
    roles = new.get_model("conf_sessions", "EventRole").objects.values_list(
        "event__slug", "user__username", "role"
    )
    assert sorted(roles) == [
        ("one", "ada", "organizer"),
        ("one", "bob", "organizer"),
        ("two", "bob", "organizer"),
    ]

    back = migrate(BEFORE)
    organizers = back.get_model("conf_sessions", "Event").organizers.through.objects.values_list(
        "event__slug", "user__username"
    )
    assert sorted(organizers) == [("one", "ada"), ("one", "bob"), ("two", "bob")]
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


# --- The live-safety migrations: notes 0002 (Note.locked), 0003 (contributors kept
# apart), conf_sessions 0009 (GuestNoteName folded into the contributors) ---------------

BEFORE_SAFETY = [("notes", "0001_initial"), ("conf_sessions", "0008_search_index")]


def leaf():
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def old_talk(apps, *, notes: str = ""):
    Event = apps.get_model("conf_sessions", "Event")
    Note = apps.get_model("notes", "Note")
    Talk = apps.get_model("conf_sessions", "Talk")
    event = Event.objects.create(
        name="Old Conf", slug="old-conf", start_date="2026-06-10", end_date="2026-06-10"
    )
    note = Note.objects.create(markdown=notes)
    return Talk.objects.create(event=event, note=note, title="Keynote", slug="keynote")


@pytest.mark.django_db(transaction=True)
def test_the_search_index_follows_notes_written_after_the_notes_migrations():
    # A database that had the search index (its triggers, one on notes_note) before
    # Note.locked was added: SQLite must not lose the trigger to a copy of the table.
    old_talk(migrate(BEFORE_SAFETY))

    leaf()
    from sessions.models import Talk
    from tests.sessions.archive.search_helpers import titles, write_notes

    write_notes(Talk.objects.get(slug="keynote"), "- rolling out kubernetes")

    assert titles("kubernetes") == ["Keynote"]


@pytest.mark.django_db(transaction=True)
def test_guest_note_names_become_the_guest_keys_of_their_contributors():
    old = migrate(BEFORE_SAFETY)
    note_id = old_talk(old).note_id
    Contributor = old.get_model("notes", "NoteContributor")
    GuestNoteName = old.get_model("conf_sessions", "GuestNoteName")
    for name in ("Al", "Bo", "Cy"):
        Contributor.objects.create(note_id=note_id, name=name)
    GuestNoteName.objects.create(guest_key="browser-1", note_id=note_id, name="Al")
    # Two browsers wrote as Bo: nobody can tell whose the credit is.
    GuestNoteName.objects.create(guest_key="browser-1", note_id=note_id, name="Bo")
    GuestNoteName.objects.create(guest_key="browser-2", note_id=note_id, name="Bo")

    new = leaf()

    rows = new.get_model("notes", "NoteContributor").objects.filter(note_id=note_id)
    assert sorted(rows.values_list("name", "user_id", "guest_key")) == [
        ("Al", None, "browser-1"),
        ("Bo", None, ""),
        ("Cy", None, ""),
    ]
