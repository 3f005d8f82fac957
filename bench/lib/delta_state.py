"""The state of the delta benchmarks, the same bytes as bench/lib/delta-state.mjs (see
there): robot records keyed by id in a tree of bounded width (32 robots a group, 32
groups a section), filled up to `size` bytes of compact JSON."""

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


GROUP = 32


def _tree(count):
    state = {"seq": 0, "t": 999999999999999, "robots": {}}
    for i in range(count):
        section = state["robots"].setdefault(f"a{i // (GROUP * GROUP)}", {})
        section.setdefault(f"b{(i // GROUP) % GROUP}", {})[f"r{i}"] = _robot(i)
    return state


def _flat(count):
    return {"seq": 0, "t": 999999999999999, "robots": {f"r{i}": _robot(i) for i in range(count)}}


def _fill(size, build):
    low, high = 0, 1
    while _size(build(high)) <= size:
        high *= 2
    while high - low > 1:
        middle = (low + high) // 2
        if _size(build(middle)) <= size:
            low = middle
        else:
            high = middle
    state = build(low)
    state["t"] = 0
    return state


def make_robots(size):
    return _fill(size, _tree)


def make_wide_robots(size):
    """The same robots in one object keyed by id: every change copies that object."""
    return _fill(size, _flat)


def changed_path(state):
    """The path of the field a small change replaces: the middle robot's pose.x."""
    ids = []
    pending = [("/robots", state["robots"])]
    while pending:
        path, node = pending.pop(0)
        for key, child in node.items():
            if key.startswith("r"):
                ids.append(f"{path}/{key}")
            else:
                pending.append((f"{path}/{key}", child))
    return f"{ids[len(ids) // 2]}/pose/x"


def robot_at(state, path):
    """The robot a path from changed_path names, in `state` or a copy of it."""
    node = state["robots"]
    for token in path.split("/")[2:-2]:
        node = node[token]
    return node


def small_change(path, seq, t):
    """The ops of round `seq`, as smallChange in delta-state.mjs."""
    return [
        {"op": "replace", "path": path, "value": seq + 0.5},
        {"op": "replace", "path": "/t", "value": t},
    ]
