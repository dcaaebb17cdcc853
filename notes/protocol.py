"""The y-websocket wire protocol (y-protocols framing), decoded strictly.

One WebSocket binary frame carries one message:

    sync       0, then 0 step 1 <var-bytes state vector>
                      | 1 step 2 <var-bytes update>
                      | 2 update <var-bytes update>
    awareness  1, <var-bytes awareness update>
    auth       2, 0 permission denied <var-string reason>
                  | 1 permission granted <var-string reason>   (ours; see below)
    query      3  (query awareness: "send me every known state")

A var-uint is little-endian base-128 (7 bits a byte, high bit = more). Decoding
never guesses: truncated numbers, lengths past the end, trailing bytes and unknown
message types raise `ProtocolError`, so the consumer can close that one
connection with a clear code. CRDT payloads themselves (updates, state vectors)
are checked by pycrdt where they are applied.
"""

import hashlib
import json
from dataclasses import dataclass

# The shared type every client edits: a Y.Text holding Markdown.
CONTENT = "content"

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

AUTH_PERMISSION_DENIED = 0
# Not in y-protocols, which only ever takes write permission away: we send it when a
# connection may write again (a note unlocked). y-protocols' own `readAuthMessage`
# ignores auth types it does not know, so other clients are unaffected.
AUTH_PERMISSION_GRANTED = 1

# An update that changes nothing: no structs, empty delete set.
EMPTY_UPDATE = b"\x00\x00"

# JavaScript numbers are exact up to 2**53; y-protocols never sends more.
_MAX_VAR_UINT_BITS = 53


class ProtocolError(ValueError):
    """A frame that does not follow the y-websocket protocol."""


class Reader:
    """A cursor over one message's bytes."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        data, pos, end = self.data, self.pos, len(self.data)
        value = 0
        shift = 0
        while True:
            if pos >= end:
                raise ProtocolError("truncated var-uint")
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
            if shift >= _MAX_VAR_UINT_BITS:
                raise ProtocolError("var-uint longer than 53 bits")
        self.pos = pos
        return value

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError(f"length {length} runs past the end of the message")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("string is not UTF-8") from exc

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{len(self.data) - self.pos} unexpected trailing bytes")


def write_var_uint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def write_var_string(text: str) -> bytes:
    return write_var_bytes(text.encode("utf-8"))


# --- Messages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded frame. `kind` is one of the KIND_* names; `payload` its bytes."""

    kind: str
    payload: bytes = b""


KIND_STEP1 = "sync-step1"
KIND_STEP2 = "sync-step2"
KIND_UPDATE = "sync-update"
KIND_AWARENESS = "awareness"
KIND_AUTH = "auth"
KIND_QUERY_AWARENESS = "query-awareness"

_SYNC_KINDS = {SYNC_STEP1: KIND_STEP1, SYNC_STEP2: KIND_STEP2, SYNC_UPDATE: KIND_UPDATE}


def decode_message(data: bytes) -> Message:
    """Decode one frame; raise ProtocolError for anything but a well-formed message."""
    reader = Reader(data)
    msg_type = reader.var_uint()
    if msg_type == MSG_SYNC:
        sync_type = reader.var_uint()
        kind = _SYNC_KINDS.get(sync_type)
        if kind is None:
            raise ProtocolError(f"unknown sync message type {sync_type}")
        payload = reader.var_bytes()
    elif msg_type == MSG_AWARENESS:
        kind, payload = KIND_AWARENESS, reader.var_bytes()
    elif msg_type == MSG_AUTH:
        # Only servers send auth messages; accept and ignore a well-formed one.
        reader.var_uint()
        reader.var_string()
        kind, payload = KIND_AUTH, b""
    elif msg_type == MSG_QUERY_AWARENESS:
        kind, payload = KIND_QUERY_AWARENESS, b""
    else:
        raise ProtocolError(f"unknown message type {msg_type}")
    reader.end()
    return Message(kind, payload)


def encode_sync_step1(state_vector: bytes) -> bytes:
    return b"\x00\x00" + write_var_bytes(state_vector)


def encode_sync_step2(update: bytes) -> bytes:
    return b"\x00\x01" + write_var_bytes(update)


def encode_update(update: bytes) -> bytes:
    return b"\x00\x02" + write_var_bytes(update)


def encode_awareness_update(entries) -> bytes:
    """An awareness update (the payload of an awareness message) from
    (client_id, clock, state_json) triples."""
    body = bytearray(write_var_uint(len(entries)))
    for client_id, clock, state in entries:
        body += write_var_uint(client_id)
        body += write_var_uint(clock)
        body += write_var_string(state)
    return bytes(body)


def encode_awareness(entries) -> bytes:
    return b"\x01" + write_var_bytes(encode_awareness_update(entries))


def encode_permission_denied(reason: str) -> bytes:
    return bytes((MSG_AUTH, AUTH_PERMISSION_DENIED)) + write_var_string(reason)


def encode_permission_granted(reason: str = "") -> bytes:
    return bytes((MSG_AUTH, AUTH_PERMISSION_GRANTED)) + write_var_string(reason)


def encode_query_awareness() -> bytes:
    return bytes((MSG_QUERY_AWARENESS,))


# --- Awareness ---------------------------------------------------------------------

AWARENESS_REMOVED = "null"


def decode_awareness(payload: bytes) -> list[tuple[int, int, str]]:
    """(client_id, clock, state_json) for each entry; the state must be JSON."""
    return [entry[:3] for entry in decode_awareness_values(payload)]


def decode_awareness_values(payload: bytes) -> list[tuple[int, int, str, object]]:
    """(client_id, clock, state_json, state) for each entry: `state` is the decoded
    JSON (None for a removal)."""
    reader = Reader(payload)
    count = reader.var_uint()
    entries = []
    for _ in range(count):
        client_id = reader.var_uint()
        clock = reader.var_uint()
        state = reader.var_string()
        value = None
        if state != AWARENESS_REMOVED:
            try:
                value = json.loads(state)
            except ValueError as exc:
                raise ProtocolError("awareness state is not JSON") from exc
        entries.append((client_id, clock, state, value))
    reader.end()
    return entries


# --- CRDT encodings (state vectors and delete sets) -------------------------------


def decode_state_vector(state_vector: bytes) -> dict[int, int]:
    """{client id: clock} from a Yjs v1 state vector."""
    reader = Reader(state_vector)
    result = {}
    for _ in range(reader.var_uint()):
        client = reader.var_uint()
        result[client] = reader.var_uint()
    reader.end()
    return result


def delete_set_digest(delete_set_update: bytes) -> bytes:
    """A digest of the delete set of an update that holds no structs.

    `doc.get_update(doc.get_state())` is such an update. Deletions never advance a
    state vector, so two servers compare this digest too: equal state vectors and
    equal digests mean equal documents. Ranges are normalised (sorted, merged)
    because the encoder's order is not guaranteed.
    """
    reader = Reader(delete_set_update)
    if reader.var_uint() != 0:
        raise ProtocolError("expected an update without structs")
    ranges: dict[int, list[tuple[int, int]]] = {}
    for _ in range(reader.var_uint()):
        client = reader.var_uint()
        client_ranges = ranges.setdefault(client, [])
        for _ in range(reader.var_uint()):
            clock = reader.var_uint()
            client_ranges.append((clock, reader.var_uint()))
    reader.end()
    digest = hashlib.blake2b(digest_size=16)
    for client in sorted(ranges):
        merged: list[list[int]] = []
        for clock, length in sorted(ranges[client]):
            if merged and clock <= merged[-1][0] + merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], clock + length - merged[-1][0])
            else:
                merged.append([clock, length])
        if not merged:
            continue
        digest.update(write_var_uint(client))
        for clock, length in merged:
            digest.update(write_var_uint(clock) + write_var_uint(length))
        digest.update(b"/")
    return digest.digest()
