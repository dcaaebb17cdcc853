"""Editors for the fault tests: y-websocket clients that behave like the browser editor.

An `Editor` keeps its document across connections (the browser keeps it in
IndexedDB), types whether or not it is connected, and reconnects with a short
backoff whenever its socket closes, for any reason, resyncing both ways (its
sync step 1, the server's step 2, the server's step 1 and its own step 2), as
y-websocket does. Every marker it types is remembered, so a test can tell
exactly which edits were lost.
"""

import asyncio
import contextlib
import random
import socket
import time
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import connect

from notes.client import DocClient


@dataclass
class Close:
    code: int | None
    reason: str
    at: float = field(default_factory=time.monotonic)


class Editor:
    def __init__(
        self,
        url: str,
        origin: str,
        *,
        name: str,
        small_window: bool = False,
        reconnect: bool = True,
    ):
        self.url = url
        self.origin = origin
        self.name = name
        self.small_window = small_window
        self.reconnect = reconnect
        self.y = DocClient()
        self.typed: list[str] = []
        self.closes: list[Close] = []
        self.refused: list[str] = []  # handshakes the server refused (HTTP status)
        self.connects = 0
        self.ws = None
        self.synced = asyncio.Event()
        self.reading = asyncio.Event()
        self.reading.set()
        self._stop = False
        self._task: asyncio.Task | None = None

    @property
    def text(self) -> str:
        return str(self.y)

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.synced.is_set()

    def start(self) -> "Editor":
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def stop(self) -> None:
        self._stop = True
        self.reading.set()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def _socket(self) -> socket.socket | None:
        if not self.small_window:
            return None
        # A small receive window, so that the server's socket fills after little data,
        # as for a phone on bad Wi-Fi.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = self.url.split("//", 1)[1].split("/", 1)[0].split(":")
        sock.connect((host, int(port)))
        return sock

    async def _run(self) -> None:
        backoff = 0.1
        while not self._stop:
            try:
                await self._session()
                backoff = 0.1
            except (OSError, TimeoutError, websockets.InvalidHandshake) as exc:
                if isinstance(exc, websockets.InvalidStatus):
                    self.refused.append(str(exc.response.status_code))
                self.closes.append(Close(None, f"connect failed: {exc!r}"))
            if self._stop or not self.reconnect:
                return
            await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, 1.0)

    async def _session(self) -> None:
        self.synced.clear()
        ws = await connect(
            self.url,
            origin=self.origin,
            sock=self._socket(),
            max_size=None,
            max_queue=1 if self.small_window else 16,
            open_timeout=10,
            ping_interval=None,
        )
        self.ws = ws
        self.connects += 1
        try:
            await ws.send(self.y.sync_step1())
            while True:
                await self.reading.wait()
                frame = await ws.recv()
                for reply in self.y.receive(frame):
                    await ws.send(reply)
                if not self.synced.is_set() and self.y.synced:
                    self.synced.set()
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            self.closes.append(Close(frame.code if frame else None, frame.reason if frame else ""))
        finally:
            self.ws = None
            self.y.synced = False
            self.synced.clear()

    async def type(self, marker: str) -> None:
        """Insert `marker ` at a word boundary; sent now if connected, else on resync."""
        text = self.text
        starts = [0] + [i + 1 for i, char in enumerate(text) if char == " "]
        index = random.choice(starts[-5:])  # near the end, where note-takers write
        frame = self.y.insert(index, f"{marker} ")
        self.typed.append(marker)
        ws = self.ws
        if ws is not None and frame is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(frame)

    async def paste(self, chunk: str) -> None:
        frame = self.y.append(chunk)
        ws = self.ws
        if ws is not None:
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(frame)


class Fleet:
    """`size` editors on one note, all through one URL (nginx)."""

    def __init__(self, url: str, origin: str, *, size: int = 20, prefix: str = "e"):
        self.prefix = prefix
        self.editors = [Editor(url, origin, name=f"{prefix}{n:02d}") for n in range(size)]

    async def start(self, *, within: float = 60) -> "Fleet":
        for editor in self.editors:
            editor.start()
        await wait_until(
            lambda: all(editor.synced.is_set() for editor in self.editors),
            within=within,
            what="every editor connected and synced",
        )
        return self

    async def type(self, *, seconds: float, interval: float = 0.4, tag: str = "") -> None:
        """Every editor types one marker per `interval` (jittered) for `seconds`."""

        async def typist(editor: Editor) -> None:
            deadline = time.monotonic() + seconds
            count = 0
            await asyncio.sleep(random.uniform(0, interval))
            while time.monotonic() < deadline:
                await editor.type(f"{editor.name}{tag}.{count}")
                count += 1
                await asyncio.sleep(interval * random.uniform(0.7, 1.3))

        await asyncio.gather(*(typist(editor) for editor in self.editors))

    @property
    def typed(self) -> set[str]:
        return {marker for editor in self.editors for marker in editor.typed}

    async def stop(self) -> None:
        await asyncio.gather(*(editor.stop() for editor in self.editors))


async def wait_until(predicate, *, within: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + within
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(interval)


async def fresh_text(url: str, origin: str, *, within: float = 20) -> str:
    """The text a newcomer syncs to at `url` (a brand-new document, one connection)."""
    doc = DocClient()
    async with asyncio.timeout(within):
        async with connect(url, origin=origin, max_size=None, open_timeout=10) as ws:
            await ws.send(doc.sync_step1())
            while not doc.synced:
                for reply in doc.receive(await ws.recv()):
                    await ws.send(reply)
    return str(doc)
