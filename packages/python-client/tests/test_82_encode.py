"""The one-pass C encoder (_native.encode, which shmstate.encode is) writes exactly the
bytes json.dumps writes with the dialect's settings (ensure_ascii=False, compact
separators, UTF-8), for the exact built-in types and their subclasses alike, and refuses
everything outside the dialect with a message naming the path."""

from __future__ import annotations

import json
import math
import random
import struct
from collections import OrderedDict
from pathlib import Path

import pytest

from shmstate import MAX_DEPTH, MAX_SAFE_INTEGER, ShmStateEncodeError, _native, codec, encode
from value_kinds import Colour, MyDict, MyFloat, MyInt, MyList, MyStr, MyTuple, Point

CORPUS = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "corpus.json"


def json_encode(value: object) -> bytes:
    """The definition the encoder must match: json.dumps with the dialect's settings."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def nested(levels: int, leaf: object = 0) -> object:
    value = leaf
    for level in range(levels):
        value = [value] if level % 2 else {"n": value}
    return value


EXACT = [
    None,
    True,
    False,
    0,
    -1,
    7,
    MAX_SAFE_INTEGER,
    -MAX_SAFE_INTEGER,
    0.0,
    -0.0,
    0.1,
    1.5,
    -2.75,
    1e16,
    1e-7,
    123456789.125,
    5e-324,
    1.7976931348623157e308,
    "",
    "plain",
    'quote " backslash \\ slash /',
    "".join(chr(c) for c in range(0x20)) + "\x7f",
    "h\u00e9llo \u2603 \U0001f600 \u2028\u2029 \ufeff",
    [],
    {},
    (),
    (1, "a", [None]),
    {"a": [1, 2.5, {"b": (True, False)}], "": {}, "\u00e9\n": "v"},
    nested(MAX_DEPTH),
]


@pytest.mark.parametrize("value", EXACT, ids=lambda value: repr(value)[:40])
def test_writes_what_json_dumps_writes(value: object) -> None:
    assert _native.encode(value) == json_encode(value)


def test_shmstate_encode_is_the_c_encoder() -> None:
    assert encode is _native.encode is codec.encode


def test_the_cross_language_corpus_encodes_identically() -> None:
    cases = json.loads(CORPUS.read_text(encoding="utf-8"))
    assert len(cases) > 10
    for case in cases:
        value = case["value"]
        assert _native.encode(value) == json_encode(value), case["name"]


def random_string(rng: random.Random) -> str:
    alphabet = ["a", "Z", "0", " ", '"', "\\", "/", "\x00", "\x1f", "\x7f", "\u00e9", "\u2028"]
    alphabet += ["\u4e2d", "\U0001f600", "\n", "\t", "\b", "\f", "\r"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))


def random_float(rng: random.Random) -> float:
    while True:
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if math.isfinite(value):
            return value


def random_value(rng: random.Random, depth: int) -> object:
    kind = rng.randrange(10 if depth < 6 else 7)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    if kind == 2:
        return random_float(rng)
    if kind == 3:
        return rng.choice([0.5, 100.0, 1e21, 1e-5, 0.0001, 12345.678, -0.0])
    if kind in (4, 5, 6):
        return random_string(rng)
    if kind == 7:
        return {random_string(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    if kind == 8:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return tuple(random_value(rng, depth + 1) for _ in range(rng.randrange(4)))


def test_random_states_encode_identically() -> None:
    rng = random.Random(20261124)
    for _ in range(3000):
        value = {"root": random_value(rng, 0)}
        assert _native.encode(value) == json_encode(value), repr(value)[:200]


def float_samples(rng: random.Random) -> list[float]:
    """Floats of every kind: short decimals (the fast path, _short_float.c), its edges
    (1e-4, 2^50, ties, 8 and 9 fraction digits), and doubles that need all 17 digits."""
    values = [0.0, -0.0, 1e-4, -1e-4, 0.00015, 9.999999999999999e-05, 0.1 + 0.2, 1 / 3]
    values += [2.0**50, 2.0**50 - 1, 2.0**49 + 0.5, 1125899906842623.9, 99999999.99999999]
    values += [1e15, 1e16, 1e-5, 5e-324, 1.7976931348623157e308, 12345678.12345678]
    for fraction_digits in range(12):
        for _ in range(2000):
            n = rng.randrange(10 ** rng.randrange(1, 17))
            values += [n / 10**fraction_digits, -n / 10**fraction_digits]
    for _ in range(5000):
        values.append(round(rng.uniform(-1e4, 1e4), rng.randrange(9)))
        values.append(rng.uniform(-1e6, 1e6))
        values.append(random_float(rng))
    return values


def test_floats_are_written_as_repr_writes_them() -> None:
    values = float_samples(random.Random(7))
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        if _native.encode(chunk) != json_encode(chunk):
            wrong = [v for v in chunk if _native.encode([v]) != json_encode([v])]
            pytest.fail(f"{len(wrong)} floats differ from repr, e.g. {wrong[:5]!r}")


def test_a_large_state_grows_the_buffer() -> None:
    value = {"rows": [{"id": i, "name": f"row-{i}", "w": i / 7} for i in range(40000)]}
    encoded = _native.encode(value)
    assert len(encoded) > 1_000_000
    assert encoded == json_encode(value)


# What the encoder used to decline (leaving it to a slower Python path) and now judges
# itself: subclasses, encoded as json.dumps writes them, and values outside the dialect.
SUBCLASSES = [
    {MyStr("k"): 1},
    MyStr("s"),
    MyFloat(1.5),
    Colour.RED,
    MyList([1]),
    MyDict(a=1),
    OrderedDict(a=1),
    Point(1, 2),
]
OUTSIDE = [
    float("nan"),
    float("inf"),
    [1, float("-inf")],
    MAX_SAFE_INTEGER + 1,
    -MAX_SAFE_INTEGER - 1,
    2**64,
    {1: "int key"},
    {None: 1},
    {1, 2},
    b"bytes",
    {"when": object()},
    "\ud800",
    {"\udfff": 1},
    nested(MAX_DEPTH + 1),
]


@pytest.mark.parametrize("value", SUBCLASSES, ids=lambda value: repr(value)[:40])
def test_subclasses_are_written_as_json_dumps_writes_them(value: object) -> None:
    assert _native.encode(value) == json_encode(value)


@pytest.mark.parametrize("value", OUTSIDE, ids=lambda value: repr(value)[:40])
def test_values_outside_the_dialect_are_refused(value: object) -> None:
    with pytest.raises(ShmStateEncodeError):
        _native.encode(value)


def test_a_cycle_is_refused_not_followed() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(ShmStateEncodeError, match="nests deeper"):
        codec.encode(loop)


@pytest.mark.parametrize(
    "value",
    [Colour.RED, OrderedDict(a=[1, 2.5]), Point(1, "x"), MyDict(k=MyList([MyFloat(0.5)]))],
    ids=repr,
)
def test_subclasses_encode_like_json(value: object) -> None:
    assert codec.encode(value) == json_encode(value)


def random_subclassed(rng: random.Random, value: object) -> object:
    """`value` with its containers and scalars swapped, at random, for subclasses."""
    if isinstance(value, dict):
        items = {random_subclassed(rng, k): random_subclassed(rng, v) for k, v in value.items()}
        return rng.choice([dict, MyDict, OrderedDict])(items)
    if isinstance(value, (list, tuple)):
        items = [random_subclassed(rng, item) for item in value]
        return rng.choice([list, MyList, tuple, MyTuple])(items)
    if rng.random() < 0.5:
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return MyStr(value)
    if isinstance(value, int):
        return MyInt(value)
    if isinstance(value, float):
        return MyFloat(value)
    return value


def test_random_states_of_subclasses_encode_identically() -> None:
    rng = random.Random(53)
    for _ in range(1500):
        value = random_subclassed(rng, {"root": random_value(rng, 0)})
        assert _native.encode(value) == json_encode(value), repr(value)[:200]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": [0, float("nan")]}, r"state\.a\[1\] is NaN"),
        ({"big": 2**53}, r"state\.big is 9007199254740992, beyond the safe integer range"),
        ({"s": "\ud800"}, r"state\.s is a string with a lone surrogate"),
        ({1: 2}, r"state has a non-string key 1 \(int\)"),
    ],
)
def test_refusals_keep_their_path_naming_messages(value: object, message: str) -> None:
    with pytest.raises(ShmStateEncodeError, match=message):
        codec.encode(value)
