"""The JSON dialect: what is refused (with its path), what is accepted, capacity and
corrupt content."""

from __future__ import annotations

import math
from collections import OrderedDict

import pytest

from shmstate import (
    MAX_DEPTH,
    ShmStateCapacityError,
    ShmStateCorrupt,
    ShmStateEncodeError,
    Store,
    _native,
    decode,
    encode,
)


def nested(levels: int) -> object:
    value: object = 0
    for _ in range(levels):
        value = [value]
    return value


REFUSED = [
    ({"a": [0, 1, 2, {"b": float("nan")}]}, "state.a[3].b is NaN"),
    ({"x": float("inf")}, "state.x is Infinity"),
    ([float("-inf")], "state[0] is -Infinity"),
    ({"big": 2**53}, "state.big is 9007199254740992, beyond the safe integer range"),
    ({"neg": -(2**53)}, "state.neg is -9007199254740992, beyond the safe integer range"),
    ({1: "one"}, "state has a non-string key 1 (int)"),
    ({"a": {None: 1}}, "state.a has a non-string key None (NoneType)"),
    ({"s": {1, 2}}, "state.s is a set"),
    ({"f": frozenset()}, "state.f is a frozenset"),
    ({"b": b"raw"}, "state.b is bytes"),
    ({"odd key": [object()]}, 'state["odd key"][0] is of unsupported type object'),
    ({"c": 1j}, "state.c is of unsupported type complex"),
    ({"s": "\ud800"}, "state.s is a string with a lone surrogate"),
    (nested(MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH} levels"),
]


@pytest.mark.parametrize(("value", "message"), REFUSED, ids=[m for _, m in REFUSED])
def test_refused_values_name_their_path_and_leave_the_state_alone(store, value, message):
    with pytest.raises(ShmStateEncodeError) as caught:
        store.set(value)
    assert caught.value.code == "E_ENCODE"
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)
    assert str(caught.value).endswith("(E_ENCODE)")
    assert store.snapshot() == (1, {"n": 0})


def test_a_cycle_is_refused_as_too_deep(store):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ShmStateEncodeError):
        store.set(loop)


ACCEPTED = [
    None,
    True,
    {"t": (1, 2)},
    2**53 - 1,
    -(2**53 - 1),
    "h\u00e9llo \u2603 \U0001f600",
    OrderedDict(a=1),
    nested(MAX_DEPTH),
    {"": [], "k": {}},
]


@pytest.mark.parametrize("value", ACCEPTED, ids=repr)
def test_accepted_values_round_trip(store, value):
    version = store.set(value)
    expected = {"t": [1, 2]} if value == {"t": (1, 2)} else value
    assert store.snapshot() == (version, expected)


def test_encoding_is_compact_utf8_json():
    assert encode({"a": [1, 2.5, "\u00e9"], "b": None}) == '{"a":[1,2.5,"é"],"b":null}'.encode()


def test_floats_keep_their_python_value_when_read_back():
    state = decode(encode({"one": 1.0, "negative_zero": -0.0, "big": 1e300}))
    assert state["one"] == 1.0 and isinstance(state["one"], float)
    assert math.copysign(1.0, state["negative_zero"]) == -1.0
    assert state["big"] == 1e300


def test_a_state_beyond_capacity_names_both_sizes_and_leaves_the_state_alone(name):
    with Store.create(name, initial={"n": 0}, capacity=1024) as store:
        too_big = {"s": "x" * 2000}
        size = len(encode(too_big))
        with pytest.raises(ShmStateCapacityError) as caught:
            store.set(too_big)
        message = str(caught.value)
        assert caught.value.code == "E_CAPACITY"
        assert str(size) in message and "1024" in message
        assert message.endswith("(E_CAPACITY)")
        assert store.snapshot() == (1, {"n": 0})


@pytest.mark.parametrize(
    "garbage",
    [b"\xff\xfe{}", b'{"a":', b"", b"NaN", b'{"x": Infinity}', b"\xef\xbb\xbf{}", b"{} {}"],
    ids=["bad utf-8", "truncated", "empty", "NaN", "Infinity", "bom", "trailing"],
)
def test_corrupt_content_raises_corrupt_on_get(store, garbage):
    raw = _native.Segment.open(store.name)
    try:
        version = raw.commit(garbage)
    finally:
        raw.close()
    with pytest.raises(ShmStateCorrupt) as caught:
        store.get()
    assert caught.value.code == "E_CORRUPT"
    assert f"version {version}" in str(caught.value)
    store.set({"n": 1})  # a good commit heals it
    assert store.get() == {"n": 1}
