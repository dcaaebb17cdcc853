"""A minimal y-websocket server that keeps the contract the browser editor relies on.

Used by test_editor_bundle.py to exercise the built bundle in a real browser
without the Django live server. It is not the product's server: it holds
documents in memory, has no auth, and exists to pin down what the editor
expects from any server:

- on connect the server sends its sync step 1 and the awareness states it knows;
- it answers every client sync step 1 with its sync step 2 FOLLOWED BY its own
  sync step 1 (that is how the editor learns what the server has: "saved");
- it applies updates and relays them to the other clients, relays awareness
  to everyone (the sender too, which keeps y-websocket's 30 s watchdog fed),
  and removes a closed connection's awareness states at once;
- note id 404 closes with 4404, 403 with 4403; ids in READ_ONLY get an auth
  "permission denied: read-only" message and their updates are dropped.

The same port serves GET requests for pages and static files through
`pages`, so the page, the service worker and the WebSocket share an origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from pycrdt import Doc, Text
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

SYNC, AWARENESS, AUTH, QUERY_AWARENESS = 0, 1, 2, 3
STEP1, STEP2, UPDATE = 0, 1, 2

WS_PATH = re.compile(r"^/ws/notes/(\d+)/$")


def write_var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = shift = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        chunk = self.data[self.pos : self.pos + length]
        self.pos += length
        return chunk


def var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def var_string(text: str) -> bytes:
    return var_bytes(text.encode())


def sync_message(kind: int, payload: bytes) -> bytes:
    return bytes([SYNC, kind]) + var_bytes(payload)


@dataclass
class Room:
    doc: Doc = field(default_factory=Doc)
    clients: set[ServerConnection] = field(default_factory=set)
    # awareness client id -> (clock, state JSON)
    awareness: dict[int, tuple[int, str]] = field(default_factory=dict)
    owners: dict[ServerConnection, set[int]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.doc.get("content", type=Text))

    def awareness_message(self, entries: dict[int, tuple[int, str]]) -> bytes:
        body = write_var_uint(len(entries))
        for client_id, (clock, state) in entries.items():
            body += write_var_uint(client_id) + write_var_uint(clock) + var_string(state)
        return bytes([AWARENESS]) + var_bytes(body)


class ContractServer:
    """Runs in a thread with its own event loop; start(), stop(), restart()."""

    def __init__(
        self,
        pages: Callable[[str], tuple[str, bytes, dict[str, str]] | None],
        read_only: set[int] | None = None,
    ) -> None:
        self.pages = pages
        self.read_only = read_only or set()
        self.rooms: dict[int, Room] = {}
        self.port = 0
        self.requests: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = None

    # --- lifecycle (called from the test thread) ---------------------------
    def start(self) -> None:
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        """Close every connection and the listening socket: the network is gone."""
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def room(self, note_id: int) -> Room:
        return self.rooms.setdefault(note_id, Room())

    def text(self, note_id: int) -> str:
        async def read() -> str:
            return self.room(note_id).text

        return asyncio.run_coroutine_threadsafe(read(), self._loop).result(5)

    async def _start(self) -> None:
        self._server = await serve(
            self._handle, "127.0.0.1", self.port or 0, process_request=self._http, compression=None
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        self._server = None

    # --- HTTP ---------------------------------------------------------------
    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        self.requests.append(request.path)
        if WS_PATH.match(path):
            return None  # WebSocket handshake
        page = self.pages(request.path)
        if page is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        content_type, body, extra = page
        headers = Headers({"Content-Type": content_type, "Content-Length": str(len(body))})
        for name, value in extra.items():
            headers[name] = value
        return Response(200, "OK", headers, body)

    # --- WebSocket ----------------------------------------------------------
    async def _handle(self, ws: ServerConnection) -> None:
        note_id = int(WS_PATH.match(ws.request.path.split("?", 1)[0]).group(1))
        if note_id == 404:
            await ws.close(4404, "no such note")
            return
        if note_id == 403:
            await ws.close(4403, "not allowed")
            return
        room = self.room(note_id)
        room.clients.add(ws)
        room.owners[ws] = set()
        try:
            await ws.send(sync_message(STEP1, room.doc.get_state()))
            if room.awareness:
                await ws.send(room.awareness_message(room.awareness))
            async for message in ws:
                await self._receive(room, ws, note_id, message)
        except ConnectionClosed:
            pass
        finally:
            room.clients.discard(ws)
            gone = {
                cid: (room.awareness[cid][0] + 1, "null")
                for cid in room.owners.pop(ws, ())
                if cid in room.awareness
            }
            for cid in gone:
                del room.awareness[cid]
            if gone:
                await self._broadcast(room, room.awareness_message(gone))

    async def _broadcast(self, room: Room, message: bytes, exclude=None) -> None:
        for client in list(room.clients):
            if client is not exclude:
                with contextlib.suppress(ConnectionClosed):
                    await client.send(message)

    async def _receive(
        self, room: Room, ws: ServerConnection, note_id: int, message: bytes
    ) -> None:
        reader = Reader(message)
        kind = reader.var_uint()
        if kind == SYNC:
            sub = reader.var_uint()
            payload = reader.var_bytes()
            if sub == STEP1:
                await ws.send(sync_message(STEP2, room.doc.get_update(payload)))
                await ws.send(sync_message(STEP1, room.doc.get_state()))
            elif note_id in self.read_only:
                await ws.send(bytes([AUTH, 0]) + var_string("read-only"))
            else:
                room.doc.apply_update(payload)
                await self._broadcast(room, sync_message(UPDATE, payload), exclude=ws)
        elif kind == AWARENESS:
            body = reader.var_bytes()
            inner = Reader(body)
            for _ in range(inner.var_uint()):
                client_id, clock = inner.var_uint(), inner.var_uint()
                state = inner.var_bytes().decode()
                known = room.awareness.get(client_id)
                if known is None or clock >= known[0]:
                    if state == "null":
                        room.awareness.pop(client_id, None)
                    else:
                        room.awareness[client_id] = (clock, state)
                        room.owners[ws].add(client_id)
            await self._broadcast(room, message)
        elif kind == QUERY_AWARENESS:
            await ws.send(room.awareness_message(room.awareness))


def static_pages(root: Path, routes: dict[str, Callable[[str], tuple[str, bytes, dict]]]):
    """A `pages` callable: exact routes first, then files under `root` for /static/…"""

    def pages(path: str):
        bare = path.split("?", 1)[0]
        if bare in routes:
            return routes[bare](path)
        if bare.startswith("/static/"):
            file = (root / bare.removeprefix("/static/")).resolve()
            if file.is_file() and root.resolve() in file.parents:
                content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                if content_type == "text/javascript":
                    content_type = "application/javascript"
                return content_type, file.read_bytes(), {}
        return None

    return pages
