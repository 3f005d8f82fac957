"""Opening a store that may not exist yet: ``Store.open(name, wait=...)`` and
``Store.aopen``. The wait itself is the C core's (shmstate_segment_open_wait: asleep in
poll() on an inotify watch of /dev/shm between creations, with the GIL released); this
module turns ``wait`` into a deadline and goes on after a signal once its handler has run
(a handler that raises, like Ctrl-C's KeyboardInterrupt, ends the wait).

The asynchronous form waits in a worker thread in steps of at most :data:`ASYNC_STEP`
seconds, so that a cancelled ``aopen`` leaves no thread waiting longer than one step.
"""

from __future__ import annotations

import asyncio
import time

from . import _native, arguments
from .errors import ShmStateInterruptedError, ShmStateTimeoutError, error_for

#: The longest one worker-thread wait of aopen(), in seconds.
ASYNC_STEP = 0.1


def _deadline(name: str, wait: object) -> float | None:
    arguments.name(name)
    seconds = arguments.timeout(wait, "wait")
    return None if seconds is None else time.monotonic() + seconds


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def open_segment(
    name: str, wait: object, trust: str | None = None, read_only: bool = False
) -> _native.Segment:
    """The segment ``name`` once it exists, waiting up to ``wait`` seconds (None or
    infinity: no limit). E_TIMEOUT when it did not appear in time. ``trust`` (the core's
    grammar) and ``read_only`` as for ``Store.open``."""
    deadline = _deadline(name, wait)
    while True:
        try:
            return _native.Segment.open_wait(name, _left(deadline), trust, read_only)
        except ShmStateInterruptedError:
            continue  # the handler ran on the way out of the call; it did not raise


async def aopen_segment(
    name: str, wait: object, trust: str | None = None, read_only: bool = False
) -> _native.Segment:
    """open_segment() without blocking the event loop."""
    deadline = _deadline(name, wait)
    seconds = arguments.timeout(wait, "wait")
    while True:
        left = _left(deadline)
        step = ASYNC_STEP if left is None else min(left, ASYNC_STEP)
        try:
            return await asyncio.to_thread(_native.Segment.open_wait, name, step, trust, read_only)
        except ShmStateInterruptedError:
            continue
        except ShmStateTimeoutError:
            if deadline is not None and time.monotonic() >= deadline:
                ms = round((seconds or 0.0) * 1000)
                raise error_for(
                    "E_TIMEOUT", f'no segment "{name}" appeared within {ms} ms'
                ) from None
