import pytest
from pycrdt import Doc, Text

from notes.protocol import (
    KIND_AWARENESS,
    KIND_QUERY_AWARENESS,
    KIND_STEP1,
    KIND_UPDATE,
    Message,
    ProtocolError,
    Reader,
    decode_awareness,
    decode_message,
    decode_state_vector,
    delete_set_digest,
    encode_awareness,
    encode_permission_denied,
    encode_sync_step1,
    encode_update,
    write_var_uint,
)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**31, 2**53 - 1])
def test_var_uint_round_trips(value):
    assert Reader(write_var_uint(value)).var_uint() == value


def test_var_uint_encoding_matches_lib0():
    assert write_var_uint(300) == b"\xac\x02"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "truncated var-uint"),
        (b"\x80", "truncated var-uint"),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\x01", "var-uint longer than 53 bits"),
    ],
)
def test_var_uint_refuses_truncated_or_oversized_numbers(data, error):
    with pytest.raises(ProtocolError, match=error):
        Reader(data).var_uint()


def test_decode_message_reads_each_kind():
    assert decode_message(encode_sync_step1(b"\x00")) == Message(KIND_STEP1, b"\x00")
    assert decode_message(encode_update(b"\x00\x00")) == Message(KIND_UPDATE, b"\x00\x00")
    assert decode_message(b"\x03") == Message(KIND_QUERY_AWARENESS, b"")
    assert decode_message(encode_awareness([(7, 2, "{}")])).kind == KIND_AWARENESS


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00\x02\x05ab", "runs past the end"),
        (b"\x00\x02\x01a!", "1 unexpected trailing bytes"),
        (b"\x04", "unknown message type 4"),
        (b"\x00\x03\x00", "unknown sync message type 3"),
    ],
)
def test_decode_message_is_strict(data, error):
    with pytest.raises(ProtocolError, match=error):
        decode_message(data)


def test_awareness_round_trips_and_refuses_non_json_states():
    payload = decode_message(encode_awareness([(7, 2, '{"user":{"name":"Zoé"}}'), (9, 3, "null")]))
    assert decode_awareness(payload.payload) == [(7, 2, '{"user":{"name":"Zoé"}}'), (9, 3, "null")]
    with pytest.raises(ProtocolError, match="not JSON"):
        decode_awareness(decode_message(encode_awareness([(7, 2, "{oops")])).payload)


def test_permission_denied_message_is_the_y_protocols_auth_message():
    assert encode_permission_denied("read-only") == b"\x02\x00\x09read-only"


def test_state_vector_decodes_to_clocks():
    doc = Doc(client_id=42)
    doc.get("content", type=Text).insert(0, "hello")
    assert decode_state_vector(doc.get_state()) == {42: 5}


def test_delete_set_digest_depends_on_deletions_only():
    one, two = Doc(client_id=1), Doc(client_id=2)
    one.get("content", type=Text).insert(0, "hello world")
    two.apply_update(one.get_update())
    assert delete_set_digest(one.get_update(one.get_state())) == delete_set_digest(
        two.get_update(two.get_state())
    )

    del one.get("content", type=Text)[0:6]

    assert one.get_state() == two.get_state()  # deletions do not move a state vector
    assert delete_set_digest(one.get_update(one.get_state())) != delete_set_digest(
        two.get_update(two.get_state())
    )
