"""notes/layer.py: one channel read for as long as the process lives."""

import asyncio

import pytest
from channels.layers import InMemoryChannelLayer

from notes.layer import receive_forever

pytestmark = pytest.mark.asyncio


class FlakyLayer(InMemoryChannelLayer):
    """Its first receive fails, as Redis does while restarting."""

    def __init__(self):
        super().__init__()
        self.failures = 1

    async def receive(self, channel):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("redis restarting")
        return await super().receive(channel)


async def test_a_bad_message_and_a_failed_receive_do_not_stop_the_ones_after(caplog):
    layer = FlakyLayer()
    channel = await layer.new_channel("test.")
    handled = []

    def handle(message):
        if message["n"] == 1:
            raise ValueError("bad message")
        handled.append(message["n"])

    for n in (1, 2, 3):
        await layer.send(channel, {"type": "t", "n": n})
    task = asyncio.get_running_loop().create_task(
        receive_forever(layer, channel, handle, what="test messages")
    )
    async with asyncio.timeout(5):
        while handled != [2, 3]:  # noqa: ASYNC110 - a short poll in a test
            await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r.getMessage() for r in caplog.records] == [
        "receiving test messages failed: ConnectionError('redis restarting')",
        "handling one of the test messages failed",
    ]
