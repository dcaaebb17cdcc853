"""One cluster for the fault tests (deploy/cluster.py): nginx in front of two workers, on
a private PostgreSQL and a private Redis that the tests stop and start. Every test
gets the cluster whole again (workers, PostgreSQL, Redis running) and a note of its own.
"""

import contextlib
import json
import time

import psycopg
import pytest
from pycrdt import Doc, Text, merge_updates

from deploy.cluster import Cluster, http_get

# What the tests tune: a small budget of bytes queued per slow client, so a reader
# that stops reading is closed within the few MB a test pastes.
MAX_QUEUED_BYTES = 1024 * 1024
NOTES_LIVE = {"MAX_QUEUED_BYTES": MAX_QUEUED_BYTES, "CLOSE_TIMEOUT": 15, "STATS_INTERVAL": 1.0}


class Faults:
    """The cluster, and what the tests read from it (its database, directly)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self._notes: list[int] = []

    @property
    def origin(self) -> str:
        return self.cluster.url

    def new_note(self) -> int:
        if not self._notes:
            code = (
                "import uuid; from tests.factories import make_event, make_talk\n"
                "event = make_event(slug='faults-' + uuid.uuid4().hex[:8], notes_access='guests')\n"
                "print(' '.join(str(make_talk(event=event, title=f'Talk {i}').note_id)"
                " for i in range(12)))"
            )
            output = self.cluster.manage("shell", "-c", code)
            self._notes = [int(n) for n in output.strip().splitlines()[-1].split()]
        return self._notes.pop(0)

    def _query(self, sql: str, params: list):
        with psycopg.connect(self.cluster.database_url, connect_timeout=5) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                return [conn.execute(q, p).fetchall() for q, p in zip(sql, params, strict=True)]

    def markdown(self, note_id: int) -> str:
        [[(markdown,)]] = self._query(
            ["SELECT markdown FROM notes_note WHERE id = %s"], [[note_id]]
        )
        return markdown

    def stored_text(self, note_id: int) -> str:
        """The text of the stored CRDT document (checkpoint + log), read in one snapshot."""
        note, rows = self._query(
            [
                "SELECT checkpoint, checkpoint_seq FROM notes_note WHERE id = %s",
                "SELECT data FROM notes_noteupdate n JOIN notes_note o ON o.id = n.note_id "
                "WHERE n.note_id = %s AND n.id > o.checkpoint_seq ORDER BY n.id",
            ],
            [[note_id], [note_id]],
        )
        checkpoint = bytes(note[0][0])
        parts = ([checkpoint] if checkpoint else []) + [bytes(row[0]) for row in rows]
        doc = Doc()
        text = doc.get("content", type=Text)
        if parts:
            doc.apply_update(merge_updates(*parts) if len(parts) > 1 else parts[0])
        return str(text)

    def metrics(self) -> str:
        status, body = http_get(f"{self.cluster.url}/metrics")
        assert status == 200, body
        return body.decode()

    def metric(self, name: str) -> float:
        for line in self.metrics().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"no metric {name}")

    def restore(self) -> None:
        """Everything running again, as at the start."""
        cluster = self.cluster
        if not cluster.postgres.running:
            cluster.postgres.start()
        if not cluster.redis.running:
            cluster.redis.start()
        restarted = False
        for worker in cluster.workers:
            if not worker.running:
                worker._forget()
                worker.start()
                restarted = True
        deadline = time.monotonic() + 60
        while not all(worker.readyz()[0] == 200 for worker in cluster.workers):
            assert time.monotonic() < deadline, [w.readyz() for w in cluster.workers]
            time.sleep(0.2)
        if restarted:
            # nginx skips a worker that refused a connection for fail_timeout (5 s, see
            # deploy/cluster.py): until that passes, every new socket goes to the other
            # worker, and the next scenario would not spread over both.
            time.sleep(5.5)

    def logs(self) -> str:
        parts = []
        for worker in self.cluster.workers:
            with contextlib.suppress(OSError):
                parts.append(f"--- worker {worker.index}\n{worker.log_text()[-4000:]}")
        return "\n".join(parts)

    def describe(self) -> str:
        return json.dumps(self.cluster.describe())


@pytest.fixture(scope="session")
def cluster_under_test():
    cluster = Cluster(
        workers=2,
        private=True,
        env={"NOTES_LIVE": json.dumps(NOTES_LIVE), "NOTES_LOG_LEVEL": "INFO"},
    )
    cluster.start()
    yield Faults(cluster)
    cluster.stop()


@pytest.fixture
def faults(cluster_under_test):
    cluster_under_test.restore()
    yield cluster_under_test
    cluster_under_test.restore()
