"""Store: a JSON state in a shmstate segment, readable and writable by any process.

Reads come from a per-version cache (shmstate.cache): while the published version is
unchanged, get() and snapshot() return the state read last time with no copy and no
decode. On a store with a patch ring (the default) a new version costs the patches since
the cached one, applied with structural sharing: the new state shares every subtree they
left alone with the old. States are therefore read-only (FrozenDict, FrozenList);
update() hands its function a private, mutable copy. Writes (shmstate.writes) send a patch
when one is smaller than the state.

``Store`` is generic in the state's type: ``Store[Robot]`` (a TypedDict, say) types
``get()``, ``set()``, ``update()`` and every Snapshot and Change. ``create()`` infers it
from ``initial`` or from the annotation of what it is assigned to; ``open()`` returns
``Store[Any]`` unless the caller annotates (``robot: Store[Robot] = Store.open(...)``).
"""

from __future__ import annotations

import math
import random
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast, overload

from . import _native, arguments, opening
from .aio import Changes, apatch, aset, aupdate
from .attachment import Attachment, attachments
from .cache import Cursor, StateCache, Step
from .codec import decode, encode
from .errors import (
    ShmStateBusyError,
    ShmStateConflictError,
    ShmStateCorruptError,
    ShmStateError,
    error_for,
)
from .frozen import thaw
from .subscription import Subscription
from .values import Change, Snapshot, StoreStats
from .waitloop import Waiter, follow
from .writes import Prepared, commit, prepare_mirror_patch, prepare_patch, prepare_state

T = TypeVar("T")

#: Bytes per slot when create() is given no capacity (the segment holds two slots); the
#: same default as Node's.
DEFAULT_CAPACITY = 1 << 20
#: How many times update() re-runs its function after losing a compare-and-set.
DEFAULT_MAX_RETRIES = 100
#: Seconds a store opened with ``reopen=True`` waits for the store that replaces it.
DEFAULT_REOPEN_TIMEOUT = 10.0
# Back-off after the n-th lost compare-and-set in a row: a random pause of up to
# min(2^n * _BACKOFF_BASE_S, _BACKOFF_CAP_S). Without it, writers whose read-to-commit
# window is longer than the gap between rivals' commits can lose every time.
_BACKOFF_BASE_S = 10e-6
_BACKOFF_CAP_S = 5e-3

_UNSET: Any = object()


def _hex_id(store_id: int) -> str:
    """The store id as Node writes it too: 16 lowercase hex digits."""
    return f"{store_id:016x}"


class Store(Generic[T]):
    """A live JSON state shared through the segment ``/shmstate.<name>``.

    Make one with :meth:`create`, :meth:`open` or :meth:`open_or_create`; use it as a
    context manager or call :meth:`close`. One Store may be used from many threads.
    """

    def __init__(
        self, segment: _native.Segment, created: bool = False, reopen: float | None = None
    ) -> None:
        self._seg = segment
        self._store_id = _hex_id(segment.store_id)  # fixed at creation: read once
        self._cache = StateCache(segment)
        #: Seconds a retired store waits for its replacement; None: it does not follow.
        self._reopen = reopen
        self._replacing = threading.Lock()
        #: How open() opened the segment (trust, read_only): a replacement opens the same way.
        self._open_args: tuple[str | None, bool] = (None, False)
        self._subscriptions: list[Subscription[T]] = []
        self._changes: weakref.WeakSet[Changes[T]] = weakref.WeakSet()
        #: True if this handle created the segment (always for create(), maybe for
        #: open_or_create()).
        self.created = created

    # ---- lifecycle ------------------------------------------------------------------

    @overload
    @classmethod
    def create(
        cls,
        name: str,
        *,
        capacity: int = ...,
        mode: int = ...,
        version: int = ...,
        ring_entries: int | None = ...,
        ring_patch_max: int | None = ...,
        self_cleaning: bool = ...,
        group: str | int | None = ...,
        mirror_of: str | None = ...,
    ) -> Store[dict[str, Any]]: ...
    @overload
    @classmethod
    def create(
        cls,
        name: str,
        initial: T,
        *,
        capacity: int = ...,
        mode: int = ...,
        version: int = ...,
        ring_entries: int | None = ...,
        ring_patch_max: int | None = ...,
        self_cleaning: bool = ...,
        group: str | int | None = ...,
        mirror_of: str | None = ...,
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
        ring_entries: int | None = None,
        ring_patch_max: int | None = None,
        self_cleaning: bool = False,
        group: str | int | None = None,
        mirror_of: str | None = None,
    ) -> Store[Any]:
        """Creates the segment (E_EXISTS if the name is taken) holding ``initial`` (an
        empty dict by default) as ``version`` (1 by default; a mirror of another store
        starts at that store's version). Later commits add 1 each. ``capacity`` is the
        largest encoded state in bytes (1 MiB by default, as in Node). ``mode`` is exact:
        umask does not apply.

        The segment keeps a patch ring of the last ``ring_entries`` commits (None: the
        default, 1024), each patch up to ``ring_patch_max`` bytes (None: the default,
        min(1984, capacity) rounded up to a 64-byte entry); ``ring_entries=0`` makes a
        store without a ring, whose every commit is a whole state.

        ``self_cleaning=True`` makes a store that removes itself: when the last attached
        process closes it, and, when every attached process died (SIGKILL included), at
        the next open of its name in any language (which then finds no store;
        open_or_create makes a fresh one), ``shmstate ls`` or ``shmstate doctor``.

        ``group`` (a group name or a gid; the creator must belong to it, else E_PERM) gives
        the segment that group: with ``mode=0o660`` its members read and write, with
        ``0o640`` they only read. They open it with ``Store.open(name, trust="group")``.

        ``mirror_of`` (printable text, at most 256 bytes) makes a mirror store: one that
        follows a leader elsewhere (the bridge, docs/bridge.md), described by that text.
        Its ordinary writes (set, update, patch) fail with ShmStateMirrorError (E_MIRROR)
        naming the leader; only mirror_set and mirror_patch write it."""
        args, group_option = _create_args(
            name,
            initial,
            capacity,
            mode,
            version,
            ring_entries,
            ring_patch_max,
            self_cleaning,
            mirror_of,
            group,
        )
        return cls(_native.Segment.create(*args, group=group_option), True)

    @classmethod
    def open(
        cls,
        name: str,
        wait: float | None = None,
        *,
        trust: str | int | Sequence[str | int] | None = None,
        read_only: bool = False,
        reopen: bool = False,
        reopen_timeout: float = DEFAULT_REOPEN_TIMEOUT,
    ) -> Store[Any]:
        """Opens an existing segment (E_NOENT if absent, E_PERM if not trusted). The state
        type is unknown: annotate the variable (``robot: Store[Robot] = Store.open(...)``).

        With ``wait`` (seconds; ``math.inf`` for no limit), a store that does not exist
        yet is waited for, so a subscriber can start before its publisher: E_TIMEOUT if
        none appeared in time. The wait sleeps between creations (inotify), with the GIL
        released; Ctrl-C ends it.

        A store another user created opens only if ``trust`` trusts its owner or its
        group: ``"group"`` (a store whose group is one of this process's groups), a uid, a
        list of those, or the grammar as text (``"group,uid:1001"``; ``""`` trusts no other
        uid). None: the environment variable SHMSTATE_TRUST, if set. ``read_only=True``
        opens without write access; a store this user may read but not write opens
        read-only anyway (``store.read_only``): it reads and subscribes, and its writes are
        E_PERM.

        With ``reopen``, the store follows a replacement: when the name is unlinked (the
        store is retired) and created again, watch() and subscribe() wait up to
        ``reopen_timeout`` seconds for the new store (opened with the same ``trust`` and
        ``read_only``) and go on with it (the next change has ``replaced`` True); without
        it they raise ShmStateRetiredError. That wait makes the swap: until one has, the
        store's writes raise ShmStateRetiredError and get() returns the old state."""
        checked_trust = arguments.trust(trust)
        checked_read_only = arguments.flag(read_only, "read_only")
        following = _reopen_seconds(reopen, reopen_timeout)
        if wait is None:
            segment = _native.Segment.open(arguments.name(name), checked_trust, checked_read_only)
        else:
            segment = opening.open_segment(name, wait, checked_trust, checked_read_only)
        store = cls(segment, reopen=following)
        store._open_args = (checked_trust, checked_read_only)
        return store

    @classmethod
    async def aopen(
        cls,
        name: str,
        wait: float | None = None,
        *,
        trust: str | int | Sequence[str | int] | None = None,
        read_only: bool = False,
        reopen: bool = False,
        reopen_timeout: float = DEFAULT_REOPEN_TIMEOUT,
    ) -> Store[Any]:
        """``Store.open(name, wait=...)`` for asyncio: the event loop keeps running while
        the store is awaited (``wait=None``: open at once, as ``open``). ``reopen`` is as in
        open(): watch() and subscribe() of the store follow a replacement."""
        if wait is None:
            return cls.open(
                name,
                trust=trust,
                read_only=read_only,
                reopen=reopen,
                reopen_timeout=reopen_timeout,
            )
        checked_trust = arguments.trust(trust)
        checked_read_only = arguments.flag(read_only, "read_only")
        following = _reopen_seconds(reopen, reopen_timeout)
        segment = await opening.aopen_segment(name, wait, checked_trust, checked_read_only)
        store = cls(segment, reopen=following)
        store._open_args = (checked_trust, checked_read_only)
        return store

    @overload
    @classmethod
    def open_or_create(
        cls,
        name: str,
        *,
        capacity: int = ...,
        mode: int = ...,
        version: int = ...,
        ring_entries: int | None = ...,
        ring_patch_max: int | None = ...,
        self_cleaning: bool = ...,
        group: str | int | None = ...,
        mirror_of: str | None = ...,
    ) -> Store[dict[str, Any]]: ...
    @overload
    @classmethod
    def open_or_create(
        cls,
        name: str,
        initial: T,
        *,
        capacity: int = ...,
        mode: int = ...,
        version: int = ...,
        ring_entries: int | None = ...,
        ring_patch_max: int | None = ...,
        self_cleaning: bool = ...,
        group: str | int | None = ...,
        mirror_of: str | None = ...,
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
        ring_entries: int | None = None,
        ring_patch_max: int | None = None,
        self_cleaning: bool = False,
        group: str | int | None = None,
        mirror_of: str | None = None,
    ) -> Store[Any]:
        """Opens the segment, or creates it as create() would; ``store.created`` tells
        which (``initial``, ``version`` and the ring options only matter if it creates: an
        opened store keeps its own ring, or none). Safe when several processes race to
        create the same name."""
        args, group_option = _create_args(
            name,
            initial,
            capacity,
            mode,
            version,
            ring_entries,
            ring_patch_max,
            self_cleaning,
            mirror_of,
            group,
        )
        segment, created = _native.Segment.open_or_create(*args, group=group_option)
        return cls(segment, created)

    @staticmethod
    def unlink(name: str) -> None:
        """Retires the store and removes its name (E_NOENT if absent): every watch(),
        subscribe(), changes() and wait_for() on it, in every process, ends with
        ShmStateRetiredError (E_RETIRED), or moves on to the store next created under the
        name in a store opened with ``reopen=True``; commits to it are refused with
        E_RETIRED; get() through open handles keeps returning its last state."""
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
    def read_only(self) -> bool:
        """Whether this handle is read-only (``read_only=True``, or the store is not
        writable by this user): set, update and patch raise E_PERM; reads and
        subscriptions work."""
        return self._seg.read_only

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
            checkpoint_version=raw["checkpoint_version"],
            ring_entries=raw["ring_entries"],
            ring_patch_max=raw["ring_patch_max"],
            ring_patch_bytes=raw["ring_patch_bytes"],
            last_commit_ns=raw["last_commit_ns"],
            mirror=raw["mirror"],
            leader=raw["leader"] if raw["mirror"] else None,
        )

    def attached(self) -> list[Attachment]:
        """Who has this store open, in every process: one entry per attached handle
        (Node and Python attach each one), alive or dead (killed without closing), this
        handle's own marked ``self``. Liveness is a kernel lock, not the pid. This handle
        is a reader until it commits (writer) or waits or watches (subscriber)."""
        return attachments(self._seg)

    def set_lock_timeout(self, seconds: float) -> None:
        """How long set()/update() wait for the writer lock before E_TIMEOUT (default 5 s);
        a lock held that long means a stalled writer, and it is never stolen."""
        self._seg.set_lock_timeout(arguments.lock_timeout(seconds))

    # ---- reading --------------------------------------------------------------------

    def snapshot(self) -> Snapshot[T]:
        """The current state with its version, read consistently (never half a write).
        The state is read-only (FrozenDict/FrozenList) and shared with later reads."""
        entry = self._cache.current()
        return Snapshot(entry.version, entry.state, self._store_id)

    def get(self) -> T:
        """The current state: read-only (FrozenDict/FrozenList) and shared with later
        calls and with the states of later versions (structural sharing)."""
        entry = self._cache.entry
        # The cache hit costs one atomic load of the version and no allocation.
        if entry is not None and entry.version == self._seg.version:
            return cast(T, entry.state)
        return cast(T, self._cache.current().state)

    # ---- writing --------------------------------------------------------------------

    def set(self, state: T) -> int:
        """Commits ``state`` as the next version and returns that version. With a patch
        ring it sends the patch from the cached state when that is smaller than the state
        (a checkpoint otherwise); if another commit comes first, or the cached state cannot
        be read (a corrupt state), it commits the whole state instead: set() never fails
        for a conflict."""
        prepared = self._prepare_set(state)
        if prepared is not None:
            try:
                return self._commit(prepared)
            except ShmStateConflictError:
                pass  # another commit came first: the whole state, unconditionally
        return self._seg.commit(encode(state))

    def _prepare_set(self, state: T) -> Prepared | None:
        """set()'s patch or checkpoint on the cached state; None for a whole-state commit
        (no ring, or the current state does not read)."""
        cache = self._cache
        if not cache.ring:
            return None
        try:
            base = cache.current()
        except (ShmStateCorruptError, ShmStateBusyError):
            return None
        return prepare_state(cache, base, state, update=False)

    def _commit(self, prepared: Prepared) -> int:
        return commit(self._seg, self._cache, prepared)

    def update(self, fn: Callable[[T], T | None], *, max_retries: int = DEFAULT_MAX_RETRIES) -> int:
        """Compare-and-set: calls ``fn`` with a private, mutable copy of the current state
        (plain dicts and lists) and commits what it returns (or, if it returns None, the
        copy as ``fn`` changed it in place) only if no other commit came in between;
        otherwise re-reads and calls ``fn`` again (after a short random back-off), at most
        ``max_retries`` more times, then raises ShmStateConflictError. Returns the new
        version. If the result is the same JSON as the state read (``fn`` changed nothing)
        nothing is committed and the version read is returned, as in Node. With a patch
        ring the change goes as a patch when that is smaller than the state. ``fn`` may run
        several times: keep it free of side effects."""
        retries = self._check_update(fn, max_retries)
        version = 0
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(self._backoff(attempt))
            base, prepared = self._attempt(fn)
            version = base.version
            if prepared is None:
                return version
            try:
                return self._commit(prepared)
            except ShmStateConflictError:
                continue
        raise self._gave_up("update()", retries, version)

    def patch(
        self,
        ops: Sequence[Mapping[str, Any]],
        *,
        expected_version: int | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> int:
        """Applies the RFC 6902 JSON Patch ``ops`` (a list of op dicts: ``add``,
        ``remove``, ``replace``, ``move``, ``copy``, ``test``) to the latest version and
        commits the result; returns the new version. A failed op (a pointer to nothing, a
        failed ``test``, a malformed op: ShmStatePatchError, E_PATCH; a value outside the
        JSON dialect: ShmStateEncodeError, E_ENCODE) names the op and commits nothing. Ops
        that change nothing (only ``test`` ops, say) commit nothing and return the version.
        Compare-and-set like update(): if another commit comes first the ops are applied
        again to the new version, at most ``max_retries`` more times; with
        ``expected_version`` they apply to that version only, and ShmStateConflictError
        (E_CONFLICT) is raised at once if it is not the latest. With a patch ring the commit
        carries the patch, and the writer neither encodes nor reads back the whole state
        (unless a checkpoint is due)."""
        expected = arguments.expected_version(expected_version)
        retries = arguments.max_retries(max_retries)
        version = 0
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(self._backoff(attempt))
            base, prepared = self._attempt_patch(ops, expected)
            version = base.version
            if prepared is None:
                return version
            try:
                return self._commit(prepared)
            except ShmStateConflictError:
                if expected is not None:
                    raise
        raise self._gave_up("patch()", retries, version)

    def _attempt_patch(self, ops: object, expected: int | None) -> tuple[Step, Prepared | None]:
        """One patch attempt up to the commit: the step it applies to and the commit, or
        None if the ops change nothing."""
        base = self._cache.current()
        if expected is not None and base.version != expected:
            raise error_for(
                "E_CONFLICT",
                f"patch() expected version {expected}; the version is {base.version}",
            )
        return base, prepare_patch(self._cache, base, ops)

    @staticmethod
    def _check_update(fn: object, max_retries: object) -> int:
        arguments.function(fn, "fn")
        return arguments.max_retries(max_retries)

    @staticmethod
    def _backoff(attempt: int) -> float:
        """The pause before attempt ``attempt`` (1, 2, ...) of an update."""
        return random.uniform(0, min(_BACKOFF_BASE_S * 2**attempt, _BACKOFF_CAP_S))

    def _attempt(self, fn: Callable[[T], T | None]) -> tuple[Step, Prepared | None]:
        """One update attempt up to the commit: the step read and the commit on it, or None
        if ``fn`` changed nothing."""
        base = self._cache.current()
        draft: T = thaw(base.state)  # fn's private, mutable copy
        result = fn(draft)
        new = draft if result is None else result
        return base, prepare_state(self._cache, base, new, update=True)

    @staticmethod
    def _gave_up(what: str, max_retries: int, version: int) -> ShmStateError:
        return error_for(
            "E_CONFLICT",
            f"{what} gave up after {max_retries + 1} attempts: other writers committed "
            f"each time (last attempt on version {version})",
        )

    # ---- mirror writes (the bridge) ---------------------------------------------------

    def mirror_set(self, data: str | bytes, version: int) -> int:
        """Publishes ``data`` (the leader's state, as JSON text in the shmstate dialect: a
        str or UTF-8 bytes) as exactly ``version`` on a mirror store: versions may jump,
        never go back (ShmStateConflictError unless ``version`` is above the published
        one). The text is decoded first, so text that is not JSON is refused (E_CORRUPT)
        and commits nothing. E_INVALID for data of another type, and on a store that is
        not a mirror."""
        text = arguments.json_text(data, "data")
        arguments.start_version(version)
        decode(text)
        return self._seg.commit(text, 0, version, True)

    def mirror_patch(self, patch: str | bytes, version: int) -> int:
        """Applies the leader's patch ``patch`` (RFC 6902 text, in the dialect: a str or
        UTF-8 bytes), the one that leads from ``version - 1`` to ``version``, to a mirror
        store at ``version - 1`` and publishes ``version``. ShmStateConflictError if the
        store is not at ``version - 1``; a patch that does not apply (E_PATCH) or is not
        valid text commits nothing; E_INVALID for a patch of another type."""
        text = arguments.json_text(patch, "patch")
        arguments.start_version(version)
        base = self._cache.current()
        if base.version != version - 1:
            raise error_for(
                "E_CONFLICT",
                f"mirror patch to version {version} needs version {version - 1}; "
                f"the store is at {base.version}",
            )
        return commit(self._seg, self._cache, prepare_mirror_patch(self._cache, base, text), True)

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

    async def apatch(
        self,
        ops: Sequence[Mapping[str, Any]],
        *,
        expected_version: int | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> int:
        """``patch()`` for asyncio: the ops apply on the event loop, each commit runs off it
        (in its default executor), and the back-off between attempts is an
        ``asyncio.sleep``. Same result and errors as ``patch()``."""
        expected = arguments.expected_version(expected_version)
        return await apatch(self, ops, expected, arguments.max_retries(max_retries))

    # ---- watching -------------------------------------------------------------------

    def watch(
        self, timeout: float | None = None, *, replay: bool = False, every: bool = False
    ) -> Iterator[Change[T]]:
        """Yields each new state as it is committed, starting after the current version
        (with ``replay``, the current state first): the latest at each wake-up, with
        ``missed`` counting the versions skipped, or with ``every`` each committed version
        in order while the watcher stays within the patch ring (see Change). Blocks with
        the GIL released; Ctrl-C interrupts it. ``timeout`` bounds the wait for each next
        change: when it passes the iteration ends. It also ends when the store is closed
        from another thread."""
        limit = arguments.timeout(timeout)
        every = arguments.flag(every, "every")
        waiter = Waiter(self._seg, self._seg.version)  # raises ShmStateClosedError now
        cursor = self._cursor(None if replay else waiter.seen, every)
        return follow(self, waiter, cursor, timeout=limit)

    def _follow_replacement(self, retired: _native.Segment) -> bool:
        """After ``retired`` (this store's segment when the watcher started) was retired:
        True once this store holds the store that took its name (waiting up to the reopen
        timeout; E_TIMEOUT if none appeared), False when it does not follow replacements.
        Several watchers of one store swap it once."""
        if self._reopen is None:
            return False
        with self._replacing:
            if self._seg is not retired:
                return True  # another watcher swapped it already
            segment = opening.open_segment(self._seg.name, self._reopen, *self._open_args)
            self._seg, self._cache = segment, StateCache(segment)
            self._store_id = _hex_id(segment.store_id)
        retired.close()
        return True

    def _cursor(self, last: int | None, every: bool) -> Cursor:
        return self._cache.cursor(last, every)

    def _next_change(self, cursor: Cursor) -> Change[T] | None:
        return self._cache.next_change(cursor, self._store_id)

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
        every: bool = False,
    ) -> Subscription[T]:
        """Calls ``callback(change)`` from a background daemon thread for each new state:
        first the current one (unless ``replay`` is False), then every change, latest
        wins (with ``every``, each committed version in order, as in watch()). Returns a
        handle: ``stop()`` it, or use it as a context manager. Errors raised by
        ``callback`` go to ``on_error`` (default: printed to stderr)."""
        arguments.function(callback, "callback")
        if on_error is not None:
            arguments.function(on_error, "on_error")
        every = arguments.flag(every, "every")
        subscription = Subscription(self, callback, replay=replay, on_error=on_error, every=every)
        self._subscriptions = [s for s in self._subscriptions if s.active] + [subscription]
        return subscription

    def changes(self, *, replay: bool = False, every: bool = False) -> Changes[T]:
        """An async iterator of changes for asyncio: ``async for change in
        store.changes()`` (with ``every``, each committed version in order, as in
        watch()). The event loop polls a doorbell for it (or, where none can be had, a
        helper thread waits and hands each new version to the loop); cancelling the
        consumer stops it."""
        return Changes(self, replay=replay, every=arguments.flag(every, "every"))

    def _track(self, changes: Changes[T]) -> None:
        """Remembers an asyncio iterator, weakly, so close() can end it."""
        self._changes.add(changes)


def _reopen_seconds(reopen: object, reopen_timeout: object) -> float | None:
    """The reopen timeout in seconds, or None when the store does not follow replacements."""
    following = arguments.flag(reopen, "reopen")
    seconds = arguments.timeout(reopen_timeout, "reopen_timeout")
    if not following:
        return None
    return math.inf if seconds is None else seconds


def _create_args(
    name: object,
    initial: object,
    capacity: object,
    mode: object,
    version: object,
    ring_entries: object,
    ring_patch_max: object,
    self_cleaning: object,
    mirror_of: object,
    group: object,
) -> tuple[tuple[str, int, int, bytes, int, int, int, bool, str | None], str | None]:
    """The checked arguments of Segment.create/open_or_create (the positional ones, and the
    group keyword): types here, ranges in the core (shmstate.arguments). A ring option of
    None is -1 for the binding: the default."""
    checked_name = arguments.name(name)
    checked_capacity = arguments.capacity(capacity)
    checked_mode = arguments.mode(mode)
    checked_version = arguments.start_version(version)
    entries = arguments.ring_option(ring_entries, "ring_entries")
    patch_max = arguments.ring_option(ring_patch_max, "ring_patch_max")
    cleaning = arguments.flag(self_cleaning, "self_cleaning")
    if mirror_of is not None and not isinstance(mirror_of, str):
        raise error_for("E_INVALID", f"mirror_of must be a str or None, got {mirror_of!r}")
    data = encode({} if initial is _UNSET else initial)
    checked_group = arguments.group(group)  # after the state, as the error order always was
    positional = (
        checked_name,
        checked_capacity,
        checked_mode,
        data,
        checked_version,
        entries,
        patch_max,
        cleaning,
        mirror_of,
    )
    return positional, checked_group
