import pytest
from django.db import connections

from tests.notes.servers import Server, ServerDatabase


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """The live engine's worker threads return connections to psycopg's pool, which
    keeps them open: close it before pytest-django drops the test database."""
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            if getattr(connection, "pool", None) is not None:
                connection.close_pool()


# Real server processes (tests/notes/servers.py): one throwaway database per test module,
# and the uvicorn processes a test starts, stopped after it.
@pytest.fixture(scope="module")
def database(tmp_path_factory):
    db = ServerDatabase(tmp_path_factory.mktemp("servers"))
    yield db
    db.drop()


@pytest.fixture
def servers(database, tmp_path):
    started: list[Server] = []

    def start(**env) -> Server:
        server = Server(database, tmp_path, **env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
