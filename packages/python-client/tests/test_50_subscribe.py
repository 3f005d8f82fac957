"""Background subscriptions and a clean interpreter exit."""

from __future__ import annotations

import queue
import threading

from helpers import commit_at_later, start_worker
from shmstate import Change, Store


def test_subscribe_delivers_the_current_state_then_each_change(store):
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put) as subscription:
        assert received.get(timeout=5) == Change(1, {"n": 0}, 0)
        store.set({"n": 1})
        assert received.get(timeout=5) == Change(2, {"n": 1}, 0)
        assert subscription.active
    assert not subscription.active


def test_subscribe_without_replay_starts_after_the_current_version(store):
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put, replay=False):
        store.set({"n": 1})
        assert received.get(timeout=5) == Change(2, {"n": 1}, 0)


def test_a_burst_ends_with_the_final_version_and_missed_adds_up(store):
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put, replay=False):
        for n in range(1, 501):
            store.set({"n": n})
        previous = 1
        while previous < 501:
            change = received.get(timeout=5)
            assert change.version == previous + change.missed + 1
            previous = change.version
        assert change.state == {"n": 500}


def test_subscribe_counts_the_versions_a_mirror_jumped_over_as_missed(store):
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put, replay=False):
        jumper = commit_at_later(store.name, 10, b'{"n":1}')
        assert received.get(timeout=5) == Change(10, {"n": 1}, 8)
        jumper.join()


def test_subscribe_changes_carry_the_store_id(store):
    received: queue.Queue[Change] = queue.Queue()
    with store.subscribe(received.put):
        assert received.get(timeout=5).store_id == store.store_id


def test_stop_ends_the_thread_and_no_callback_follows(store):
    received: queue.Queue[Change] = queue.Queue()
    subscription = store.subscribe(received.put)
    received.get(timeout=5)
    subscription.stop()
    subscription.stop()
    store.set({"n": 1})
    assert received.empty()
    assert not subscription._thread.is_alive()


def test_callback_errors_go_to_on_error_and_the_subscription_goes_on(store):
    errors: queue.Queue[BaseException] = queue.Queue()
    received: queue.Queue[Change] = queue.Queue()

    def callback(change: Change) -> None:
        if change.version == 2:
            raise RuntimeError("boom")
        received.put(change)

    with store.subscribe(callback, on_error=errors.put):
        received.get(timeout=5)
        store.set({"n": 1})
        assert str(errors.get(timeout=5)) == "boom"
        store.set({"n": 2})
        assert received.get(timeout=5).version == 3


def test_a_callback_may_stop_its_own_subscription(store):
    done = threading.Event()
    holder: list = []

    def callback(change: Change) -> None:
        holder[0].stop()
        done.set()

    holder.append(store.subscribe(callback, replay=False))
    store.set({"n": 1})
    assert done.wait(5)
    holder[0].stop()
    assert not holder[0].active


def test_closing_the_store_stops_its_subscriptions(name):
    store = Store.create(name)
    subscription = store.subscribe(lambda change: None)
    store.close()
    assert not subscription.active


def test_interpreter_exits_cleanly_with_live_subscriptions(store):
    worker = start_worker("exit_with_subscription.py", store.name)
    stdout, stderr = worker.communicate(timeout=10)
    assert worker.returncode == 0, stderr
    assert stdout.strip() == "subscribed"
    assert stderr == ""
