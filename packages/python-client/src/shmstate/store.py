"""Store: a JSON state in a shmstate segment, readable and writable by any process.

Reads come from a per-version cache: while the published version is unchanged, get()
and snapshot() return the state decoded last time with no copy and no decode. The
states they return are therefore shared: treat them as read-only (update() hands its
function a private copy to change).

``Store`` is generic in the state's type: ``Store[Robot]`` (a TypedDict, say) types
``get()``, ``set()``, ``update()`` and every Snapshot and Change. ``create()`` infers it
from ``initial`` or from the annotation of what it is assigned to; ``open()`` returns
``Store[Any]`` unless the caller annotates (``robot: Store[Robot] = Store.open(...)``).
"""

from __future__ import annotations

import math
import random
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar, cast, overload

from . import _native, arguments
from .aio import Changes, aset, aupdate
from .codec import decode, encode
from .errors import ShmStateConflictError, ShmStateError, error_for
from .subscription import Subscription
from .values import Change, Snapshot, StoreStats
from .waitloop import Waiter, follow

T = TypeVar("T")

#: Bytes per slot when create() is given no capacity (the segment holds two slots); the
#: same default as Node's.
DEFAULT_CAPACITY = 1 << 20
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


def _hex_id(store_id: int) -> str:
    """The store id as Node writes it too: 16 lowercase hex digits."""
    return f"{store_id:016x}"


def same_json(new: object, old: object) -> bool:
    """Whether ``new`` is the same JSON as ``old``: equal by ``==``, and of the same JSON
    type at every place (``==`` alone takes ``True``, ``1`` and ``1.0``, or ``0.0`` and
    ``-0.0``, for the same, where JSON tells them apart). Lists and tuples are both
    arrays; the order of an object's keys does not matter."""
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


class Store(Generic[T]):
    """A live JSON state shared through the segment ``/shmstate.<name>``.

    Make one with :meth:`create`, :meth:`open` or :meth:`open_or_create`; use it as a
    context manager or call :meth:`close`. One Store may be used from many threads.
    """

    def __init__(self, segment: _native.Segment, created: bool = False) -> None:
        self._seg = segment
        self._store_id = _hex_id(segment.store_id)  # fixed at creation: read once
        self._entry: _Entry | None = None
        self._subscriptions: list[Subscription[T]] = []
        self._changes: weakref.WeakSet[Changes[T]] = weakref.WeakSet()
        #: True if this handle created the segment (always for create(), maybe for
        #: open_or_create()).
        self.created = created

    # ---- lifecycle ------------------------------------------------------------------

    @overload
    @classmethod
    def create(
        cls, name: str, *, capacity: int = ..., mode: int = ..., version: int = ...
    ) -> Store[dict[str, Any]]: ...
    @overload
    @classmethod
    def create(
        cls, name: str, initial: T, *, capacity: int = ..., mode: int = ..., version: int = ...
    ) -> Store[T]: ...
    @classmethod
    def create(
        cls,
        name: str,
        initial: Any = _UNSET,
        *,
        capacity: int = DEFAULT_CAPACITY,
        mode: int = 0o600,
        version: int = 1,
    ) -> Store[Any]:
        """Creates the segment (E_EXISTS if the name is taken) holding ``initial`` (an
        empty dict by default) as ``version`` (1 by default; a mirror of another store
        starts at that store's version). Later commits add 1 each. ``capacity`` is the
        largest encoded state in bytes (1 MiB by default, as in Node). ``mode`` is exact:
        umask does not apply."""
        args = _create_args(name, initial, capacity, mode, version)
        return cls(_native.Segment.create(*args), True)

    @classmethod
    def open(cls, name: str) -> Store[Any]:
        """Opens an existing segment (E_NOENT if absent, E_PERM if not trusted). The state
        type is unknown: annotate the variable (``robot: Store[Robot] = Store.open(...)``)."""
        return cls(_native.Segment.open(arguments.name(name)))

    @overload
    @classmethod
    def open_or_create(
        cls, name: str, *, capacity: int = ..., mode: int = ..., version: int = ...
    ) -> Store[dict[str, Any]]: ...
    @overload
    @classmethod
    def open_or_create(
        cls, name: str, initial: T, *, capacity: int = ..., mode: int = ..., version: int = ...
    ) -> Store[T]: ...
    @classmethod
    def open_or_create(
        cls,
        name: str,
        initial: Any = _UNSET,
        *,
        capacity: int = DEFAULT_CAPACITY,
        mode: int = 0o600,
        version: int = 1,
    ) -> Store[Any]:
        """Opens the segment, or creates it as create() would; ``store.created`` tells
        which (``initial`` and ``version`` only matter if it creates). Safe when several
        processes race to create the same name."""
        args = _create_args(name, initial, capacity, mode, version)
        segment, created = _native.Segment.open_or_create(*args)
        return cls(segment, created)

    @staticmethod
    def unlink(name: str) -> None:
        """Removes the name (E_NOENT if absent); open handles keep working."""
        _native.Segment.unlink(arguments.name(name))

    def close(self) -> None:
        """Stops this store's subscriptions and asyncio iterators and releases the
        mapping. Idempotent; every later call raises ShmStateClosedError. Does not
        unlink."""
        subscriptions, self._subscriptions = self._subscriptions, []
        changes = list(self._changes)
        self._changes = weakref.WeakSet()
        for subscription in subscriptions:
            subscription.signal_stop()
        for subscription in subscriptions:
            subscription.join()  # a callback running now still finds the store open
        self._seg.close()
        self._entry = None
        # After the close: a consumer woken by this must find the store closed, not wait
        # again for a ring that will never come.
        for iterator in changes:
            iterator._signal_stop()

    def __enter__(self) -> Store[T]:
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

    def stats(self) -> StoreStats:
        """Statistics kept in the segment: the fields of Node's ``stats()`` in snake_case
        (see :class:`~shmstate.values.StoreStats`), the store id as in ``store_id``."""
        raw = self._seg.stats()
        return StoreStats(
            version=raw["version"],
            capacity=raw["capacity"],
            commits=raw["commits"],
            conflicts=raw["conflicts"],
            lock_recoveries=raw["lock_recoveries"],
            waiters=raw["waiters"],
            layout_version=raw["layout_version"],
            doorbells=raw["doorbells"],
            doorbell_reclaims=raw["doorbell_reclaims"],
            store_id=self._store_id,
            flags=raw["flags"],
        )

    def set_lock_timeout(self, seconds: float) -> None:
        """How long set()/update() wait for the writer lock before E_TIMEOUT (default 5 s);
        a lock held that long means a stalled writer, and it is never stolen."""
        self._seg.set_lock_timeout(arguments.lock_timeout(seconds))

    # ---- reading --------------------------------------------------------------------

    def _current(self) -> _Entry:
        entry = self._entry
        if entry is not None and entry.version == self._seg.version:
            return entry
        version, raw = self._seg.read()
        entry = _Entry(version, raw)
        self._entry = entry  # one attribute store: readers in other threads see old or new
        return entry

    @staticmethod
    def _state_of(entry: _Entry) -> Any:
        state = entry.state
        if state is _UNSET:
            state = entry.state = decode(entry.raw, entry.version)
        return state

    def snapshot(self) -> Snapshot[T]:
        """The current state with its version, read consistently (never half a write)."""
        entry = self._current()
        return Snapshot(entry.version, self._state_of(entry), self._store_id)

    def get(self) -> T:
        """The current state. Shared with later calls: do not mutate it."""
        entry = self._entry
        # The cache hit costs one atomic load of the version and no allocation.
        if entry is not None and entry.version == self._seg.version and entry.state is not _UNSET:
            return cast(T, entry.state)
        return self.snapshot().state

    # ---- writing --------------------------------------------------------------------

    def set(self, state: T) -> int:
        """Commits ``state`` as the next version and returns that version."""
        return self._seg.commit(encode(state))

    def update(self, fn: Callable[[T], T | None], *, max_retries: int = DEFAULT_MAX_RETRIES) -> int:
        """Compare-and-set: calls ``fn`` with a private copy of the current state and
        commits what it returns (or, if it returns None, the copy as ``fn`` changed it in
        place) only if no other commit came in between; otherwise re-reads and calls
        ``fn`` again (after a short random back-off), at most ``max_retries`` more times,
        then raises ShmStateConflictError. Returns the new version. If the result is the
        same JSON as the state read (``fn`` changed nothing) nothing is committed and the
        version read is returned, as in Node. ``fn`` may run several times: keep it free
        of side effects."""
        retries = self._check_update(fn, max_retries)
        version = 0
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(self._backoff(attempt))
            version, data = self._attempt(fn)
            if data is None:
                return version
            try:
                return self._seg.commit(data, version)
            except ShmStateConflictError:
                continue
        raise self._gave_up(retries, version)

    @staticmethod
    def _check_update(fn: object, max_retries: object) -> int:
        arguments.function(fn, "fn")
        return arguments.max_retries(max_retries)

    @staticmethod
    def _backoff(attempt: int) -> float:
        """The pause before attempt ``attempt`` (1, 2, ...) of an update."""
        return random.uniform(0, min(_BACKOFF_BASE_S * 2**attempt, _BACKOFF_CAP_S))

    def _attempt(self, fn: Callable[[T], T | None]) -> tuple[int, bytes | None]:
        """One update attempt up to the commit: the version read and the bytes to commit
        on it, or None if ``fn`` changed nothing."""
        entry = self._current()
        read = self._state_of(entry)  # the shared state, for the comparison only
        draft: T = decode(entry.raw, entry.version)  # fn's private copy
        result = fn(draft)
        new = draft if result is None else result
        if same_json(new, read):
            return entry.version, None
        return entry.version, encode(new)

    @staticmethod
    def _gave_up(max_retries: int, version: int) -> ShmStateError:
        return error_for(
            "E_CONFLICT",
            f"update() gave up after {max_retries + 1} attempts: other writers committed "
            f"each time (last attempt on version {version})",
        )

    async def aset(self, state: T) -> int:
        """``set()`` for asyncio: the commit (which may wait for the writer lock) runs off
        the event loop, in its default executor."""
        return await aset(self, state)

    async def aupdate(
        self, fn: Callable[[T], T | None], *, max_retries: int = DEFAULT_MAX_RETRIES
    ) -> int:
        """``update()`` for asyncio: ``fn`` runs on the event loop, each commit off it (in
        its default executor), and the back-off between attempts is an ``asyncio.sleep``,
        so the loop never blocks. Same result and errors as ``update()``."""
        return await aupdate(self, fn, self._check_update(fn, max_retries))

    # ---- watching -------------------------------------------------------------------

    def watch(self, timeout: float | None = None, *, replay: bool = False) -> Iterator[Change[T]]:
        """Yields each new state as it is committed, starting after the current version
        (with ``replay``, the current state first). Blocks with the GIL released; Ctrl-C
        interrupts it. ``timeout`` bounds the wait for each next change: when it passes
        the iteration ends. It also ends when the store is closed from another thread."""
        limit = arguments.timeout(timeout)
        waiter = Waiter(self._seg, self._seg.version)  # raises ShmStateClosedError now
        return follow(self, waiter, replay=replay, timeout=limit)

    def wait_for(self, version: int, timeout: float | None = None) -> Snapshot[T]:
        """Blocks until the published version is at least ``version`` and returns the
        snapshot then current; ShmStateTimeoutError if ``timeout`` seconds pass first."""
        target = arguments.version(version)
        limit = arguments.timeout(timeout)
        deadline = None if limit is None else time.monotonic() + limit
        waiter = Waiter(self._seg, self._seg.version)
        while waiter.seen < target:
            seen = waiter.next_version(deadline)
            if seen is None:
                raise error_for(
                    "E_TIMEOUT",
                    f"version {target} did not arrive within {limit} s; "
                    f"the version is {self._seg.version}",
                )
            waiter.seen = seen
        return self.snapshot()

    def subscribe(
        self,
        callback: Callable[[Change[T]], object],
        *,
        replay: bool = True,
        on_error: Callable[[BaseException], object] | None = None,
    ) -> Subscription[T]:
        """Calls ``callback(change)`` from a background daemon thread for each new state:
        first the current one (unless ``replay`` is False), then every change, latest
        wins. Returns a handle: ``stop()`` it, or use it as a context manager. Errors
        raised by ``callback`` go to ``on_error`` (default: printed to stderr)."""
        arguments.function(callback, "callback")
        if on_error is not None:
            arguments.function(on_error, "on_error")
        subscription = Subscription(self, callback, replay=replay, on_error=on_error)
        self._subscriptions = [s for s in self._subscriptions if s.active] + [subscription]
        return subscription

    def changes(self, *, replay: bool = False) -> Changes[T]:
        """An async iterator of changes for asyncio: ``async for change in
        store.changes()``. The event loop polls a doorbell for it (or, where none can be
        had, a helper thread waits and hands each new version to the loop); cancelling
        the consumer stops it."""
        return Changes(self, replay=replay)

    def _track(self, changes: Changes[T]) -> None:
        """Remembers an asyncio iterator, weakly, so close() can end it."""
        self._changes.add(changes)


def _create_args(
    name: object, initial: object, capacity: object, mode: object, version: object
) -> tuple[str, int, int, bytes, int]:
    """The checked arguments of Segment.create/open_or_create: types here, ranges in the
    core (shmstate.arguments)."""
    checked_name = arguments.name(name)
    checked_capacity = arguments.capacity(capacity)
    checked_mode = arguments.mode(mode)
    checked_version = arguments.start_version(version)
    data = encode({} if initial is _UNSET else initial)
    return checked_name, checked_capacity, checked_mode, data, checked_version
