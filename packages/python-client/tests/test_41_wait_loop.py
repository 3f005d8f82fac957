"""The one wait loop (shmstate.waitloop) and the registry of waiting threads
(shmstate.threads) that watch(), wait_for(), subscribe() and the asyncio relay share."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from shmstate import Change, ShmStateClosedError, ShmStateCorruptError, Store, threads
from shmstate.waitloop import Waiter


def test_a_waiter_stopped_before_it_waits_returns_at_once(store):
    waiter = Waiter(store._seg, store.version)
    waiter.stop()
    started = time.monotonic()
    assert waiter.next_version() is None
    assert time.monotonic() - started < 0.5


def test_stop_from_another_thread_ends_a_blocked_wait_promptly(store):
    waiter = Waiter(store._seg, store.version)
    stopper = threading.Timer(0.05, waiter.stop)
    stopper.start()
    started = time.monotonic()
    assert waiter.next_version() is None
    assert time.monotonic() - started < 1.0
    stopper.join()


def test_a_wake_for_another_waiter_of_the_handle_is_not_a_version(store):
    waiter = Waiter(store._seg, store.version)
    waker = threading.Timer(0.05, store._seg.wake)  # e.g. another subscription stopping
    waker.start()
    assert waiter.next_version(time.monotonic() + 0.3) is None  # the deadline, not the wake
    waker.join()


def test_next_version_returns_the_new_version_and_leaves_seen_to_the_caller(store):
    waiter = Waiter(store._seg, store.version)
    store.set({"n": 1})
    store.set({"n": 2})
    assert waiter.next_version() == 3
    assert waiter.seen == 1


def test_a_waiter_on_a_closed_segment_raises_closed(name):
    store = Store.create(name)
    waiter = Waiter(store._seg, store.version)
    closer = threading.Timer(0.05, store.close)
    closer.start()
    with pytest.raises(ShmStateClosedError):
        waiter.next_version()
    closer.join()


def test_a_subscription_is_a_registered_waiting_thread_while_it_runs(store):
    subscription = store.subscribe(lambda change: None)
    assert subscription in threads.live()
    subscription.stop()
    assert subscription not in threads.live()


def test_a_corrupt_state_goes_to_on_error_and_the_subscription_goes_on(store):
    errors: queue.Queue[BaseException] = queue.Queue()
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put, replay=False, on_error=errors.put):
        store._seg.commit(b'{"half": ')
        assert isinstance(errors.get(timeout=5), ShmStateCorruptError)
        store.set({"n": 3})
        # The version that failed to read counts as missed: the changes still add up.
        assert received.get(timeout=5) == Change(3, {"n": 3}, 1)


def test_watch_raises_a_corrupt_state(store):
    changes = store.watch(timeout=5)
    store._seg.commit(b'{"half": ')
    with pytest.raises(ShmStateCorruptError):
        next(changes)


@pytest.mark.parametrize("timeout", [2e9, 1e300])
def test_a_timeout_of_any_length_waits_for_the_next_version(store, timeout):
    # One wait of the extension is shorter than 1e9 s; the loop waits again until the deadline.
    waiter = Waiter(store._seg, store.version)
    committer = threading.Timer(0.05, store.set, args=({"n": 1},))
    committer.start()
    assert waiter.next_version(time.monotonic() + timeout) == 2
    committer.join()
