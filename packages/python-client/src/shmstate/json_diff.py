"""RFC 6902 JSON Patch between two states: :func:`diff`.

``apply_patch(old, diff(old, new))`` is JSON-equal to ``new``. Subtrees that are the same
object in both states (``is``, which structural sharing makes common) are skipped without
a look inside; the rest are compared by JSON equality (:func:`~shmstate.json_patch.
json_equal`: ``True`` is not ``1``; ``1`` equals ``1.0``, so a change from ``1`` to
``1.0`` gives no op).

The ops:

- objects: ``remove`` for each key only in ``old``, then the ops of each key in both
  (recursively), then ``add`` for each key only in ``new``, in ``new``'s order (so the
  result's member order can differ from ``new``'s; JSON equality ignores it);
- arrays: the common prefix and suffix are skipped; the items between are paired by
  position (recursively), the surplus of ``old`` removed from the last, the surplus of
  ``new`` added in order. Linear in the size of the arrays, not minimal for an insertion
  in the middle of a long array (it shows as replaces up to the prefix or suffix);
- anything else that differs: ``replace`` with the new value (the object of ``new``
  itself, not a copy).

Each op is a plain dict, ``{"op": ..., "path": ..., "value": ...}`` in that order (no
``value`` for ``remove``). Containers are dicts, lists and tuples and their subclasses
(:class:`~shmstate.frozen.FrozenDict`, :class:`~shmstate.frozen.FrozenList`); every other
value is a leaf, compared by JSON equality. An object key that is not a ``str`` raises
``TypeError`` where a path through it would be written; nesting deeper than the
interpreter's recursion limit raises ``RecursionError``.

The cost is the size of what differs plus the prefix/suffix comparisons. :func:`diff` is
written in C (``shmstate._native.diff``, ``_codec/_diff.c``); ``_diff_python`` below is
the same algorithm in Python, kept as the reference the tests compare it with
(``tests/test_87_json_diff.py``), op for op.
"""

from __future__ import annotations

from typing import Any

from . import _native
from .json_patch import json_equal
from .json_pointer import escape_token

__all__ = ["diff"]

diff = _native.diff
"""RFC 6902 ops that take ``old`` to ``new`` (``[]`` if they are JSON-equal)."""


def _diff_python(old: Any, new: Any) -> list[dict[str, Any]]:
    """:func:`diff` in Python, the reference for the C one (the same ops, in order)."""
    ops: list[dict[str, Any]] = []
    _diff(old, new, "", ops)
    return ops


def _diff(old: Any, new: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if old is new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        _diff_objects(old, new, path, ops)
    elif isinstance(old, (list, tuple)) and isinstance(new, (list, tuple)):
        _diff_arrays(old, new, path, ops)
    elif not json_equal(old, new):
        ops.append({"op": "replace", "path": path, "value": new})


def _diff_objects(old: dict[str, Any], new: dict[str, Any], path: str, ops: list[Any]) -> None:
    for key in old:
        if key not in new:
            ops.append({"op": "remove", "path": path + "/" + escape_token(key)})
    added = []
    for key, value in new.items():
        before = old.get(key, _missing)
        if before is _missing:
            added.append((key, value))
        elif before is not value:
            _diff(before, value, path + "/" + escape_token(key), ops)
    for key, value in added:
        ops.append({"op": "add", "path": path + "/" + escape_token(key), "value": value})


def _diff_arrays(old: Any, new: Any, path: str, ops: list[Any]) -> None:
    n_old, n_new = len(old), len(new)
    shorter = min(n_old, n_new)
    start = 0
    while start < shorter and (old[start] is new[start] or json_equal(old[start], new[start])):
        start += 1
    end = 0  # items equal at the end, not overlapping the prefix
    while end < shorter - start:
        a, b = old[n_old - 1 - end], new[n_new - 1 - end]
        if a is not b and not json_equal(a, b):
            break
        end += 1
    middle_old, middle_new = n_old - start - end, n_new - start - end
    for i in range(start, start + min(middle_old, middle_new)):
        _diff(old[i], new[i], f"{path}/{i}", ops)
    for i in range(start + middle_old - 1, start + middle_new - 1, -1):
        ops.append({"op": "remove", "path": f"{path}/{i}"})
    for i in range(start + middle_old, start + middle_new):
        ops.append({"op": "add", "path": f"{path}/{i}", "value": new[i]})


_missing = object()
