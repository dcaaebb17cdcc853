"""Whether the database answers, as this process last saw it.

While PostgreSQL is down, every database call of the live engine would wait for
psycopg's pool (up to its timeout) in one of the few executor threads, and the
pool itself retries connecting with an exponential backoff, so it may still
refuse for seconds after the server is back. Instead:

- The first call that fails for want of a database marks it *down* (`report`).
- While it is down, `run_db` fails at once with `DatabaseUnavailable`, without
  touching the pool: writers keep their updates and retry, new connections are
  refused with a clear close code, and no thread waits.
- A probe thread connects directly (not through the pool) a few times a second;
  the first success marks the database up again and replaces the pool, whose own
  backoff would otherwise delay the first connection after the outage.

Only PostgreSQL is gated: SQLite is a file, and its "database is locked" is a
busy database, not a missing one.
"""

import logging
import threading
import time

from django.db import InterfaceError, OperationalError, connections

log = logging.getLogger("notes.live")

PROBE_INTERVAL = 0.25
PROBE_TIMEOUT = 2


class DatabaseUnavailable(OperationalError):
    """The database did not answer lately; nothing was tried."""


# SQLSTATEs of a server that is going away or not there yet (a psycopg error without
# one never reached a server at all).
_OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")


def is_outage(exc: BaseException) -> bool:
    """Whether `exc` means PostgreSQL is unreachable (not a constraint, not a bad query,
    not a deadlock)."""
    if isinstance(exc, DatabaseUnavailable):
        return True
    if connections["default"].vendor != "postgresql":
        return False
    try:
        import psycopg
    except ImportError:  # pragma: no cover - PostgreSQL support not installed
        return False
    # Django wraps psycopg's errors; the original is the cause.
    cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    if isinstance(exc, InterfaceError) and not isinstance(cause, psycopg.Error):
        return True  # "connection already closed"
    if not isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
        return False  # includes psycopg_pool.PoolTimeout (an OperationalError)
    state = getattr(cause, "sqlstate", None)
    return state is None or state.startswith(_OUTAGE_STATES)


class DatabaseHealth:
    """One per process (its threads and event loops share it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.down_since: float | None = None
        self.outages = 0
        self._probe: threading.Thread | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def check(self) -> None:
        """Raise DatabaseUnavailable at once while the database is known to be down."""
        if self.down_since is not None:
            raise DatabaseUnavailable("the database is not answering")

    def report(self, exc: BaseException) -> bool:
        """Note a failure; returns whether it is an outage (the database is now down)."""
        if isinstance(exc, DatabaseUnavailable):
            return True
        if not is_outage(exc):
            return False
        with self._lock:
            if self.down_since is None:
                self.down_since = time.monotonic()
                self.outages += 1
                log.warning("the database is not answering (%r); probing until it does", exc)
            if self._probe is None or not self._probe.is_alive():
                self._probe = threading.Thread(
                    target=self._probe_until_up, name="database-probe", daemon=True
                )
                self._probe.start()
        return True

    def _probe_until_up(self) -> None:
        while True:
            time.sleep(PROBE_INTERVAL)
            if _database_answers_directly():
                break
        _replace_pool()
        with self._lock:
            since, self.down_since = self.down_since, None
        log.warning(
            "the database answers again (after %.1f s)",
            time.monotonic() - since if since is not None else 0.0,
        )


def _database_answers_directly() -> bool:
    """Connect without the pool, run one query, disconnect."""
    wrapper = connections["default"]
    try:
        import psycopg

        params = wrapper.get_connection_params()
        kwargs = {
            key: value
            for key, value in params.items()
            if key not in ("cursor_factory", "context", "prepare_threshold", "server_side_binding")
        }
        kwargs["connect_timeout"] = PROBE_TIMEOUT
        with psycopg.connect(**kwargs, autocommit=True) as conn:
            conn.execute("SELECT 1")
        return True
    except Exception:
        return False


def _replace_pool() -> None:
    """Drop psycopg's pool: the next connection opens a fresh one, at once, instead of
    waiting for the old pool's next reconnection attempt (its backoff doubles up to
    minutes). Connections still checked out of the old pool close when returned."""
    wrapper = connections["default"]
    if getattr(wrapper, "pool", None) is None:
        return
    try:
        wrapper.close_pool()
    except Exception:
        log.exception("replacing the database pool failed")


database_health = DatabaseHealth()
