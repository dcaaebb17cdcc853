"""Helpers for the live-notes tests: a pycrdt client on a Channels WebsocketCommunicator."""

import asyncio
import time
from urllib.parse import quote

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from pycrdt import Text

from config.asgi import application
from notes import persistence
from notes.client import DocClient
from notes.room import registry_for_loop

ORIGIN = b"http://testserver"


def _table_locked(exc: Exception) -> bool:
    """SQLite's shared-cache lock of the in-memory test database: a read that meets a
    table another connection is writing fails at once (SQLITE_LOCKED, which no busy
    timeout waits for). The embedded default's file database is in WAL mode, where
    readers never wait for writers; in the tests, a poll that meets one tries again."""
    return isinstance(exc, OperationalError) and "is locked" in str(exc)


async def _unlocked(read, *, within: float = 5.0):
    """Await `read()`, again while it meets a table locked by a writer (_table_locked)."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await read()
        except OperationalError as exc:
            if not _table_locked(exc) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.02)


async def _ask(predicate):
    result = predicate()
    return await result if asyncio.iscoroutine(result) else result


async def eventually(predicate, *, within: float = 5.0, interval: float = 0.02, message=""):
    """Poll an (async or sync) predicate until it holds; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        result = await _unlocked(lambda: _ask(predicate), within=remaining)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {within} s")
        await asyncio.sleep(interval)


@database_sync_to_async
def session_cookie(user) -> bytes:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


class LiveClient:
    """One simulated editor: a DocClient speaking to the ASGI app in-process."""

    def __init__(
        self, note_id: int, *, name: str = "Ann", origin: bytes = ORIGIN, cookie=None, ip=None
    ):
        headers = [(b"origin", origin), (b"host", b"testserver")]
        if cookie:
            headers.append((b"cookie", cookie))
        self.comm = WebsocketCommunicator(
            application, f"/ws/notes/{note_id}/?name={quote(name)}", headers=headers
        )
        if ip is not None:
            # The peer address, as a server puts it in the scope (before the app starts).
            self.comm.scope["client"] = (ip, 50000)
        self.y = DocClient()
        self.frames: list[dict] = []  # every ASGI message the server sent, in order
        self.close_code: int | None = None

    @property
    def text(self) -> str:
        return str(self.y)

    async def connect(self, *, sync: bool = True) -> "LiveClient":
        connected, _ = await self.comm.connect()
        assert connected
        if sync:
            await self.sync()
        return self

    async def sync(self) -> None:
        self.y.synced = False
        await self.send(self.y.sync_step1())
        await self.until(lambda: self.y.synced)

    async def send(self, data: bytes) -> None:
        await self.comm.send_to(bytes_data=data)

    async def type(self, index: int, chunk: str) -> None:
        await self.send(self.y.insert(index, chunk))

    async def append(self, chunk: str) -> None:
        await self.send(self.y.append(chunk))

    async def next_frame(self, within: float = 3.0) -> dict:
        # Read the queue directly: WebsocketCommunicator.receive_output cancels the
        # application when it times out.
        message = await asyncio.wait_for(self.comm.output_queue.get(), within)
        self.frames.append(message)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
        elif message["type"] == "websocket.send" and message.get("bytes") is not None:
            for reply in self.y.receive(message["bytes"]):
                await self.send(reply)
        return message

    async def pump(self) -> None:
        while not self.comm.output_queue.empty():
            await self.next_frame()

    async def until(self, predicate, within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"client state not reached; text={self.text!r}")
            try:
                await self.next_frame(within=remaining)
            except TimeoutError:
                continue

    async def until_text(self, expected: str, within: float = 5.0) -> None:
        await self.until(lambda: self.text == expected, within)

    async def closed(self, within: float = 3.0) -> int:
        await self.until(lambda: self.close_code is not None, within)
        return self.close_code

    async def disconnect(self) -> None:
        await self.comm.disconnect()


async def stored_text(note_id: int) -> str:
    """The text of the note as the database holds it (checkpoint + log)."""
    load = database_sync_to_async(persistence.load_note_doc)
    doc = await _unlocked(lambda: load(note_id=note_id))
    return str(doc.get(persistence.CONTENT, type=Text))


async def room_flushed(note_id: int) -> None:
    """Wait until the room of this loop has stored everything it received."""
    registry = registry_for_loop(asyncio.get_running_loop())
    room = registry.rooms.get(note_id) if registry else None
    if room is not None:
        await asyncio.wait_for(room.flushed(), 5)
