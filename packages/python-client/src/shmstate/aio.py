"""asyncio support: ``async for change in store.changes()`` and awaitable writes.

Waiting. A :class:`Changes` iterator is woken by one of two sources, chosen the first time
it waits:

- **doorbell** (the default): a doorbell registered on the segment (docs/protocol.md,
  "Doorbells"), whose socket the event loop polls with ``loop.add_reader``; no thread at
  all. When the socket is readable the loop runs one delivery turn, the policy the Node
  binding uses too: ``turn_begin()``, deliver the latest change to the waiting consumer,
  again while ``turn_again()`` says a newer version landed meanwhile (bounded by the
  core), then ``turn_end()``, which empties the socket and re-arms (ringing itself if a
  commit slipped in, so nothing is missed).
- **thread**: a relay thread blocked in the package's one wait loop
  (:mod:`shmstate.waitloop`) that rings the loop with ``call_soon_threadsafe``. It is used
  when no doorbell can be had (``E_LIMIT``: a segment has 64, for all processes; a
  failure to make a socket; ``E_PERM``: a read-only handle registers nothing), when the
  doorbell's entry is taken away (``E_CLOSED`` from its arm: a writer could not reach it,
  e.g. an older build's writer, which rings only abstract sockets), in an event loop
  without ``add_reader``, and when the environment variable ``SHMSTATE_NOTIFY`` is
  ``thread`` (as in Node).

A doorbell belongs to the process that opened it: an iterator made before ``fork()`` and
used in the child opens the child's own, and leaves the parent's registered. Doorbells
still open when the interpreter exits are unregistered then (a process that dies without
doing so has its entry freed by the next commit that finds its socket gone).

Either way the consumer takes its changes from the store's log through its cursor
(shmstate.cache): conflated (however many versions land before it runs, it gets the
latest once and the skipped ones in ``missed``), or with ``every`` each version in turn.
Cancelling the consumer, closing the iterator, dropping it or closing the store stops the
source.

Writing. :func:`aset`, :func:`aupdate` and :func:`apatch` (``Store.aset``, ``aupdate``,
``apatch``) never block the event loop: the commit, which may wait up to the lock timeout
for the writer lock, runs in the loop's default executor, and ``aupdate``/``apatch`` sleep
between retries with ``asyncio.sleep``. Reading the state to change, applying the change
and encoding it, and ``aupdate``'s function, run on the loop (the full state of a due
checkpoint is encoded in the executor).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from . import _native
from .codec import encode
from .errors import (
    ShmStateClosedError,
    ShmStateConflictError,
    ShmStateError,
    ShmStateRetiredError,
    error_for,
)
from .threads import WaitingThread
from .values import Change, Snapshot

if TYPE_CHECKING:
    from .store import Store

T = TypeVar("T")

#: How a Changes iterator is woken (see the module docstring).
NotifyMechanism = Literal["doorbell", "thread"]


def requested_mechanism() -> NotifyMechanism:
    """``SHMSTATE_NOTIFY``, read each time a source starts (as Node does): "doorbell" (the
    default, also when unset or empty) or "thread"."""
    value = os.environ.get("SHMSTATE_NOTIFY", "")
    if value in ("", "doorbell"):
        return "doorbell"
    if value == "thread":
        return "thread"
    raise error_for("E_INVALID", f'SHMSTATE_NOTIFY must be "doorbell" or "thread", got {value!r}')


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Mailbox(Generic[T]):
    """Where a source hands the consumer a ring, on the loop thread: the future the
    consumer awaits while it waits. A ring while nobody waits is dropped: the consumer
    looks at the version before it waits again."""

    __slots__ = ("failed", "waiting")

    def __init__(self) -> None:
        self.waiting: asyncio.Future[Snapshot[T] | None] | None = None
        #: An error that ends the stream for good (E_RETIRED), kept for a consumer that
        #: was busy when it came.
        self.failed: BaseException | None = None

    def is_waiting(self) -> bool:
        return self.waiting is not None and not self.waiting.done()

    def end(self, error: BaseException) -> None:
        """The stream ends with ``error``: now if the consumer waits, else when it next does."""
        self.failed = error
        self.ring(None, error)

    def ring(self, snapshot: Snapshot[T] | None = None, error: BaseException | None = None) -> None:
        future = self.waiting
        if future is None or future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(snapshot)


class _ThreadSource(WaitingThread, Generic[T]):
    """A relay thread: the one wait loop, ringing the event loop for each new version."""

    mechanism: NotifyMechanism = "thread"

    def __init__(
        self,
        segment: _native.Segment,
        seen: int,
        loop: asyncio.AbstractEventLoop,
        mailbox: _Mailbox[T],
    ) -> None:
        super().__init__(segment, seen, f"shmstate-changes:{segment.name}")
        self.pid = os.getpid()
        self._loop = loop
        self._mailbox = mailbox
        self.start()

    def run(self) -> None:
        try:
            for _ in self.waiter.versions():
                self._post(None)
        except ShmStateClosedError:
            self._post(None)  # the consumer finds the store closed
        except ShmStateRetiredError as error:  # for good, even if the consumer is busy
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._mailbox.end, error)
        except ShmStateError as error:  # a core failure: let the consumer see it
            self._post(error)

    def _post(self, error: ShmStateError | None) -> None:
        with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody listens
            self._loop.call_soon_threadsafe(self._mailbox.ring, None, error)

    def stop(self) -> None:
        """From any thread; does not wait for the thread."""
        self.signal_stop()


class _DoorbellSource(Generic[T]):
    """A doorbell polled by the event loop (``loop.add_reader``)."""

    mechanism: NotifyMechanism = "doorbell"

    def __init__(
        self,
        store: Store[T],
        loop: asyncio.AbstractEventLoop,
        mailbox: _Mailbox[T],
        on_lost: Callable[[], None],
    ) -> None:
        self._store = store
        self._loop = loop
        self._mailbox = mailbox
        self._on_lost = on_lost
        self._stopping = False
        self.pid = os.getpid()
        bell = _native.Doorbell(store._seg)  # E_LIMIT and the like: the caller falls back
        try:
            self._fd = bell.fileno()
            loop.add_reader(self._fd, self._on_readable)
        except BaseException:
            bell.close()
            raise
        self._bell: _native.Doorbell | None = bell
        _open_doorbells.add(self)

    def _on_readable(self) -> None:
        bell = self._bell
        if bell is None or self._stopping:
            return
        try:
            bell.turn_begin()
            self._deliver()
            while bell.turn_again():
                self._deliver()
            bell.turn_end()
        except ShmStateRetiredError as error:
            # The store was retired and the turn delivered its last version: the doorbell
            # will not ring again.
            self._close()
            self._mailbox.end(error)
        except ShmStateClosedError:
            # The entry was taken away (the arm said so): this doorbell will not ring again.
            self._close()
            self._on_lost()

    def _deliver(self) -> None:
        mailbox = self._mailbox
        if not mailbox.is_waiting():
            return  # the consumer is busy: it reads the latest itself before it waits again
        try:
            snapshot = self._store.snapshot()
        except ShmStateError as error:  # closed, corrupt: the consumer sees it
            mailbox.ring(None, error)
        else:
            mailbox.ring(snapshot)

    def stop(self) -> None:
        """From any thread: the socket leaves the loop on the loop's own thread."""
        self._stopping = True
        loop = self._loop
        if _on_loop_thread(loop) or loop.is_closed() or self.pid != os.getpid():
            self._close()
            return
        try:
            loop.call_soon_threadsafe(self._close)
        except RuntimeError:  # the loop closed meanwhile
            self._close()

    def _close(self) -> None:
        bell, self._bell = self._bell, None
        if bell is None:
            return
        if self.pid == os.getpid() and not self._loop.is_closed():
            self._loop.remove_reader(self._fd)
        bell.close()  # in a forked child: only the child's copy of the socket

    def close_at_exit(self) -> None:
        """Unregisters the doorbell, leaving the (stopped) event loop alone."""
        self._stopping = True
        bell, self._bell = self._bell, None
        if bell is not None:
            bell.close()


_open_doorbells: weakref.WeakSet[_DoorbellSource[Any]] = weakref.WeakSet()


@atexit.register
def _close_doorbells_at_exit() -> None:
    for source in list(_open_doorbells):
        source.close_at_exit()


class Changes(Generic[T]):
    """Async iterator of :class:`Change` (see Store.changes); also an async context
    manager whose exit stops its source. ``mechanism`` says how it is woken."""

    def __init__(self, store: Store[T], *, replay: bool = False, every: bool = False) -> None:
        self._store = store
        self._source: _ThreadSource[T] | _DoorbellSource[T] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mailbox: _Mailbox[T] = _Mailbox()
        # The first change is the one after the version current now (or, with replay,
        # the current state itself).
        current = store._seg.version  # raises ShmStateClosedError here, not at the first await
        self._cursor = store._cursor(None if replay else current, every)
        store._track(self)

    @property
    def mechanism(self) -> NotifyMechanism | None:
        """How the iterator is woken: "doorbell" or "thread" once it has waited; None
        before its first wait and after it stopped."""
        source = self._source
        return None if source is None else source.mechanism

    def __aiter__(self) -> Changes[T]:
        return self

    async def __anext__(self) -> Change[T]:
        store = self._store
        cursor = self._cursor
        try:
            if cursor.last is None:
                change = store._next_change(cursor)
                assert change is not None  # a cursor with no version gets the current state
                return change
            loop = asyncio.get_running_loop()
            mailbox = self._mailbox
            while True:
                # Before the look: a commit after the look must find a source ready. (It
                # is there already but after a stop: then the store is closed, and opening
                # one says so.)
                self._ensure_source(loop, cursor.last)
                # Look first: a version may have landed before the source started, or while
                # the consumer was busy (a ring then found nobody waiting); with `every`,
                # versions read earlier may still be due.
                change = store._next_change(cursor)
                if change is not None:
                    return change
                if mailbox.failed is not None:
                    raise mailbox.failed
                future: asyncio.Future[Snapshot[T] | None] = loop.create_future()
                mailbox.waiting = future
                try:
                    await future  # the source read the latest snapshot (or raises its error)
                finally:
                    mailbox.waiting = None
        except ShmStateClosedError:
            self._stop()
            if store.closed:
                raise StopAsyncIteration from None
            raise
        except BaseException:  # cancelled or failed: the source must not outlive the consumer
            self._stop()
            raise

    def _ensure_source(self, loop: asyncio.AbstractEventLoop, last: int) -> None:
        source = self._source
        if source is not None:
            if source.pid == os.getpid() and self._loop is loop:
                return
            self._stop()  # made in the parent of this forked child, or for another loop
        self._loop = loop
        if requested_mechanism() == "doorbell":
            this = weakref.ref(self)  # the loop holds the source: it must not hold us

            def lost() -> None:
                changes = this()
                if changes is not None:
                    changes._fall_back()

            try:
                self._source = _DoorbellSource(self._store, loop, self._mailbox, lost)
                return
            except ShmStateClosedError:
                raise
            except (ShmStateError, NotImplementedError):
                pass  # no doorbell to be had (E_LIMIT, no socket, no add_reader): a thread
        self._source = _ThreadSource(self._store._seg, last, loop, self._mailbox)

    def _fall_back(self) -> None:
        """The doorbell's entry was taken away (on the loop thread): a thread from now on."""
        loop, last = self._loop, self._cursor.last
        self._source = None
        if loop is None or last is None or self._store.closed:
            self._mailbox.ring()
            return
        self._source = _ThreadSource(self._store._seg, last, loop, self._mailbox)
        self._mailbox.ring()  # the consumer looks again

    def _stop(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.stop()

    def _signal_stop(self) -> None:
        """From Store.close(), on any thread: stop the source, wake the consumer (which
        then finds the store closed and ends)."""
        loop = self._loop
        if loop is None:
            return  # never waited: nothing runs
        if _on_loop_thread(loop) or loop.is_closed():
            self._stop_and_ring()
            return
        try:
            loop.call_soon_threadsafe(self._stop_and_ring)
        except RuntimeError:  # the loop closed meanwhile
            self._stop()

    def _stop_and_ring(self) -> None:
        self._stop()
        self._mailbox.ring()

    async def aclose(self) -> None:
        self._stop()

    async def __aenter__(self) -> Changes[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit asyncio may be gone
            self._stop()


async def aset(store: Store[T], state: T) -> int:
    """``store.set(state)`` without blocking the event loop: prepares the commit here (the
    state as it is when aset() runs), commits in the loop's default executor. Returns the
    new version."""
    loop = asyncio.get_running_loop()
    prepared = store._prepare_set(state)
    if prepared is not None:
        try:
            return await loop.run_in_executor(None, store._commit, prepared)
        except ShmStateConflictError:
            pass  # another commit came first: the whole state, unconditionally
    return await loop.run_in_executor(None, store._seg.commit, encode(state))


async def aupdate(store: Store[T], fn: Callable[[T], T | None], max_retries: int) -> int:
    """``store.update(fn)`` without blocking the event loop: ``fn`` runs here, each commit
    in the loop's default executor, and the back-off between attempts is an
    ``asyncio.sleep``. Returns the new version, or the version read if ``fn`` changed
    nothing."""
    loop = asyncio.get_running_loop()
    version = 0
    for attempt in range(max_retries + 1):
        if attempt:
            await asyncio.sleep(store._backoff(attempt))
        base, prepared = store._attempt(fn)
        version = base.version
        if prepared is None:
            return version
        try:
            return await loop.run_in_executor(None, store._commit, prepared)
        except ShmStateConflictError:
            continue
    raise store._gave_up("update()", max_retries, version)


async def apatch(store: Store[T], ops: Any, expected: int | None, max_retries: int) -> int:
    """``store.patch(ops)`` without blocking the event loop: the ops apply here, each
    commit runs in the loop's default executor, the back-off is an ``asyncio.sleep``."""
    loop = asyncio.get_running_loop()
    version = 0
    for attempt in range(max_retries + 1):
        if attempt:
            await asyncio.sleep(store._backoff(attempt))
        base, prepared = store._attempt_patch(ops, expected)
        version = base.version
        if prepared is None:
            return version
        try:
            return await loop.run_in_executor(None, store._commit, prepared)
        except ShmStateConflictError:
            if expected is not None:
                raise
    raise store._gave_up("patch()", max_retries, version)
