"""asyncio: store.changes(), woken by a doorbell the loop polls (the default) or by a relay
thread (SHMSTATE_NOTIFY=thread, and the fallbacks): every test of the iterator runs with
both."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from helpers import commit_at_later
from shmstate import Change, Store


@pytest.fixture(autouse=True, params=["doorbell", "thread"])
def mechanism(request, monkeypatch) -> str:
    """The mechanism the iterators of the test use, as Node picks it: SHMSTATE_NOTIFY."""
    monkeypatch.setenv("SHMSTATE_NOTIFY", request.param)
    return request.param


def relay_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("shmstate-changes")]


def wait_until_no_relay(deadline_s: float = 5.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while relay_threads():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_changes_delivers_each_new_state_in_order(store):
    async def main() -> list[Change]:
        got = []
        loop = asyncio.get_running_loop()
        changes = store.changes()
        loop.call_later(0.05, store.set, {"n": 1})
        async for change in changes:
            got.append(change)
            if change.version == 2:
                loop.call_later(0.02, store.set, {"n": 2})
            if change.version == 3:
                break
        await changes.aclose()
        return got

    assert asyncio.run(main()) == [Change(2, {"n": 1}, 0), Change(3, {"n": 2}, 0)]
    assert wait_until_no_relay()


def test_changes_with_replay_starts_with_the_current_state(store):
    async def main() -> Change:
        async with store.changes(replay=True) as changes:
            return await changes.__anext__()

    assert asyncio.run(main()) == Change(1, {"n": 0}, 0)


def test_changes_sees_commits_from_a_thread_and_counts_missed(store):
    def burst() -> None:
        for n in range(1, 101):
            store.set({"n": n})

    async def main() -> Change:
        async with store.changes() as changes:
            writer = threading.Thread(target=burst)
            writer.start()
            previous = 1
            async for change in changes:
                assert change.version == previous + change.missed + 1
                previous = change.version
                if change.version == 101:
                    break
            writer.join()
            return change

    assert asyncio.run(main()).state == {"n": 100}


def test_changes_counts_the_versions_a_mirror_jumped_over_as_missed(store):
    async def main() -> Change:
        async with store.changes() as changes:
            jumper = commit_at_later(store.name, 10, b'{"n":1}')
            change = await changes.__anext__()
        await asyncio.to_thread(jumper.join)
        return change

    assert asyncio.run(main()) == Change(10, {"n": 1}, 8)
    assert wait_until_no_relay()


def test_changes_carry_the_store_id(store):
    async def main() -> Change:
        async with store.changes(replay=True) as changes:
            return await changes.__anext__()

    assert asyncio.run(main()).store_id == store.store_id


def test_cancelling_the_consumer_stops_the_relay_thread(store, mechanism):
    async def main() -> None:
        async def consume() -> None:
            async for _ in store.changes():
                pass

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        if mechanism == "thread":
            assert relay_threads()
        else:
            assert not relay_threads()
            assert store.stats()["doorbells"] == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert store.stats()["doorbells"] == 0

    asyncio.run(main())
    assert wait_until_no_relay()


def test_the_event_loop_stays_responsive_while_waiting(store):
    async def main() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        changes = store.changes()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(changes.__anext__(), 0.3)
        ticker.cancel()
        return ticks

    assert asyncio.run(main()) >= 5
    assert wait_until_no_relay()


def test_changes_end_when_the_store_is_closed(name):
    store = Store.create(name)

    async def main() -> list[Change]:
        asyncio.get_running_loop().call_later(0.05, store.close)
        return [change async for change in store.changes()]

    assert asyncio.run(main()) == []
    assert wait_until_no_relay()
