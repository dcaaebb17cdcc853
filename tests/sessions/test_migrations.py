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
