"""The wire format (docs/bridge.md): what the publisher writes parses back, and anything
else is refused with a reason, never taken for a state or a patch."""

from __future__ import annotations

import pytest

from shmstate_bridge import wire
from shmstate_bridge.connect import NatsOptions, public_url

ID = "00112233445566ff"


def test_a_state_round_trips() -> None:
    value = wire.parse(wire.encode_state(ID, 42, b'{"a":1}'))
    assert (value.kind, value.store_id, value.first, value.last) == ("state", ID, 42, 42)
    assert value.payloads == [b'{"a":1}']


def test_patches_round_trip_one_line_each() -> None:
    patches = [b'[{"op":"add","path":"/a","value":1}]', b"[]", b'[{"op":"remove","path":"/a"}]']
    value = wire.parse(wire.encode_patches(ID, 7, patches))
    assert (value.kind, value.first, value.last, value.payloads) == ("patches", 7, 9, patches)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"[1]\n{}",
        b"{not json\n{}",
        b'{"shmstate":"state","store_id":"XYZ","version":1}\n{}',
        b'{"shmstate":"state","store_id":"00112233445566ff","version":0}\n{}',
        b'{"shmstate":"state","store_id":"00112233445566ff","version":true}\n{}',
        b'{"shmstate":"state","store_id":"00112233445566ff","version":1.5}\n{}',
        b'{"shmstate":"other","store_id":"00112233445566ff","version":1}\n{}',
        b'{"shmstate":"patches","store_id":"00112233445566ff","from":5,"to":4}\n[]',
        b'{"shmstate":"patches","store_id":"00112233445566ff","from":5,"to":6}\n[]',
    ],
)
def test_anything_else_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ValueError, match=r".+"):
        wire.parse(data)


def test_credentials_never_show_in_a_url_or_the_options() -> None:
    assert public_url("nats://user:s3cret@host.example:4222") == "nats://host.example:4222"
    assert public_url("tls://t0ken@10.0.0.1:4443") == "tls://10.0.0.1:4443"
    options = NatsOptions(servers=["nats://u:s3cret@h:1"], password="s3cret", token="t0ken")
    assert "s3cret" not in repr(options) and "t0ken" not in repr(options)
