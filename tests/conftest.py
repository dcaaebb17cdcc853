import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import uvicorn
from asgiref.sync import SyncToAsync
from django.db import connections

# pytest-django's live server and Playwright's sync API share the main thread's
# event loop; Django refuses sync ORM calls there unless told it is safe (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"
IN_CI = bool(os.environ.get("CI"))


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium: skip them locally without it, never in CI.

    They also run last: Playwright's sync API keeps an event loop running on the main
    thread once it has started, and pytest-asyncio tests after it would then fail
    ("Runner.run() cannot be called from a running event loop").
    """
    items.sort(key=lambda item: "e2e" in item.keywords)  # stable: keeps the order otherwise
    if chromium_path() or IN_CI:
        return
    skip = pytest.mark.skip(reason="chromium is not installed (apt-get install -y chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_limit_counters(settings):
    """Every test counts its rate limits (ours and allauth's) from zero: the cache gets a
    key prefix of the test's own. (Redis may be shared: it is never flushed.)"""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-{uuid.uuid4().hex[:12]}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _live_writes_settle():
    """After each test, wait for the live engine's database threads to finish what they
    were given (a room's last revision, a micro-batch) before pytest-django flushes the
    test database: on PostgreSQL a flush meeting such a write deadlocks.

    Set up after pytest-django's own autouse fixture (plugins' come first), so torn down
    before its flush; a test's event loop is torn down earlier still.
    """
    yield
    from notes import persistence  # imported late: models need Django set up

    persistence.wait_until_idle()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = chromium_path()
    if path is None:
        pytest.fail("CI needs Debian's chromium on PATH (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": [
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
        ],
    }


@pytest.fixture
def shared_fixture():
    """Path of a fixture file kept beside the repository (`SHARED_FIXTURES`); may skip
    only outside CI."""

    def locate(name: str) -> Path:
        path = SHARED_FIXTURES / name
        if not path.exists():
            if IN_CI:
                pytest.fail(f"{path} is missing in CI")
            pytest.skip(f"{path} is not available outside the shared workspace")
        return path

    return locate


@pytest.fixture
def asgi_live_server(transactional_db):
    """Base URL ("http://127.0.0.1:PORT") of the whole ASGI app — HTTP and WebSockets —
    served by uvicorn for one test, against the test database.

    Why this shape:
    - uvicorn runs in a thread of the test process, not in a subprocess: on SQLite,
      pytest-django's test database is in memory (shared cache) and only this process
      can see it. On PostgreSQL it works the same way.
    - `transactional_db`: the server's threads use their own connections, so the data
      a test creates must be committed to be seen (and is flushed afterwards).
    - The channel layer is whatever settings say (in-memory, or Redis with REDIS_URL);
      everything that broadcasts runs inside the server, so both work.
    - The socket is bound before the thread starts, so there is no port race.
    - Make changes through the server (HTTP, or a browser page), or with plain
      factories. A service called on the test's own thread broadcasts from that thread,
      and the in-memory channel layer cannot hand messages across threads' event loops.
    Stop it early (e.g. to test reconnection) with `asgi_live_server.stop()`; the
    returned object is a `str` subclass carrying `.stop()`.
    """
    from config.asgi import application  # imported late: it sets Django up

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        application,
        ws="notes.server_protocol:LiveWebSocketProtocol",
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the ASGI live server did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(15)
        sock.close()

    class LiveURL(str):
        pass

    url = LiveURL(f"http://127.0.0.1:{port}")
    url.stop = stop
    yield url
    if thread.is_alive():
        stop()
    # Sync views and consumers' queries ran in asgiref's thread-sensitive executor
    # thread, which outlives the server: close its connections (and ours), then the
    # process-wide psycopg pool, so no session outlives the test database.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
    connections.close_all()
    for conn in connections.all(initialized_only=True):
        if hasattr(conn, "close_pool"):
            conn.close_pool()
