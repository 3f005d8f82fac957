"""Subscription: a daemon thread that waits for new versions and calls back.

Stopping is prompt and race-free: stop() sets the thread's flag, then wake() cuts its
wait short. The thread reads the segment's wake epoch *before* it checks the flag and
hands the epoch to wait(), so a wake() that lands between the check and the wait makes
the wait return at once instead of being lost.

Every live waiter thread (subscriptions and asyncio relays) is registered here, and an
atexit hook stops them all, so an interpreter exits cleanly with subscriptions open.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .errors import ShmStateClosed, ShmStateError
from .values import Change

if TYPE_CHECKING:
    from .store import Store


class _Stoppable(Protocol):
    def _signal_stop(self) -> None: ...
    def _join(self, timeout: float | None) -> None: ...


_live: set[_Stoppable] = set()
_live_lock = threading.Lock()


def register(waiter: _Stoppable) -> None:
    with _live_lock:
        _live.add(waiter)


def unregister(waiter: _Stoppable) -> None:
    with _live_lock:
        _live.discard(waiter)


@atexit.register
def _stop_all_at_exit() -> None:
    # Signal every thread first, then join: the waits end together, not one by one.
    with _live_lock:
        waiters = list(_live)
    for waiter in waiters:
        waiter._signal_stop()
    for waiter in waiters:
        waiter._join(1.0)


def _print_error(error: BaseException) -> None:
    print("shmstate: a subscription callback raised:", file=sys.stderr)
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)


class Subscription:
    """A running subscription (see Store.subscribe). Stop it with stop() or close(),
    or use it as a context manager."""

    def __init__(
        self,
        store: Store,
        callback: Callable[[Change], object],
        *,
        replay: bool,
        on_error: Callable[[BaseException], object] | None,
    ) -> None:
        self._store = store
        self._seg = store._seg
        self._callback = callback
        self._on_error = on_error or _print_error
        self._stopping = False
        # Without replay the first change is the one after the version current now.
        current = self._seg.version  # raises ShmStateClosed here, not in the thread
        self._seen: int | None = None if replay else current
        self._thread = threading.Thread(
            target=self._run, name=f"shmstate-subscribe:{self._seg.name}", daemon=True
        )
        register(self)
        self._thread.start()

    @property
    def active(self) -> bool:
        return not self._stopping and self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        except ShmStateClosed:
            pass  # the store was closed: nothing more will come
        finally:
            unregister(self)

    def _loop(self) -> None:
        seg = self._seg
        seen = self._seen
        while not self._stopping:
            if seen is not None:
                epoch = seg.wake_epoch  # before the flag check: see the module docstring
                if self._stopping:
                    return
                if seg.wait(seen, None, epoch) == seen:
                    continue  # woken by wake(): re-check the flag
                if self._stopping:
                    return
            try:
                snap = self._store.snapshot()
            except ShmStateClosed:
                raise
            except ShmStateError as error:  # e.g. corrupt content: report, wait for the next
                self._on_error(error)
                seen = seg.version
                continue
            missed = 0 if seen is None else snap.version - seen - 1
            seen = snap.version
            try:
                self._callback(Change(snap.version, snap.state, missed, snap.store_id))
            except Exception as error:
                self._on_error(error)

    def _signal_stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(ShmStateClosed):  # closing already ended the wait
            self._seg.wake()

    def _join(self, timeout: float | None) -> None:
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def stop(self) -> None:
        """Stops the thread and waits for it (unless called from the callback itself:
        then the thread ends when the callback returns). Idempotent."""
        self._signal_stop()
        self._join(None)

    close = stop

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "active" if self.active else "stopped"
        return f"<Subscription {self._seg.name!r} {state}>"
