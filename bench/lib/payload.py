"""The benchmark state, the same shape as bench/lib/payload.mjs (see there)."""

import json


def _item(i):
    return {"id": i, "name": f"sensor-{i}", "value": (i % 97) / 8 + 0.0625, "ok": i % 3 != 0}


def _size(value):
    return len(json.dumps(value, separators=(",", ":")))


def make_state(size):
    state = {"seq": 99999, "t": 999999999999999, "items": [], "pad": ""}
    length = _size(state)
    i = 0
    while True:
        extra = _size(_item(i)) + (1 if state["items"] else 0)
        if length + extra > size:
            break
        state["items"].append(_item(i))
        length += extra
        i += 1
    state["pad"] = "x" * max(0, size - length)
    state["seq"] = 0
    state["t"] = 0
    return state


def encode(state):
    """Compact JSON, as the peers send it."""
    return json.dumps(state, separators=(",", ":"))
