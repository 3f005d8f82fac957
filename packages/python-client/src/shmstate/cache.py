"""What a Store knows of its segment: the latest state it read or wrote, and the steps that
led to it, for watchers.

A :class:`Step` is one version: its state (read-only: :class:`~shmstate.frozen.FrozenDict`
/ :class:`~shmstate.frozen.FrozenList`), the state's encoded length as tracked, and the
RFC 6902 ops that lead to it from the state one version before, or None when it replaces
the state wholesale (a full read, a segment without a ring).

Reading (:meth:`StateCache.current`). While the published version is the cached one, the
cached step is returned: one atomic load. Otherwise, on a segment with a patch ring, the
cache catches up: ``read_patches(cached version)``, each patch decoded and applied in order
with :func:`~shmstate.json_patch.apply_patch_with_size`, so every new state shares each
unchanged subtree with the one before and its length is the previous length plus the
patch's change. When the ring no longer holds a patch the cache needs (``need_full``), or
a patch the core handed out does not apply (a pointer to nothing, text that is not a
patch), it falls back to a fresh read: ``read_delta()``, the checkpoint decoded and its
patches applied; if those do not apply either, the segment is E_CORRUPT. Without a ring
every new version is one whole read.

The log. Whoever advances the cache (a read, or this store's own commit) appends the steps
to a bounded log, at most ``ring_entries`` long, that keeps only what a live watcher still
needs: the steps after the oldest version a :class:`Cursor` has emitted (always the latest
one). :meth:`StateCache.next_change` turns the log into a watcher's next Change.

Threads: one lock serialises advancing the cache and registering cursors; the cached step
and the log are each replaced by one attribute store, so lock-free readers see the old or
the new.
"""

from __future__ import annotations

import bisect
import threading
import weakref
from typing import Any

from . import _native
from .codec import decode
from .errors import (
    ShmStateCorruptError,
    ShmStateEncodeError,
    ShmStatePatchError,
    error_for,
)
from .frozen import FrozenList, freeze
from .json_patch import apply_patch_with_size
from .values import Change

__all__ = ["Cursor", "StateCache", "Step"]

#: What a patch that passed the core's checks may still fail with when it is applied.
_DOES_NOT_APPLY = (ShmStateCorruptError, ShmStatePatchError, ShmStateEncodeError)


class Step:
    """One version of the state as this store has it."""

    __slots__ = ("length", "patches", "state", "version")

    def __init__(self, version: int, state: Any, length: int, patches: Any | None) -> None:
        self.version = version
        self.state = state
        self.length = length
        #: The ops (a FrozenList of FrozenDicts) from version - 1, or None: a full state.
        self.patches = patches


def _version(step: Step) -> int:
    return step.version


class Cursor:
    """A watcher's place: the last version it emitted (None before the first) and whether
    it wants every version (``every``) or the latest."""

    __slots__ = ("__weakref__", "every", "last")

    def __init__(self, last: int | None, every: bool) -> None:
        self.last = last
        self.every = every


def _decode_patch(data: bytes, version: int) -> Any:
    try:
        return freeze(decode(data, version))
    except ShmStateCorruptError as error:
        raise error_for("E_CORRUPT", f"the patch for version {version}: {error}") from None


def _apply(step: Step, patches: list[bytes]) -> list[Step]:
    """The steps ``patches`` make of ``step``, one per patch."""
    steps = []
    version, state, length = step.version, step.state, step.length
    for data in patches:
        version += 1
        ops = _decode_patch(data, version)
        state, delta = apply_patch_with_size(state, ops)
        length += delta
        steps.append(Step(version, state, length, ops))
    return steps


class StateCache:
    """The cached step, the log and the cursors of one Store (see the module docstring)."""

    def __init__(self, segment: _native.Segment) -> None:
        self._seg = segment
        entries, self.patch_max, _ = segment.ring_info()  # the geometry is immutable
        #: Whether the segment has a patch ring.
        self.ring = entries > 0
        self._log_max = max(entries, 1)
        self._lock = threading.Lock()
        #: The latest step read or written (None before the first read).
        self.entry: Step | None = None
        #: Recent steps, oldest first; the last is ``entry``.
        self.log: tuple[Step, ...] = ()
        self._cursors: weakref.WeakSet[Cursor] = weakref.WeakSet()

    # ---- reading ------------------------------------------------------------------------

    def current(self) -> Step:
        """The step at the published version (or later), reading only what changed."""
        entry = self.entry
        if entry is not None and entry.version == self._seg.version:
            return entry
        with self._lock:
            entry = self.entry
            if entry is None or entry.version != self._seg.version:
                self._publish(self._read(entry))
                entry = self.entry
            assert entry is not None
            return entry

    def _read(self, entry: Step | None) -> list[Step]:
        seg = self._seg
        if not self.ring:
            version, data = seg.read()
            return [Step(version, freeze(decode(data, version)), len(data), None)]
        if entry is not None:
            _, need_full, patches = seg.read_patches(entry.version)
            if not need_full:
                try:
                    return _apply(entry, patches)
                except _DOES_NOT_APPLY:
                    pass  # a ring entry that does not apply: a fresh read instead
        return self._read_delta(entry)

    def _read_delta(self, entry: Step | None) -> list[Step]:
        """A fresh read: the checkpoint (a full state) and the steps of its patches, those
        after ``entry``."""
        _, checkpoint, data, patches = self._seg.read_delta()
        first = Step(checkpoint, freeze(decode(data, checkpoint)), len(data), None)
        try:
            steps = [first, *_apply(first, patches)]
        except _DOES_NOT_APPLY as error:
            raise error_for(
                "E_CORRUPT",
                f"the patches after the checkpoint at version {checkpoint} do not apply: {error}",
            ) from None
        if entry is None:
            return steps
        # A checkpoint at or below the cached version: the patches after the cached version
        # still lead on from the state this store holds (the same JSON).
        return [step for step in steps if step.version > entry.version]

    # ---- advancing --------------------------------------------------------------------

    def committed(self, base: Step, step: Step) -> None:
        """This store committed ``step`` on ``base``: the cache moves to it without reading
        it back, unless it has moved on from ``base`` meanwhile."""
        with self._lock:
            if self.entry is base:
                self._publish([step])

    def _publish(self, steps: list[Step]) -> None:
        """Appends ``steps`` to the log and makes the last one current (lock held)."""
        if not steps:
            return
        log = self.log + tuple(steps)
        # Keep the steps after the oldest version a watcher has emitted, at most _log_max,
        # and always the latest.
        floor = min((c.last for c in self._cursors if c.last is not None), default=None)
        start = max(0, len(log) - self._log_max)
        if floor is None:
            start = len(log) - 1
        else:
            start = max(start, min(bisect.bisect_right(log, floor, key=_version), len(log) - 1))
        self.log = log[start:]
        self.entry = steps[-1]

    # ---- watching ---------------------------------------------------------------------

    def cursor(self, last: int | None, every: bool) -> Cursor:
        """A watcher's cursor, registered (weakly) so that the log keeps its steps."""
        cursor = Cursor(last, every)
        with self._lock:
            self._cursors.add(cursor)
        return cursor

    def next_change(self, cursor: Cursor, store_id: str) -> Change[Any] | None:
        """The change ``cursor`` reports next, or None if it has seen the latest version.

        Latest (``every`` False): the latest step, ``missed`` the versions since the
        cursor's, ``patches`` the ops of the steps in between joined (None if one of them
        replaced the state or the log does not reach back). Every: the step after the
        cursor's version, with its own ops; if the log no longer has it (the watcher fell
        more than the ring behind), the first step it has, as a full state (``patches``
        None) with ``missed`` counting the versions lost."""
        self.current()
        log = self.log
        latest = log[-1]
        last = cursor.last
        if last is None:
            change = Change(latest.version, latest.state, 0, store_id)
        elif latest.version <= last:
            return None
        else:
            i = bisect.bisect_right(log, last, key=_version)
            first = log[i]
            reaches = first.version == last + 1
            if cursor.every:
                patches = first.patches if reaches else None
                change = Change(first.version, first.state, first.version - last - 1, store_id)
            else:
                steps = log[i:]
                patches = None
                if reaches and all(step.patches is not None for step in steps):
                    patches = (
                        first.patches
                        if len(steps) == 1
                        else FrozenList([op for step in steps for op in step.patches or ()])
                    )
                change = Change(latest.version, latest.state, latest.version - last - 1, store_id)
            change.patches = patches
        cursor.last = change.version
        return change
