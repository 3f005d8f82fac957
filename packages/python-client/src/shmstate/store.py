"""Store: a JSON state in a shmstate segment, readable and writable by any process.

Reads come from a per-version cache: while the published version is unchanged, get()
and snapshot() return the state decoded last time with no copy and no decode. The
states they return are therefore shared: treat them as read-only (update() hands its
function a private copy to change).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from . import _native
from .aio import Changes
from .codec import MAX_SAFE_INTEGER, decode, encode
from .errors import ShmStateClosed, ShmStateConflict, ShmStateTimeout, error_for
from .subscription import Subscription
from .values import Change, Snapshot

#: Bytes per slot when create() is given no capacity (the segment holds two slots).
DEFAULT_CAPACITY = 64 * 1024
#: How many times update() re-runs its function after losing a compare-and-set.
DEFAULT_MAX_RETRIES = 100
# Back-off after the n-th lost compare-and-set in a row: a random pause of up to
# min(2^n * _BACKOFF_BASE_S, _BACKOFF_CAP_S). Without it, writers whose read-to-commit
# window is longer than the gap between rivals' commits can lose every time.
_BACKOFF_BASE_S = 10e-6
_BACKOFF_CAP_S = 5e-3

_UNSET: Any = object()


class _Entry:
    """The last state read: its version, its bytes and (once asked for) its value."""

    __slots__ = ("raw", "state", "version")

    def __init__(self, version: int, raw: bytes) -> None:
        self.version = version
        self.raw = raw
        self.state: Any = _UNSET


def _seconds(timeout: float | None, what: str = "timeout") -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise error_for("E_INVALID", f"{what} is {timeout!r}; it must be None or >= 0 seconds")
    return float(timeout)


def _first_version(version: int) -> int:
    # At most 2^53-1, the largest integer a JavaScript number holds exactly (the bound the
    # dialect puts on integers), so a Node reader sees the same version.
    is_int = isinstance(version, int) and not isinstance(version, bool)
    if not (is_int and 1 <= version <= MAX_SAFE_INTEGER):
        raise error_for("E_INVALID", f"version is {version!r}; it must be an int from 1 to 2^53-1")
    return version


def _hex_id(store_id: int) -> str:
    """The store id as Node writes it too: 16 lowercase hex digits."""
    return f"{store_id:016x}"


class Store:
    """A live JSON state shared through the segment ``/shmstate.<name>``.

    Make one with :meth:`create`, :meth:`open` or :meth:`open_or_create`; use it as a
    context manager or call :meth:`close`. One Store may be used from many threads.
    """

    def __init__(self, segment: _native.Segment, created: bool = False) -> None:
        self._seg = segment
        self._store_id = _hex_id(segment.store_id)  # fixed at creation: read once
        self._entry: _Entry | None = None
        self._subscriptions: list[Subscription] = []
        #: True if this handle created the segment (always for create(), maybe for
        #: open_or_create()).
        self.created = created

    # ---- lifecycle ------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        initial: Any = _UNSET,
        *,
        capacity: int = DEFAULT_CAPACITY,
        mode: int = 0o600,
        version: int = 1,
    ) -> Store:
        """Creates the segment (E_EXISTS if the name is taken) holding ``initial`` (an
        empty dict by default) as ``version`` (1 by default; a mirror of another store
        starts at that store's version). Later commits add 1 each. ``mode`` is exact:
        umask does not apply."""
        first = _first_version(version)
        data = encode({} if initial is _UNSET else initial)
        return cls(_native.Segment.create(name, capacity, mode, data, first), True)

    @classmethod
    def open(cls, name: str) -> Store:
        """Opens an existing segment (E_NOENT if absent, E_PERM if not trusted)."""
        return cls(_native.Segment.open(name))

    @classmethod
    def open_or_create(
        cls,
        name: str,
        initial: Any = _UNSET,
        *,
        capacity: int = DEFAULT_CAPACITY,
        mode: int = 0o600,
        version: int = 1,
    ) -> Store:
        """Opens the segment, or creates it as create() would; ``store.created`` tells
        which (``initial`` and ``version`` only matter if it creates). Safe when several
        processes race to create the same name."""
        first = _first_version(version)
        data = encode({} if initial is _UNSET else initial)
        segment, created = _native.Segment.open_or_create(name, capacity, mode, data, first)
        return cls(segment, created)

    @staticmethod
    def unlink(name: str) -> None:
        """Removes the name (E_NOENT if absent); open handles keep working."""
        _native.Segment.unlink(name)

    def close(self) -> None:
        """Stops this store's subscriptions and releases the mapping. Idempotent; every
        later call raises ShmStateClosed. Does not unlink."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            subscription.stop()
        self._seg.close()
        self._entry = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._seg.closed:
            return f"<Store {self._seg.name!r} closed>"
        return f"<Store {self._seg.name!r} version={self._seg.version}>"

    # ---- properties -----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._seg.name

    @property
    def store_id(self) -> str:
        """The store's id: 64 random bits drawn when the segment was created, as 16
        lowercase hex digits. A name unlinked and created again holds another store, with
        another id. Fixed for the store's life, so it stays readable after close()."""
        return self._store_id

    @property
    def closed(self) -> bool:
        return self._seg.closed

    @property
    def capacity(self) -> int:
        """Largest encoded state in bytes."""
        return self._seg.capacity

    @property
    def version(self) -> int:
        """The published version: one atomic load, no copy."""
        return self._seg.version

    def stats(self) -> dict[str, int | str]:
        """Writer-side statistics kept in the segment, plus the current waiter count,
        the layout version, the store id (as in ``store_id``) and the header's flags."""
        stats: dict[str, int | str] = dict(self._seg.stats())
        stats["store_id"] = self._store_id
        return stats

    def set_lock_timeout(self, seconds: float) -> None:
        """How long set()/update() wait for the writer lock before E_TIMEOUT (default 5 s);
        a lock held that long means a stalled writer, and it is never stolen."""
        limit = _seconds(seconds, "lock timeout")
        self._seg.set_lock_timeout(round((limit or 0.0) * 1000))

    # ---- reading --------------------------------------------------------------------

    def _current(self) -> _Entry:
        entry = self._entry
        if entry is not None and entry.version == self._seg.version:
            return entry
        version, raw = self._seg.read()
        entry = _Entry(version, raw)
        self._entry = entry  # one attribute store: readers in other threads see old or new
        return entry

    def snapshot(self) -> Snapshot:
        """The current state with its version, read consistently (never half a write)."""
        entry = self._current()
        state = entry.state
        if state is _UNSET:
            state = entry.state = decode(entry.raw, entry.version)
        return Snapshot(entry.version, state, self._store_id)

    def get(self) -> Any:
        """The current state. Shared with later calls: do not mutate it."""
        entry = self._entry
        # The cache hit costs one atomic load of the version and no allocation.
        if entry is not None and entry.version == self._seg.version and entry.state is not _UNSET:
            return entry.state
        return self.snapshot().state

    # ---- writing --------------------------------------------------------------------

    def set(self, state: Any) -> int:
        """Commits ``state`` as the next version and returns that version."""
        return self._seg.commit(encode(state))

    def update(self, fn: Callable[[Any], Any], *, max_retries: int = DEFAULT_MAX_RETRIES) -> int:
        """Compare-and-set: calls ``fn`` with a private copy of the current state and
        commits what it returns (or the copy itself, changed in place, if it returns
        None) only if no other commit came in between; otherwise re-reads and calls
        ``fn`` again (after a short random back-off), at most ``max_retries`` more times,
        then raises ShmStateConflict. Returns the new version. ``fn`` may run several
        times: keep it free of side effects."""
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise error_for("E_INVALID", f"max_retries is {max_retries!r}; it must be an int >= 0")
        for attempt in range(max_retries + 1):
            if attempt:
                time.sleep(random.uniform(0, min(_BACKOFF_BASE_S * 2**attempt, _BACKOFF_CAP_S)))
            entry = self._current()
            draft = decode(entry.raw, entry.version)
            result = fn(draft)
            data = encode(draft if result is None else result)
            try:
                return self._seg.commit(data, entry.version)
            except ShmStateConflict:
                continue
        raise error_for(
            "E_CONFLICT",
            f"update() gave up after {max_retries + 1} attempts: other writers committed "
            f"each time (last attempt on version {entry.version})",
        )

    # ---- watching -------------------------------------------------------------------

    def watch(self, timeout: float | None = None, *, replay: bool = False) -> Iterator[Change]:
        """Yields each new state as it is committed, starting after the current version
        (with ``replay``, the current state first). Blocks with the GIL released; Ctrl-C
        interrupts it. ``timeout`` bounds the wait for each next change: when it passes
        the iteration ends. It also ends when the store is closed from another thread."""
        limit = _seconds(timeout)
        seen = self._seg.version  # raises ShmStateClosed now, not at the first next()
        return self._watch(seen, limit, replay)

    def _watch(self, seen: int, timeout: float | None, replay: bool) -> Iterator[Change]:
        try:
            if replay:
                snap = self.snapshot()
                seen = snap.version
                yield Change(snap.version, snap.state, 0, snap.store_id)
            while True:
                try:
                    version = self._seg.wait(seen, timeout)
                except ShmStateTimeout:
                    return
                if version == seen:
                    continue  # cut short by wake(): nothing new
                snap = self.snapshot()
                # Versions a watcher did not see: skipped, or never made (a mirror's jump).
                yield Change(snap.version, snap.state, snap.version - seen - 1, snap.store_id)
                seen = snap.version
        except ShmStateClosed:
            if not self.closed:
                raise

    def wait_for(self, version: int, timeout: float | None = None) -> Snapshot:
        """Blocks until the published version is at least ``version`` and returns the
        snapshot then current; ShmStateTimeout if ``timeout`` seconds pass first."""
        limit = _seconds(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        seen = self._seg.version
        while seen < version:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                seen = self._seg.wait(seen, left)
            except ShmStateTimeout:
                raise error_for(
                    "E_TIMEOUT",
                    f"version {version} did not arrive within {limit} s; "
                    f"the version is {self._seg.version}",
                ) from None
        return self.snapshot()

    def subscribe(
        self,
        callback: Callable[[Change], object],
        *,
        replay: bool = True,
        on_error: Callable[[BaseException], object] | None = None,
    ) -> Subscription:
        """Calls ``callback(change)`` from a background daemon thread for each new state:
        first the current one (unless ``replay`` is False), then every change, latest
        wins. Returns a handle: ``stop()`` it, or use it as a context manager. Errors
        raised by ``callback`` go to ``on_error`` (default: printed to stderr)."""
        subscription = Subscription(self, callback, replay=replay, on_error=on_error)
        self._subscriptions = [s for s in self._subscriptions if s.active] + [subscription]
        return subscription

    def changes(self, *, replay: bool = False) -> Changes:
        """An async iterator of changes for asyncio: ``async for change in
        store.changes()``. The wait runs in a helper thread that hands each new version
        to the event loop; cancelling the consumer stops it."""
        return Changes(self, replay=replay)
