"""Question: does a one-field change cost a small, size-independent amount in Python?
apply_patch (structural sharing) and diff (skipping shared subtrees) of a one-field
change on 1 KiB, 64 KiB and 1 MiB states, against decoding the whole state; what the diff
in C (json_diff.diff, what set() and update() run) saves over the same algorithm in
Python (json_diff._diff_python); and what the read-only containers cost to build
(FrozenDict/FrozenList against dict/list copies).
Prints figures only (not part of the tests, not recorded in bench/results).
    .venv/bin/python bench/json_patch_python.py [--quick]"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from benchlib import pick, print_table, size_label, time_interleaved
from payload import make_state

import shmstate
from shmstate.frozen import FrozenDict, FrozenList, freeze
from shmstate.json_diff import _diff_python, diff
from shmstate.json_patch import apply_patch, apply_patch_with_size

SIZES = [1024, 65536, 1 << 20]
SECONDS = pick(0.2, 2.0)


def measure(size):
    data = shmstate.encode(make_state(size))
    old = freeze(shmstate.decode(data))
    middle = len(old["items"]) // 2
    ops = [{"op": "replace", "path": f"/items/{middle}/value", "value": 1.25}]
    new = apply_patch(old, ops)
    assert diff(old, new) == ops
    unshared = freeze(shmstate.decode(shmstate.encode(new)))  # equal, no object shared
    assert diff(old, unshared) == ops
    batch = 16 if size <= 65536 else 1
    fns = {
        "decode": lambda: shmstate.decode(data),
        "apply": lambda: apply_patch(old, ops),
        "apply+size": lambda: apply_patch_with_size(old, ops),
        "diff": lambda: diff(old, new),
    }
    timed = time_interleaved(list(fns.values()), SECONDS, batch)
    figures = {name: ns / 1e3 for name, (ns, _) in zip(fns, timed, strict=True)}
    # Not interleaved: a full walk in Python, far slower than the rest.
    ((ns, _),) = time_interleaved([lambda: diff(old, unshared)], SECONDS, 1, slices=3)
    figures["diff, nothing shared"] = ns / 1e3
    return [size_label(size), len(old["items"])] + [
        figures[k] for k in ("decode", "apply", "apply+size", "diff", "diff, nothing shared")
    ]


print_table(
    "One-field change (/items/N/value), us per call; states are frozen decoded states",
    ["state", "items", "decode", "apply", "apply+size", "diff", "diff, nothing shared"],
    [measure(size) for size in SIZES],
)


def diff_rows(size):
    """The diff of three changes, in Python and in C: one field of a state made by
    apply_patch (every other subtree shared, as patch() leaves it); the same change in a
    state that shares nothing (update() hands its function a copy, so every member is
    compared); every record's value changed (a whole-state change, nothing shared)."""
    old = freeze(shmstate.decode(shmstate.encode(make_state(size))))
    middle = len(old["items"]) // 2
    ops = [{"op": "replace", "path": f"/items/{middle}/value", "value": 1.25}]
    shared = apply_patch(old, ops)
    copied = shmstate.decode(shmstate.encode(shared))
    every = shmstate.decode(shmstate.encode(old))
    for item in every["items"]:
        item["value"] += 1
    rows = []
    for label, new in [("one field", shared), ("one field, copy", copied), ("every record", every)]:
        assert diff(old, new) == _diff_python(old, new)
        batch = 16 if size <= 65536 else 1
        timed = time_interleaved(
            [lambda n=new: _diff_python(old, n), lambda n=new: diff(old, n)],
            SECONDS,
            batch if label == "one field" or size <= 1024 else 1,
            slices=15 if label == "one field" or size <= 1024 else 5,
        )
        python_us, c_us = (ns / 1e3 for ns, _ in timed)
        rows.append([size_label(size), label, python_us, c_us, python_us / c_us])
    return rows


print_table(
    "json_diff.diff: the same ops from Python and from C, us per call (frozen decoded state)",
    ["state", "change", "python", "C", "python/C"],
    [row for size in SIZES for row in diff_rows(size)],
)

rows = []
for width in (4, 16, 256, 4096):
    small_dict = {f"k{i}": i for i in range(width)}
    small_list = list(range(width))
    fns = [
        lambda d=small_dict: dict(d),
        lambda d=small_dict: FrozenDict(d),
        lambda x=small_list: list(x),
        lambda x=small_list: FrozenList(x),
    ]
    timed = time_interleaved(fns, SECONDS / 2, 256 if width < 4096 else 16)
    rows.append([width] + [ns for ns, _ in timed])
print_table(
    "Building one container, ns per call (a copy of `width` items)",
    ["width", "dict(d)", "FrozenDict(d)", "list(x)", "FrozenList(x)"],
    rows,
)
