"""Subscription: a daemon thread that waits for new versions and calls back.

The thread is a :class:`~shmstate.threads.WaitingThread` running the package's one wait
loop (:func:`shmstate.waitloop.follow`): stopping it is prompt and race-free, and an
interpreter exiting with subscriptions open stops them at exit.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from .errors import ShmStateError
from .threads import WaitingThread
from .values import Change
from .waitloop import follow

if TYPE_CHECKING:
    from .store import Store

T = TypeVar("T")


def _print_error(error: BaseException) -> None:
    print("shmstate: a subscription raised:", file=sys.stderr)
    traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)


class Subscription(WaitingThread, Generic[T]):
    """A running subscription (see Store.subscribe). Stop it with stop() or close(),
    or use it as a context manager."""

    def __init__(
        self,
        store: Store[T],
        callback: Callable[[Change[T]], object],
        *,
        replay: bool,
        on_error: Callable[[BaseException], object] | None,
        every: bool = False,
    ) -> None:
        segment = store._seg
        # Without replay the first change is the one after the version current now.
        current = segment.version  # raises ShmStateClosedError here, not in the thread
        super().__init__(segment, current, f"shmstate-subscribe:{segment.name}")
        self._cursor = store._cursor(None if replay else current, every)
        self._store = store
        self._name = segment.name
        self._callback = callback
        self._on_error = on_error or _print_error
        self.start()

    @property
    def active(self) -> bool:
        return not self.waiter.stopping and self.alive

    def run(self) -> None:
        on_error = self._on_error
        changes = follow(self._store, self.waiter, self._cursor, on_read_error=on_error)
        try:
            for change in changes:
                try:
                    self._callback(change)
                except Exception as error:
                    on_error(error)
        except ShmStateError as error:
            # The thread's last error: the store was unlinked and not followed (E_RETIRED),
            # or no replacement came within the reopen timeout (E_TIMEOUT). on_error gets
            # it, never the thread's default handler: the thread ends.
            on_error(error)

    def stop(self) -> None:
        """Stops the thread and waits for it (unless called from the callback itself:
        then the thread ends when the callback returns). Idempotent."""
        self.signal_stop()
        self.join()

    close = stop

    def __enter__(self) -> Subscription[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "active" if self.active else "stopped"
        return f"<Subscription {self._name!r} {state}>"
