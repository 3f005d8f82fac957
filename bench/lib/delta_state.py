"""The state of the delta benchmarks, the same shape as bench/lib/delta-state.mjs (see
there): robot records keyed by id, filled up to `size` bytes of compact JSON."""

import json


def _robot(i):
    return {
        "id": i,
        "name": f"robot-{i}",
        "pose": {"x": (i % 89) / 4 + 0.125, "y": (i % 61) / 8 + 0.0625},
        "tags": ["mobile", "lidar"] if i % 2 else ["fixed"],
    }


def _size(value):
    return len(json.dumps(value, separators=(",", ":")))


def make_robots(size):
    state = {"seq": 0, "t": 999999999999999, "robots": {}}
    length = _size(state)
    i = 0
    while True:
        extra = len(f'"r{i}":') + _size(_robot(i)) + (1 if i else 0)
        if length + extra > size:
            break
        state["robots"][f"r{i}"] = _robot(i)
        length += extra
        i += 1
    state["t"] = 0
    return state


def small_change(path, seq, t):
    """The ops of round `seq`, as smallChange in delta-state.mjs."""
    return [
        {"op": "replace", "path": path, "value": seq + 0.5},
        {"op": "replace", "path": "/t", "value": t},
    ]
