"""A plain smoke test of the installed shmstate package (no pytest needed).

Creates a store, sets, updates, watches while a thread writes, waits, subscribes,
checks the main errors, unlinks, and prints "smoke ok"; exits non-zero on any failure.
Used where pytest is not installed (Python 3.10): `python tests/smoke.py`.
"""

from __future__ import annotations

import queue
import sys
import threading
import time

from helpers import shm_path, unique_name
from shmstate import (
    Change,
    ShmStateClosed,
    ShmStateEncodeError,
    ShmStateExists,
    ShmStateNotFound,
    Store,
    _native,
)
from shmstate.errors import CLASS_FOR_CODE


def check(condition: object, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def main() -> None:
    name = unique_name("smoke")
    store = Store.create(name, initial={"n": 0})
    try:
        check(store.snapshot() == (1, {"n": 0}), "initial snapshot")
        check(store.set({"n": 1}) == 2, "set returns the next version")
        check(store.update(lambda s: {"n": s["n"] + 1}) == 3, "update returns its version")
        check(store.get() == {"n": 2}, "update committed")

        changes = store.watch(timeout=5)

        def writer() -> None:
            time.sleep(0.05)
            for n in range(3, 8):
                store.set({"n": n})

        thread = threading.Thread(target=writer)
        thread.start()
        previous = 3
        for change in changes:
            check(change.version == previous + change.missed + 1, "missed adds up")
            previous = change.version
            if change.state == {"n": 7}:
                break
        thread.join()
        check(store.wait_for(8, timeout=1).version == 8, "wait_for")

        received: queue.Queue[Change] = queue.Queue()
        with store.subscribe(received.put):
            check(received.get(timeout=5).version == 8, "subscribe replays")
            store.set({"n": 8})
            check(received.get(timeout=5) == Change(9, {"n": 8}, 0), "subscribe delivers")

        for call, error in [
            (lambda: Store.create(name), ShmStateExists),
            (lambda: Store.open(name + "-absent"), ShmStateNotFound),
            (lambda: store.set({"x": float("nan")}), ShmStateEncodeError),
        ]:
            try:
                call()
            except error:
                pass
            else:
                raise AssertionError(f"expected {error.__name__}")
        check(set(CLASS_FOR_CODE) == set(_native.codes()), "error table covers every code")
    finally:
        store.close()
        Store.unlink(name)
    try:
        store.get()
    except ShmStateClosed:
        pass
    else:
        raise AssertionError("get() after close must raise ShmStateClosed")
    check(not shm_path(name).exists(), "unlinked")
    print("smoke ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:
        print(f"smoke FAILED: {error!r}", file=sys.stderr)
        raise SystemExit(1) from error
