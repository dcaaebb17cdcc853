import pytest
from django.db import connections


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """The live engine's worker threads return connections to psycopg's pool, which
    keeps them open: close it before pytest-django drops the test database."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()
