"""How a Store's writes become commits: :func:`prepare_patch`, :func:`prepare_state` and
:func:`commit`.

A write is prepared against the cached step (:class:`~shmstate.cache.Step`) it changes, with
no lock held and nothing committed, so every failure of the change itself (a patch that
does not apply, a value outside the dialect) leaves version and state alone. It is then
committed as a compare-and-set on that step's version (E_CONFLICT if another commit came
first: the caller retries or gives up). Preparing runs in the caller's thread (the event
loop for the asyncio writes); committing may wait for the writer lock.

On a segment with a patch ring:

- ``patch(ops)``: the ops applied to the cached state (structural sharing, the size change
  tracked), the ops encoded as the patch. The commit asks the core whether a checkpoint is
  due (``patch_plan``) and encodes the full state only then. The cache then moves to the
  new state without reading it back: a small change costs the writer the change, not the
  state.
- ``set(state)`` and ``update(fn)``: the state is encoded (the dialect check, the exact
  length), diffed against the cached one (:func:`~shmstate.json_diff.diff`: identical
  subtrees skipped, JSON equality), and sent as that patch when it is smaller than the
  state; otherwise as a checkpoint whose patch replaces the root (``[{"op": "replace",
  "path": "", "value": state}]``: what a watcher's Change then carries).

Without a ring every write is a whole-state commit, as before rings existed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import _native
from .cache import StateCache, Step
from .codec import decode, encode
from .errors import ShmStateEncodeError, error_for
from .frozen import FrozenDict, FrozenList, freeze
from .json_diff import diff
from .json_patch import apply_patch, apply_patch_with_size

__all__ = ["Prepared", "commit", "prepare_patch", "prepare_state", "same_json"]

#: The members of an op a patch carries; apply_patch ignores any other.
_MEMBERS = ("op", "path", "from", "value")


class Prepared:
    """A write ready to commit on ``base``: the state it makes (None when the writer does
    not keep it), that state's encoded length, the ops for the log (None: a full state),
    the patch bytes (None: a whole-state commit) and the full state's bytes when already
    encoded."""

    __slots__ = ("base", "data", "length", "ops", "patch", "state")

    def __init__(
        self,
        base: Step,
        state: Any,
        length: int,
        ops: Any,
        patch: bytes | None,
        data: bytes | None,
    ) -> None:
        self.base = base
        self.state = state
        self.length = length
        self.ops = ops
        self.patch = patch
        self.data = data


def _patch_bytes(ops: list[Any]) -> bytes | None:
    """The patch text of ``ops``; None if it cannot be written (the values of a patch sit
    two levels deeper than in the state, so a state near the nesting limit can have
    patches that nest past it: such a change goes as a whole state)."""
    try:
        return encode(ops)
    except ShmStateEncodeError:
        return None


def _whole(base: Step, state: Any, data: bytes) -> Prepared:
    """A whole-state commit on ``base`` (on a ring: a checkpoint without a patch)."""
    return Prepared(base, state, len(data), None, None, data)


def prepare_patch(cache: StateCache, base: Step, ops: object) -> Prepared | None:
    """RFC 6902 ``ops`` applied to ``base``; None if they change nothing (only ``test``
    ops, or none: the state is then the same object). Raises E_PATCH or E_ENCODE naming
    the op. Not a diff of the two states: that would walk every member of each container
    the ops copied, a cost of the state's width (4 ms per patch at 1 MiB)."""
    if not isinstance(ops, (list, tuple)):
        raise error_for("E_PATCH", f"a patch is a list of ops, not {type(ops).__name__}")
    state, delta = apply_patch_with_size(base.state, ops)
    if state is base.state:
        return None
    members = [
        {key: op[key] for key in _MEMBERS if key in op} if isinstance(op, Mapping) else op
        for op in ops
    ]
    patch = _patch_bytes(members) if cache.ring else None
    if patch is None:
        return _whole(base, state, encode(state))
    return Prepared(base, state, base.length + delta, freeze(members), patch, None)


def prepare_state(cache: StateCache, base: Step, new: Any, *, update: bool) -> Prepared | None:
    """``new`` as the state after ``base``. For an update, None if it is the same JSON as
    ``base``'s state (nothing to commit). Raises E_ENCODE naming the path."""
    if not cache.ring:
        if update and same_json(new, base.state):
            return None
        return Prepared(base, None, 0, None, None, encode(new))
    try:
        data = encode(new)
    except ShmStateEncodeError:
        # A state another language wrote that Python cannot write (a lone surrogate, an
        # integer beyond 2^53), handed back unchanged: nothing to commit.
        if update and same_json(new, base.state):
            return None
        raise
    ops = diff(base.state, new)
    if update and not ops:
        return None
    patch = _patch_bytes(ops)  # the values are parts of `new`, already in the dialect
    if patch is not None and len(patch) < len(data):
        return Prepared(base, apply_patch(base.state, ops), len(data), freeze(ops), patch, None)
    state = freeze(new)
    replace_root = b'[{"op":"replace","path":"","value":' + data + b"}]"
    if patch is None or len(replace_root) > cache.patch_max:
        return _whole(base, state, data)  # no ring entry could hold it: no patch at all
    ops_frozen = FrozenList([FrozenDict(op="replace", path="", value=state)])
    return Prepared(base, state, len(data), ops_frozen, replace_root, data)


def prepare_mirror_patch(cache: StateCache, base: Step, patch: bytes) -> Prepared:
    """The leader's patch text applied to ``base`` for a mirror commit: the same text goes
    into the ring (so the mirror's watchers see the leader's patch), even when it changes
    nothing (the leader published a version for it all the same). Raises E_PATCH for ops
    that do not apply, E_CORRUPT for text that is not JSON."""
    ops = decode(patch)
    if not isinstance(ops, (list, tuple)):
        raise error_for("E_PATCH", f"a patch is a list of ops, not {type(ops).__name__}")
    state, delta = apply_patch_with_size(base.state, ops)
    if not cache.ring or len(patch) > cache.patch_max:
        return _whole(base, state, encode(state))
    return Prepared(base, state, base.length + delta, freeze(ops), patch, None)


def commit(
    seg: _native.Segment, cache: StateCache, prepared: Prepared, mirror: bool = False
) -> int:
    """Commits ``prepared`` on its base version and returns the new version (E_CONFLICT if
    the published version is not the base's any more). Blocks for the writer lock.
    ``mirror``: the bridge's write into a mirror store, at the base version + 1."""
    base = prepared.base
    length = prepared.length
    if prepared.patch is None:
        assert prepared.data is not None
        if mirror:
            version = seg.commit(prepared.data, 0, base.version + 1, True)
        else:
            version = seg.commit(prepared.data, base.version)
    else:
        data = prepared.data
        if data is None and seg.patch_plan(base.version, len(prepared.patch), length):
            data = encode(prepared.state)  # a checkpoint is due: the full state goes too
            length = len(data)
        version = seg.commit_patch(prepared.patch, data, length, base.version, mirror)
    if prepared.state is not None:
        cache.committed(base, Step(version, prepared.state, length, prepared.ops))
    return version


def same_json(new: object, old: object) -> bool:
    """Whether ``new`` is the same JSON as ``old`` as a store without a ring compares them:
    equal by ``==``, and of the same JSON type at every place (``==`` alone takes ``True``,
    ``1`` and ``1.0``, or ``0.0`` and ``-0.0``, for the same, where the text tells them
    apart). Lists and tuples are both arrays; the order of an object's keys does not
    matter."""
    if new != old:
        return False
    pairs: list[tuple[object, object]] = [(new, old)]
    while pairs:
        a, b = pairs.pop()
        if isinstance(a, dict):
            if not isinstance(b, dict):
                return False
            pairs.extend((value, b[key]) for key, value in a.items())
        elif isinstance(a, (list, tuple)):
            if not isinstance(b, (list, tuple)):
                return False
            pairs.extend(zip(a, b, strict=True))
        elif isinstance(a, bool) or isinstance(b, bool):
            if not (isinstance(a, bool) and isinstance(b, bool)):
                return False
        elif isinstance(a, float) or isinstance(b, float):
            if not (isinstance(a, float) and isinstance(b, float)):
                return False
            if a == 0 and math.copysign(1.0, a) != math.copysign(1.0, b):
                return False
    return True
