"""asyncio support: ``async for change in store.changes()``.

The blocking wait runs in a dedicated daemon thread (a relay) that never touches the
event loop except through ``loop.call_soon_threadsafe(event.set)``. The event is a
conflated doorbell: however many versions land before the consumer runs, it reads the
latest snapshot once and reports the skipped ones in ``missed``. Cancelling the
consumer, closing the iterator or dropping it stops the relay (flag, then wake()).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING

from . import subscription
from .errors import ShmStateClosed, ShmStateError
from .values import Change

if TYPE_CHECKING:
    from .store import Store


class _Relay:
    """The waiter thread behind one Changes iterator."""

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop, seen: int) -> None:
        self._seg = store._seg
        self._loop = loop
        self._seen = seen
        self._stopping = False
        self.changed = asyncio.Event()
        self.error: ShmStateError | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"shmstate-changes:{self._seg.name}", daemon=True
        )
        subscription.register(self)
        self._thread.start()

    def _run(self) -> None:
        seg, seen = self._seg, self._seen
        try:
            while not self._stopping:
                epoch = seg.wake_epoch  # before the flag check, as in Subscription
                if self._stopping:
                    break
                version = seg.wait(seen, None, epoch)
                if version != seen and not self._stopping:
                    seen = version
                    self._loop.call_soon_threadsafe(self.changed.set)
        except ShmStateError as error:  # closed, or a core failure: let the consumer see it
            self.error = error
            self._ring()
        except RuntimeError:
            pass  # the event loop is closed: nobody is listening any more
        finally:
            subscription.unregister(self)

    def _ring(self) -> None:
        with contextlib.suppress(RuntimeError):  # the event loop is closed
            self._loop.call_soon_threadsafe(self.changed.set)

    def _signal_stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(ShmStateClosed):  # closing already ended the wait
            self._seg.wake()

    def _join(self, timeout: float | None) -> None:
        self._thread.join(timeout)


class Changes:
    """Async iterator of :class:`Change` (see Store.changes); also an async context
    manager whose exit stops the relay thread."""

    def __init__(self, store: Store, *, replay: bool = False) -> None:
        self._store = store
        self._relay: _Relay | None = None
        # The first change is the one after the version current now (or, with replay,
        # the current state itself).
        current = store._seg.version  # raises ShmStateClosed here, not at the first await
        self._last: int | None = None if replay else current

    def __aiter__(self) -> Changes:
        return self

    async def __anext__(self) -> Change:
        store = self._store
        try:
            if self._last is None:
                snap = store.snapshot()
                self._last = snap.version
                return Change(snap.version, snap.state, 0, snap.store_id)
            relay = self._relay
            if relay is None:
                relay = self._relay = _Relay(store, asyncio.get_running_loop(), self._last)
            while True:
                # A version may have landed before the relay started waiting: look first.
                if store.version == self._last:
                    await relay.changed.wait()
                    relay.changed.clear()  # before the read, so no later ring is lost
                if relay.error is not None and not isinstance(relay.error, ShmStateClosed):
                    raise relay.error
                snap = store.snapshot()
                if snap.version != self._last:
                    missed = snap.version - self._last - 1
                    self._last = snap.version
                    return Change(snap.version, snap.state, missed, snap.store_id)
        except ShmStateClosed:
            self._stop()
            if store.closed:
                raise StopAsyncIteration from None
            raise
        except BaseException:  # cancelled or failed: the relay must not outlive the consumer
            self._stop()
            raise

    def _stop(self) -> None:
        relay, self._relay = self._relay, None
        if relay is not None:
            relay._signal_stop()

    async def aclose(self) -> None:
        self._stop()

    async def __aenter__(self) -> Changes:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop()

    def __del__(self) -> None:
        self._stop()
