"""Real server processes: a restart on the same database, two processes over Redis."""

import os
import uuid

import pytest

from tests.conftest import IN_CI
from tests.notes.servers import WsClient

pytestmark = pytest.mark.asyncio


def redis_url() -> str:
    """REDIS_URL, or a local Redis when one answers; CI always has one."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/3"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if IN_CI:
            pytest.fail(f"CI needs Redis at {url}")
        pytest.skip(f"no Redis at {url}")
    return url


async def test_edits_survive_a_server_crash_and_restart(database, servers):
    note_id = database.new_guest_note()
    first = servers()
    client = await WsClient(first, note_id).connect()
    await client.append("typed before the crash")
    # Every update is in the database within a fraction of a second.
    await client.until(lambda: database.update_rows(note_id) >= 1, within=5)

    first.kill()
    second = servers()
    fresh = await WsClient(second, note_id, name="Bob").connect()

    assert fresh.text == "typed before the crash"
    await fresh.close()


async def test_two_server_processes_on_redis_converge(database, servers):
    env = {"REDIS_URL": redis_url(), "REDIS_PREFIX": f"confnotes-test-{uuid.uuid4().hex[:8]}"}
    note_id = database.new_guest_note()
    worker_a, worker_b = servers(**env), servers(**env)
    ann = await WsClient(worker_a, note_id, name="Ann").connect()
    bob = await WsClient(worker_b, note_id, name="Bob").connect()

    for i in range(5):
        await ann.append(f"a{i} ")
        await bob.append(f"b{i} ")
    await ann.until(lambda: len(ann.text) == 30)
    await bob.until(lambda: bob.text == ann.text)

    assert sorted(ann.text.split()) == [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]
    await ann.close()
    await bob.close()
    # A newcomer on either worker gets the whole text from that worker alone.
    carol = await WsClient(worker_a, note_id, name="Carol").connect()
    dave = await WsClient(worker_b, note_id, name="Dave").connect()
    assert carol.text == dave.text == bob.text
    await carol.close()
    await dave.close()
