"""Running the live engine: /healthz, /metrics, the graceful drain, refusals while the
database is away, storage lag, JSON logs."""

import asyncio
import json
import logging
import sys
import time

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError, connection
from django.test import RequestFactory

from config.logs import JsonFormatter
from notes import views
from notes.health import database_health, is_outage
from notes.livestats import TOTALS
from notes.room import registry_for_loop
from tests.factories import make_event, make_talk
from tests.notes.live import LiveClient, room_flushed, stored_text


@database_sync_to_async
def guest_note() -> int:
    return make_talk(event=make_event(notes_access="guests")).note_id


# --- /healthz and /metrics ----------------------------------------------------------------


def test_healthz_says_alive_without_asking_anything(client):
    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"alive": True})
    assert "no-store" in response["Cache-Control"]


def test_metrics_answers_a_scraper_on_this_machine(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    for name in (
        "confnotes_live_connections",
        "confnotes_live_notes_open",
        "confnotes_live_updates_received_total",
        "confnotes_live_updates_fanned_out_total",
        "confnotes_live_received_bytes_total",
        "confnotes_live_sent_bytes_total",
        "confnotes_live_persist_lag_seconds",
        "confnotes_live_persist_queue_updates",
        "confnotes_live_fanout_latency_seconds_bucket",
        "confnotes_live_peer_heals_total",
        "confnotes_live_database_up",
    ):
        assert f"\n{name}" in body, name


@pytest.mark.parametrize(
    ("remote", "token_setting", "header", "status"),
    [
        ("203.0.113.5", "", "", 404),
        ("203.0.113.5", "s3cret", "", 404),
        ("203.0.113.5", "s3cret", "Bearer wrong", 404),
        ("203.0.113.5", "s3cret", "Bearer s3cret", 200),
        ("::1", "", "", 200),
        ("10.0.0.8", "", "Bearer ", 404),
    ],
    ids=["stranger", "no-token", "wrong-token", "token", "ipv6-loopback", "empty-token"],
)
def test_metrics_is_for_local_or_authorized_scrapers_only(
    client, settings, remote, token_setting, header, status
):
    settings.METRICS_TOKEN = token_setting
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/metrics", REMOTE_ADDR=remote, **extra)

    assert response.status_code == status


# --- the graceful drain (SIGTERM) -----------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_drain_closes_clients_with_1001_stores_everything_and_refuses_newcomers(settings):
    settings.NOTES_LIVE = {**settings.NOTES_LIVE, "PERSIST_INTERVAL": 0.5}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    await ann.append("typed just before the shutdown")
    registry = registry_for_loop(asyncio.get_running_loop())

    late = await registry.drain(within=10)

    assert late == []
    assert await ann.closed() == 1001
    assert ann.frames[-1] == {
        "type": "websocket.close",
        "code": 1001,
        "reason": "server shutting down; reconnect",
    }
    assert await stored_text(note_id) == "typed just before the shutdown"
    newcomer = LiveClient(note_id, name="Bob")
    await newcomer.connect(sync=False)
    assert await newcomer.closed() == 1001
    # /readyz runs on the worker's loop: asked on this one, it says draining.
    response = await views.readyz(RequestFactory().get("/readyz"))
    assert response.status_code == 503
    assert json.loads(response.content)["problems"] == ["draining: shutting down"]


# --- the database away ----------------------------------------------------------------------


@pytest.fixture
def database_down():
    """The live engine believes the database is down (no probe runs: the test ends it)."""
    database_health.down_since = time.monotonic()
    yield
    database_health.down_since = None


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_socket_opened_while_the_database_is_down_is_refused_with_1013(
    database_down,
):
    note_id = await guest_note()
    refused_before = TOTALS.closes[(1013, "server")]
    client = LiveClient(note_id, name="Ann")

    await client.connect(sync=False)

    assert await client.closed() == 1013
    assert client.frames[-1]["reason"] == "database unavailable; reconnecting"
    assert TOTALS.closes[(1013, "server")] == refused_before + 1
    database_health.down_since = None  # it answers again: the next one is served
    again = await LiveClient(note_id, name="Ann").connect()
    assert again.y.synced
    await again.disconnect()


@pytest.mark.django_db
def test_readyz_says_the_database_is_down_without_waiting_for_it(client, database_down):
    started = time.monotonic()
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["problems"] == ["database: not answering"]
    assert time.monotonic() - started < 5  # no connection was waited for


@pytest.mark.django_db
def test_readyz_says_when_the_channel_layers_redis_does_not_answer(client, settings):
    from deploy.cluster import free_port

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["problems"] == ["channel layer: ConnectionError"]


def wrapped(cause: Exception) -> OperationalError:
    """An error as Django raises it: its own class, psycopg's error as the cause."""
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


def test_an_outage_is_postgresql_out_of_reach_not_a_busy_database_or_a_bad_query():
    if connection.vendor != "postgresql":
        # SQLite's "locked" is a busy database: it is waited for, never gated.
        assert is_outage(OperationalError("database is locked")) is False
        return
    import psycopg
    from psycopg_pool import PoolTimeout

    assert is_outage(wrapped(psycopg.OperationalError("connection refused"))) is True
    assert is_outage(wrapped(psycopg.errors.AdminShutdown("terminating connection"))) is True
    assert is_outage(wrapped(PoolTimeout("couldn't get a connection after 5.00 sec"))) is True
    assert is_outage(wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))) is False
    assert is_outage(wrapped(psycopg.errors.UniqueViolation("duplicate key"))) is False


# --- storage lag ----------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_storage_lag_grows_while_updates_wait_and_is_zero_once_stored(settings):
    settings.NOTES_LIVE = {**settings.NOTES_LIVE, "PERSIST_INTERVAL": 0.3}
    note_id = await guest_note()
    ann = await LiveClient(note_id, name="Ann").connect()
    room = registry_for_loop(asyncio.get_running_loop()).rooms[note_id]
    await room_flushed(note_id)

    await ann.append("one")
    await ann.append(" two")
    await ann.pump()
    queued_at = room.loop.time()
    assert room.writer.queued in (1, 2)  # one may be in the batch being written
    assert room.writer.lag(queued_at + 1.0) >= 1.0

    await room_flushed(note_id)
    assert (room.writer.queued, room.writer.lag(room.loop.time())) == (0, 0.0)
    await ann.disconnect()


# --- JSON logs ------------------------------------------------------------------------------


def test_json_log_lines_are_one_object_each_with_the_exception():
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "notes.live", logging.ERROR, __file__, 1, "storing note %s failed", (7,), sys.exc_info()
        )
    record.note = 7

    line = formatter.format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert {k: entry[k] for k in ("level", "logger", "message", "note")} == {
        "level": "ERROR",
        "logger": "notes.live",
        "message": "storing note 7 failed",
        "note": 7,
    }
    assert entry["exception"].endswith("ValueError: boom")
    assert entry["time"].endswith("+00:00")
