"""Store.open(name, wait=seconds) and Store.aopen: a subscriber started before its
publisher gets the publisher's store. The wait ends as soon as the store is created, times
out with E_TIMEOUT, opens an existing store at once, refuses bad arguments before waiting,
and the asynchronous form keeps the event loop running."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Any

import pytest

from shmstate import (
    ShmStateInvalidError,
    ShmStateNameError,
    ShmStateNotFoundError,
    ShmStateTimeoutError,
    Store,
)


def create_later(name: str, delay: float) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        Store.create(name, initial={"n": 7}).close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_open_waits_for_a_store_created_meanwhile(name: str) -> None:
    creator = create_later(name, 0.3)
    start = time.monotonic()
    with Store.open(name, wait=5) as store:
        assert store.get() == {"n": 7}
    assert 0.25 <= time.monotonic() - start < 3
    creator.join()


def test_open_with_no_limit_waits_too(name: str) -> None:
    creator = create_later(name, 0.1)
    with Store.open(name, wait=math.inf) as store:
        assert store.get() == {"n": 7}
    creator.join()


def test_an_existing_store_opens_at_once(store: Store[Any]) -> None:
    with Store.open(store.name, wait=0) as again:
        assert again.get() == {"n": 0}


def test_open_times_out_with_e_timeout(name: str) -> None:
    start = time.monotonic()
    with pytest.raises(ShmStateTimeoutError, match=f'no segment "{name}" appeared within 200 ms'):
        Store.open(name, wait=0.2)
    assert time.monotonic() - start >= 0.19


def test_open_without_wait_is_e_noent(name: str) -> None:
    with pytest.raises(ShmStateNotFoundError):
        Store.open(name)


@pytest.mark.parametrize("wait", [-1, math.nan, "5", True])
def test_bad_waits_are_e_invalid(name: str, wait: Any) -> None:
    with pytest.raises(ShmStateInvalidError):
        Store.open(name, wait=wait)


def test_a_bad_name_fails_at_once() -> None:
    start = time.monotonic()
    with pytest.raises(ShmStateNameError):
        Store.open("bad/name", wait=10)
    assert time.monotonic() - start < 1


def test_the_wait_releases_the_gil(name: str) -> None:
    counted = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal counted
        while not stop.is_set():
            counted += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    with pytest.raises(ShmStateTimeoutError):
        Store.open(name, wait=0.3)
    stop.set()
    counter.join()
    assert counted >= 50


def test_aopen_waits_while_the_loop_runs(name: str) -> None:
    async def main() -> tuple[Any, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.ensure_future(tick())
        creator = create_later(name, 0.3)
        async_store = await Store.aopen(name, wait=5)
        ticker.cancel()
        creator.join()
        with async_store:
            return async_store.get(), ticks

    state, ticks = asyncio.run(main())
    assert state == {"n": 7}
    assert ticks >= 10


def test_aopen_times_out_with_e_timeout(name: str) -> None:
    with pytest.raises(ShmStateTimeoutError, match="appeared within 250 ms"):
        asyncio.run(Store.aopen(name, wait=0.25))
