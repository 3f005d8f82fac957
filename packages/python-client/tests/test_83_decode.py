"""Decoding: orjson when it is installed, the standard library's json otherwise or when
orjson refuses a text. Both paths read the same texts to the same values (one documented
exception: integers beyond 64 bits) and refuse the same texts with the same E_CORRUPT
message."""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any

import pytest

from shmstate import ShmStateCorruptError, codec, decode, encode

try:
    import orjson
except ImportError:
    orjson = None  # type: ignore[assignment]

needs_orjson = pytest.mark.skipif(orjson is None, reason="orjson is not installed")


def stdlib_decode(data: bytes, version: int | None = None) -> object:
    """The fallback path alone: what decode() is without orjson."""
    return codec._decode_json(data, version)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types all the way down (1 is not 1.0) and the sign of zero."""
    pending: list[tuple[Any, Any]] = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            pending.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif isinstance(x, float):
            if x != y or math.copysign(1, x) != math.copysign(1, y):
                return False
        elif x != y:
            return False
    return True


def nested(levels: int) -> bytes:
    return b"[" * levels + b"0" + b"]" * levels


CORPUS = [
    b"null",
    b"true",
    b"[true,false,null]",
    b"{}",
    b"[]",
    b'""',
    b'{"a":1,"a":2}',  # duplicate keys: the last one wins
    b'{"a":{"x":1},"b":2,"a":[3]}',
    b'"\\ud800"',  # lone surrogates, as Node's JSON.stringify writes them
    b'"\\udfff"',
    b'"a\\udc00\\ud800b"',
    b'{"\\ud800":"\\udfff"}',
    b'["\\ud83d\\ude00","\\u00e9","\\u2028"]',  # a surrogate pair is one character
    '"h\u00e9llo \u2603 \U0001f600"'.encode(),
    b'"\\u0000\\n\\t\\"\\\\\\/"',
    b"0",
    b"-0",
    b"-0.0",
    b"0.0",
    b"1.0",
    b"1e300",
    b"1E-7",
    b"5e-324",
    b"1e-400",  # underflows to 0.0
    b"1e400",  # beyond a double: orjson refuses, json reads inf
    b"1.7976931348623157e308",
    b"9007199254740991",
    b"9007199254740992",  # beyond 2^53: an exact int in both paths, up to 64 bits
    b"-9007199254740993",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"18446744073709551615",
    b"[0.1,0.2,0.30000000000000004,123456.789,-2.5e-5]",
    b' {"padded" : [ 1 , 2 ] } \n',
    b"\t[]\r\n",
    nested(64),
    nested(500),
    b'{"d":' * 64 + b"1" + b"}" * 64,
]


def corpus_ids(data: bytes) -> str:
    return repr(data[:40])


@pytest.mark.parametrize("data", CORPUS, ids=corpus_ids)
def test_both_paths_read_the_same_value(data: bytes) -> None:
    assert same(decode(data), stdlib_decode(data))


@needs_orjson
@pytest.mark.parametrize("data", CORPUS, ids=corpus_ids)
def test_orjson_reads_the_same_value_or_leaves_the_text_to_json(data: bytes) -> None:
    try:
        fast = orjson.loads(data)
    except orjson.JSONDecodeError:
        return  # decode() hands it to json (checked above)
    assert same(fast, stdlib_decode(data))


@needs_orjson
def test_orjson_is_the_decoder_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert codec.DECODER == "orjson"
    calls = []

    def spy(data: bytes) -> object:
        calls.append(data)
        return orjson.loads(data)

    monkeypatch.setattr(codec, "_orjson_loads", spy)
    assert decode(b'{"a":1}') == {"a": 1}
    assert calls == [b'{"a":1}']


def test_without_orjson_json_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_orjson_loads", None)
    assert same(decode(b'{"a":[1,2.5,"\\ud800"]}'), {"a": [1, 2.5, "\ud800"]})


@needs_orjson
def test_integers_beyond_64_bits_are_floats_with_orjson_and_ints_with_json() -> None:
    # The one documented difference (docs/python.md): no shmstate writer produces them,
    # but Node writes a double of 2^64 or more in full digits.
    for text, exact in [(b"18446744073709551616", 2**64), (b"-9223372036854775809", -(2**63) - 1)]:
        assert stdlib_decode(text) == exact and type(stdlib_decode(text)) is int
        assert decode(text) == float(exact) and type(decode(text)) is float
    assert decode(b"100000000000000000000") == 1e20


BAD = [
    (b"NaN", "is not valid JSON"),
    (b"Infinity", "is not valid JSON"),
    (b"-Infinity", "is not valid JSON"),
    (b'{"x":NaN}', "is not valid JSON"),
    (b"[1,Infinity]", "is not valid JSON"),
    (b"\xff\xfe{}", "is not valid UTF-8 (byte 0)"),
    (b'"\xed\xa0\x80"', "is not valid UTF-8 (byte 1)"),  # a surrogate encoded as UTF-8
    (b'"\xc0\xaf"', "is not valid UTF-8 (byte 1)"),  # overlong
    (b"\xef\xbb\xbf{}", "is not valid JSON"),  # a byte order mark
    (b"", "is not valid JSON"),
    (b'{"a":', "is not valid JSON"),
    (b"{} {}", "is not valid JSON"),
    (b"[1,]", "is not valid JSON"),
    (b"01", "is not valid JSON"),
    (b'"\x01"', "is not valid JSON"),  # a raw control character
    (b"{'a':1}", "is not valid JSON"),
    (nested(100_000), "is not valid JSON"),  # deeper than either parser goes
]


@pytest.mark.parametrize(("data", "reason"), BAD, ids=lambda item: repr(item)[:30])
def test_both_paths_refuse_the_same_texts_with_the_same_message(data: bytes, reason: str) -> None:
    with pytest.raises(ShmStateCorruptError) as fast:
        decode(data, 7)
    with pytest.raises(ShmStateCorruptError) as slow:
        stdlib_decode(data, 7)
    assert str(fast.value) == str(slow.value)
    assert str(fast.value).startswith(f"the state at version 7 {reason}")
    assert fast.value.code == "E_CORRUPT"


def mutations(rng: random.Random, text: bytes) -> bytes:
    data = bytearray(text)
    for _ in range(rng.randrange(1, 4)):
        position = rng.randrange(len(data) + 1)
        choice = rng.randrange(3)
        if choice == 0 and data:
            del data[min(position, len(data) - 1)]
        elif choice == 1:
            data[position:position] = bytes([rng.choice(b'{}[]",:0123456789.eE+-\\tfnu \xff\x00')])
        elif data:
            data[min(position, len(data) - 1)] = rng.randrange(256)
    return bytes(data)


def test_mutated_texts_are_read_or_refused_alike() -> None:
    rng = random.Random(1024)
    seeds = [text for text in CORPUS if len(text) < 200]
    seeds.append(encode({"a": [1, -2.5, "x\u00e9", None, True], "b": {"c": "\U0001f600"}}))
    for _ in range(5000):
        data = mutations(rng, rng.choice(seeds))
        if re.search(rb"\d{19}", data):
            continue  # may be an integer beyond 64 bits: the documented difference
        try:
            slow = ("ok", stdlib_decode(data))
        except ShmStateCorruptError as error:
            slow = ("corrupt", str(error))
        try:
            fast = ("ok", decode(data))
        except ShmStateCorruptError as error:
            fast = ("corrupt", str(error))
        assert fast[0] == slow[0], data
        if fast[0] == "ok":
            assert same(fast[1], slow[1]), data
        else:
            assert fast[1] == slow[1], data


def test_what_encode_writes_decodes_to_the_same_state() -> None:
    state = {"a": [1, -0.0, 1e300, 2**53 - 1, "\u00e9\U0001f600", None, True], "b": {"": {}}}
    assert same(decode(encode(state)), json.loads(json.dumps(state)))
