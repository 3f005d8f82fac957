"""Blocking watchers: watch() and wait_for()."""

from __future__ import annotations

import threading
import time

import pytest

from helpers import commit_at_later
from shmstate import Change, ShmStateTimeout, Store


def set_later(store: Store, states: list, delay: float = 0.05) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        for state in states:
            store.set(state)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_watch_starts_after_the_current_version(store):
    changes = store.watch(timeout=5)
    store.set({"n": 1})
    assert next(changes) == Change(2, {"n": 1}, 0)


def test_watch_counts_the_versions_it_skipped(store):
    changes = store.watch(timeout=5)
    store.set({"n": 1})
    assert next(changes).missed == 0
    for n in (2, 3, 4):
        store.set({"n": n})
    assert next(changes) == Change(5, {"n": 4}, 2)


def test_watch_counts_the_versions_a_mirror_jumped_over_as_missed(store):
    jumper = commit_at_later(store.name, 10, b'{"n":1}')
    change = next(store.watch(timeout=5))
    jumper.join()
    assert change == Change(10, {"n": 1}, 8)


def test_watch_blocks_until_another_thread_commits(store):
    writer = set_later(store, [{"n": 1}])
    change = next(store.watch(timeout=5))
    writer.join()
    assert change == Change(2, {"n": 1}, 0)


def test_watch_sees_commits_from_another_handle(store):
    with Store.open(store.name) as other:
        writer = set_later(other, [{"n": 9}])
        assert next(store.watch(timeout=5)).state == {"n": 9}
        writer.join()


def test_watch_with_replay_yields_the_current_state_first(store):
    changes = store.watch(timeout=5, replay=True)
    assert next(changes) == Change(1, {"n": 0}, 0)
    store.set({"n": 1})
    assert next(changes) == Change(2, {"n": 1}, 0)


def test_watch_ends_when_its_timeout_passes_without_a_change(store):
    assert list(store.watch(timeout=0.05)) == []


def test_watch_ends_when_the_store_is_closed_from_another_thread(store):
    closer = threading.Timer(0.1, store.close)
    closer.start()
    assert list(store.watch()) == []
    closer.join()


def test_watch_versions_arrive_in_order_and_missed_adds_up(store):
    writer = set_later(store, [{"n": n} for n in range(1, 201)], delay=0.02)
    seen, previous = [], 1
    for change in store.watch(timeout=5):
        assert change.version == previous + change.missed + 1
        previous = change.version
        seen.append(change.state["n"])
        if change.version == 201:
            break
    writer.join()
    assert seen == sorted(seen)
    assert seen[-1] == 200


def test_wait_for_returns_once_the_version_arrives(store):
    writer = set_later(store, [{"n": 1}, {"n": 2}])
    snap = store.wait_for(3, timeout=5)
    writer.join()
    assert snap.version >= 3
    assert store.wait_for(2, timeout=0) == store.snapshot()


def test_wait_for_raises_timeout_and_leaves_the_state_alone(store):
    with pytest.raises(ShmStateTimeout) as caught:
        store.wait_for(10, timeout=0.05)
    assert caught.value.code == "E_TIMEOUT"
    assert isinstance(caught.value, TimeoutError)
    assert "version 10" in str(caught.value)
    assert store.snapshot() == (1, {"n": 0})


def test_raw_wait_returns_early_on_wake(store):
    segment = store._seg
    waker = threading.Timer(0.05, segment.wake)
    waker.start()
    assert segment.wait(1, 5) == 1
    waker.join()


def test_raw_wait_with_a_stale_wake_epoch_returns_at_once(store):
    segment = store._seg
    epoch = segment.wake_epoch
    segment.wake()
    assert segment.wait(1, 5, epoch) == 1
