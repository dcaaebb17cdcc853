"""A minimal y-websocket client over pycrdt, without a transport.

Used by the tests, the benchmark and tools (no Django needed): feed it the frames the server sends
(`receive`) and send what it returns; `edit` makes a local change and returns
the frame that carries it. It behaves like the y-websocket browser client: it
answers the server's sync step 1 with its sync step 2.
"""

import json

from pycrdt import Doc, Text

from .protocol import (
    AUTH_PERMISSION_DENIED,
    AUTH_PERMISSION_GRANTED,
    CONTENT,
    EMPTY_UPDATE,
    KIND_AWARENESS,
    KIND_STEP1,
    KIND_STEP2,
    KIND_UPDATE,
    MSG_AUTH,
    Reader,
    decode_awareness,
    decode_message,
    encode_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_update,
)


class DocClient:
    def __init__(self, *, client_id: int | None = None):
        self.doc = Doc(client_id=client_id) if client_id is not None else Doc()
        self.text = self.doc.get(CONTENT, type=Text)
        self.synced = False  # a sync step 2 from the server was applied
        self.server_state: bytes | None = None  # state vector of the server's last step 1
        self.denied: list[str] = []  # permission-denied reasons received
        self.granted = 0  # permission-granted messages received (write allowed again)
        self.awareness: dict[int, tuple[int, str]] = {}
        self.received: list[str] = []  # kinds of the frames received, in order
        self._clock = -1
        self._local: list[bytes] = []
        self._capturing = False
        self.doc.observe(self._on_change)

    @property
    def client_id(self) -> int:
        return self.doc.client_id

    def __str__(self) -> str:
        return str(self.text)

    def _on_change(self, event) -> None:
        if self._capturing:
            self._local.append(event.update)

    def sync_step1(self) -> bytes:
        return encode_sync_step1(self.doc.get_state())

    def edit(self, change) -> bytes | None:
        """Run change(text) in one transaction; the update frame, or None for no change."""
        self._capturing = True
        try:
            with self.doc.transaction():
                change(self.text)
        finally:
            self._capturing = False
        updates, self._local = self._local, []
        updates = [u for u in updates if u != EMPTY_UPDATE]
        return encode_update(updates[0]) if updates else None

    def insert(self, index: int, chunk: str) -> bytes:
        return self.edit(lambda text: text.insert(index, chunk))

    def append(self, chunk: str) -> bytes:
        return self.edit(lambda text: text.insert(len(text), chunk))

    def awareness_message(self, state: dict | None) -> bytes:
        self._clock += 1
        body = "null" if state is None else json.dumps(state)
        return encode_awareness([(self.client_id, self._clock, body)])

    def receive(self, data: bytes) -> list[bytes]:
        """Handle one frame from the server; return the frames to send back."""
        if data and data[0] == MSG_AUTH:
            reader = Reader(data)
            reader.var_uint()
            kind = reader.var_uint()
            if kind == AUTH_PERMISSION_DENIED:
                self.denied.append(reader.var_string())
            elif kind == AUTH_PERMISSION_GRANTED:
                self.granted += 1
            self.received.append("auth")
            return []
        message = decode_message(data)
        self.received.append(message.kind)
        if message.kind is KIND_STEP1:
            self.server_state = message.payload
            return [encode_sync_step2(self.doc.get_update(message.payload))]
        if message.kind is KIND_STEP2 or message.kind is KIND_UPDATE:
            self.doc.apply_update(message.payload)
            if message.kind is KIND_STEP2:
                self.synced = True
        elif message.kind is KIND_AWARENESS:
            for client_id, clock, state in decode_awareness(message.payload):
                self.awareness[client_id] = (clock, state)
        return []
