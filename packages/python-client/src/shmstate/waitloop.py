"""The one wait for new versions, shared by every blocking watcher of the package:
Store.watch(), Store.wait_for(), Subscription threads and the asyncio thread relay.

A :class:`Waiter` blocks in the extension's wait, which releases the GIL and wakes at
least every 100 ms to run signal handlers, so Ctrl-C raises KeyboardInterrupt within
about 100 ms. It stops promptly and race-free from any thread: :meth:`Waiter.stop` sets
the flag, then ``wake()`` cuts the wait short. The waiter reads the segment's wake epoch
*before* it checks the flag and hands the epoch to the wait, so a ``wake()`` that lands
between the check and the wait makes the wait return at once instead of being lost.

:func:`follow` turns the versions into changes: for each wake-up it asks the store for
the changes after the watcher's cursor (shmstate.cache): the latest (``missed`` counting
the versions in between), or with ``every`` each version in turn.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from . import _native
from .errors import (
    ShmStateClosedError,
    ShmStateError,
    ShmStateRetiredError,
    ShmStateTimeoutError,
)
from .values import Change

if TYPE_CHECKING:
    from .cache import Cursor
    from .store import Store

T = TypeVar("T")
#: The longest single wait handed to the extension (it takes less than 1e9 s).
_WAIT_MAX_S = 1e6


class Waiter:
    """Waits for versions after ``seen`` on one segment handle. ``seen`` is the caller's
    to advance (to the version it has read)."""

    __slots__ = ("_seg", "_stopping", "seen")

    def __init__(self, segment: _native.Segment, seen: int) -> None:
        self._seg = segment
        self._stopping = False
        self.seen = seen

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def segment(self) -> _native.Segment:
        return self._seg

    def retarget(self, segment: _native.Segment, seen: int) -> None:
        """Waits on ``segment`` from now on (the store that replaced a retired one)."""
        self._seg = segment
        self.seen = seen
        if self._stopping:  # stop() woke the old segment: make sure the new wait ends
            self.stop()

    def stop(self) -> None:
        """Ends the wait in progress and every later one; safe from any thread."""
        self._stopping = True
        with contextlib.suppress(ShmStateClosedError):  # closing ended the wait already
            self._seg.wake()

    def next_version(self, deadline: float | None = None) -> int | None:
        """Blocks until the published version differs from ``seen`` and returns it; None
        once ``deadline`` (a time.monotonic() value) passes or stop() was called. Raises
        ShmStateClosedError when the segment is closed, and whatever a signal handler
        raises (KeyboardInterrupt)."""
        seg = self._seg
        while not self._stopping:
            epoch = seg.wake_epoch  # before the flag check: see the module docstring
            if self._stopping:
                break
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                # One wait of the extension is shorter than 1e9 s; a longer timeout (any
                # number of seconds is one) waits again until its deadline.
                version = seg.wait(
                    self.seen, None if left is None else min(left, _WAIT_MAX_S), epoch
                )
            except ShmStateTimeoutError:
                if deadline is None or time.monotonic() >= deadline:
                    return None
                continue
            if self._stopping:
                break
            if version != self.seen:
                return version
            # Cut short by wake() (this handle's, for another waiter): nothing new.
            if deadline is not None and time.monotonic() >= deadline:
                return None
        return None

    def versions(self) -> Iterator[int]:
        """Each new version until stop(), advancing ``seen`` (no deadline)."""
        while (version := self.next_version()) is not None:
            self.seen = version
            yield version


def follow(
    store: Store[T],
    waiter: Waiter,
    cursor: Cursor,
    *,
    timeout: float | None = None,
    on_read_error: Callable[[ShmStateError], object] | None = None,
) -> Iterator[Change[T]]:
    """The changes after ``cursor`` (a cursor with no version yet starts with the current
    state), as the cursor asks for them: one per wake-up, the latest, with ``missed``
    counting the versions between it and the previous one; or each version in turn.
    Ends when ``timeout`` seconds pass without a new version, when the waiter is stopped,
    or when the store is closed. A failed read (a corrupt state) goes to ``on_read_error``
    and the watch goes on from the version then current (the next change counts the
    versions that failed in ``missed``); without it the error is raised.

    A retired store (E_RETIRED: its name was unlinked) raises ShmStateRetiredError after
    its last change, unless the store follows replacements (``reopen``): then the changes
    go on from the current state of the store that took the name, the first one marked
    ``replaced`` with ``missed`` counting that store's versions before it."""
    replaced = False
    try:
        while True:
            try:
                while (change := store._next_change(cursor)) is not None:
                    waiter.seen = change.version
                    if replaced:
                        replaced = False
                        change = change._replace(missed=change.version - 1, replaced=True)
                    yield change
            except ShmStateClosedError:
                raise
            except ShmStateError as error:
                if on_read_error is None:
                    raise
                on_read_error(error)
                waiter.seen = store.version
            deadline = None if timeout is None else time.monotonic() + timeout
            try:
                if waiter.next_version(deadline) is None:
                    return
            except (ShmStateRetiredError, ShmStateClosedError) as error:
                # Another watcher of this store may have swapped in the replacement and
                # closed the retired segment under this one's wait: follow it too.
                swapped = not store.closed and waiter.segment is not store._seg
                if not swapped and (
                    isinstance(error, ShmStateClosedError)
                    or not store._follow_replacement(waiter.segment)
                ):
                    raise
                # Versions start again: the new store's current state comes next, whole.
                cursor = store._cursor(None, cursor.every)
                waiter.retarget(store._seg, 0)
                replaced = True
    except ShmStateClosedError:
        if not store.closed:
            raise
