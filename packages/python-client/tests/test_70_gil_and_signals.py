"""Blocking waits release the GIL and honour Ctrl-C."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from helpers import start_worker

COUNT_SECONDS = 0.3


def count_for(seconds: float) -> int:
    count = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        count += 1
    return count


def test_a_thread_blocked_in_watch_does_not_hold_the_gil(store):
    alone = count_for(COUNT_SECONDS)
    watcher = threading.Thread(target=lambda: list(store.watch(timeout=COUNT_SECONDS * 3)))
    watcher.start()
    time.sleep(0.05)  # let it block
    beside_a_waiter = count_for(COUNT_SECONDS)
    watcher.join()
    # Holding the GIL while blocked would stall the counter almost entirely (a handful of
    # iterations per switch interval); a busy machine only slows it by some factor, so the
    # bound is loose on purpose.
    assert beside_a_waiter > alone * 0.2, (alone, beside_a_waiter)


@pytest.mark.parametrize("how", ["watch", "wait_for"])
def test_ctrl_c_interrupts_a_blocked_watch_promptly(store, how):
    worker = start_worker("watch_forever.py", store.name, how)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "watching"
    time.sleep(0.2)  # well inside the wait by now
    sent = time.monotonic()
    worker.send_signal(signal.SIGINT)
    _, stderr = worker.communicate(timeout=10)
    elapsed = time.monotonic() - sent
    assert worker.returncode != 0
    assert "KeyboardInterrupt" in stderr
    assert elapsed < 1.0, elapsed
