"""Question: which JSON codec should the Python package use? Decoding: json.loads, orjson
and shmstate.decode (orjson when installed, json otherwise); encoding: json.dumps,
orjson.dumps and shmstate.encode (the C encoder, which checks the dialect and writes
json's bytes). orjson is optional: without it its columns show "-".
    .venv/bin/python bench/codec_python.py [--quick]"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from benchlib import pick, print_table, record_section, time_interleaved
from payload import make_state

import shmstate
from shmstate import codec

try:
    import orjson
except ImportError:
    orjson = None

SIZES = [1200, 65536]
SECONDS = pick(0.1, 3.0)


def json_dumps(state):
    """What shmstate.encode writes, by the standard library."""
    text = json.dumps(state, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def measure(size):
    state = make_state(size)
    data = shmstate.encode(state)
    assert data == json_dumps(state) and shmstate.decode(data) == json.loads(data)
    batch = 64 if size < 65536 else 4
    decoders = {
        "json.loads": lambda: json.loads(data),
        "shmstate, json path": lambda: codec._decode_json(data, None),
        "shmstate.decode": lambda: shmstate.decode(data),
    }
    encoders = {
        "json.dumps": lambda: json_dumps(state),
        "shmstate.encode": lambda: shmstate.encode(state),
    }
    if orjson is not None:
        decoders["orjson.loads"] = lambda: orjson.loads(data)
        encoders["orjson.dumps"] = lambda: orjson.dumps(state)
    # Interleaved: the candidates share the machine's state (turbo, caches) slice by slice.
    decode_ns = time_interleaved(list(decoders.values()), SECONDS, batch)
    encode_ns = time_interleaved(list(encoders.values()), SECONDS, batch)
    return {
        "size": size,
        "bytes": len(data),
        "decoder": codec.DECODER,
        "decodeNs": {name: ns for name, (ns, _) in zip(decoders, decode_ns, strict=True)},
        "encodeNs": {name: ns for name, (ns, _) in zip(encoders, encode_ns, strict=True)},
    }


rows = [measure(size) for size in SIZES]


def us(row, kind, name):
    ns = row[kind].get(name)
    return None if ns is None else ns / 1e3


print_table(
    f"Python decode, us per call (shmstate.decode uses {codec.DECODER})",
    ["state", "json.loads", "orjson.loads", "shmstate.decode", "shmstate, json path"],
    [
        [
            f"{r['bytes']:,} B",
            us(r, "decodeNs", "json.loads"),
            us(r, "decodeNs", "orjson.loads"),
            us(r, "decodeNs", "shmstate.decode"),
            us(r, "decodeNs", "shmstate, json path"),
        ]
        for r in rows
    ],
)
print_table(
    "Python encode to UTF-8 bytes, us per call (orjson.dumps writes other bytes, no check)",
    ["state", "json.dumps", "orjson.dumps", "shmstate.encode"],
    [
        [
            f"{r['bytes']:,} B",
            us(r, "encodeNs", "json.dumps"),
            us(r, "encodeNs", "orjson.dumps"),
            us(r, "encodeNs", "shmstate.encode"),
        ]
        for r in rows
    ],
)
record_section("codecPython", {"seconds": SECONDS, "rows": rows})
