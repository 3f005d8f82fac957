"""The registry of waiting threads and their common base.

Every live waiter thread of the package (Subscription threads and the asyncio thread
relays) is a :class:`WaitingThread`, registered here while it runs; an atexit hook stops
them all, so an interpreter exits cleanly with subscriptions open. The wait itself is
:mod:`shmstate.waitloop`'s.
"""

from __future__ import annotations

import atexit
import threading

from . import _native
from .errors import ShmStateClosedError
from .waitloop import Waiter

_live: set[WaitingThread] = set()
_live_lock = threading.Lock()


def register(thread: WaitingThread) -> None:
    with _live_lock:
        _live.add(thread)


def unregister(thread: WaitingThread) -> None:
    with _live_lock:
        _live.discard(thread)


def live() -> list[WaitingThread]:
    """The waiting threads registered now."""
    with _live_lock:
        return list(_live)


@atexit.register
def _stop_all_at_exit() -> None:
    # Signal every thread first, then join: the waits end together, not one by one.
    threads = live()
    for thread in threads:
        thread.signal_stop()
    for thread in threads:
        thread.join(1.0)


class WaitingThread:
    """A daemon thread that waits on a segment with a :class:`Waiter` and runs
    :meth:`run`; stopping it (flag, then wake) is prompt from any thread."""

    def __init__(self, segment: _native.Segment, seen: int, name: str) -> None:
        self.waiter = Waiter(segment, seen)
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> None:
        register(self)
        try:
            self._thread.start()
        except BaseException:
            unregister(self)
            raise

    def run(self) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        try:
            self.run()
        except ShmStateClosedError:
            pass  # the store was closed: nothing more will come
        finally:
            unregister(self)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def signal_stop(self) -> None:
        """Asks the thread to stop, without waiting for it."""
        self.waiter.stop()

    def join(self, timeout: float | None = None) -> None:
        """Waits for the thread to end (not when called from the thread itself)."""
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
