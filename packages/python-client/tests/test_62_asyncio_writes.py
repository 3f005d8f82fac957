"""Awaitable writes: store.aset() and store.aupdate() never block the event loop."""

from __future__ import annotations

import asyncio

import pytest

from helpers import continue_stalled_writer, start_stalled_writer
from shmstate import ShmStateConflictError, ShmStateInvalidError, Store


async def count_ticks_while(work):
    """Runs ``work`` with a ticker task beside it that counts its turns of the loop;
    returns (work's result, ticks)."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)  # let it start
    before = ticks
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, ticks - before


def test_aset_commits_the_next_version(store):
    async def main() -> int:
        return await store.aset({"n": 5})

    assert asyncio.run(main()) == 2
    assert store.snapshot() == (2, {"n": 5})


def test_aupdate_commits_what_the_function_returns(store):
    async def main() -> int:
        return await store.aupdate(lambda s: {"n": s["n"] + 1})

    assert asyncio.run(main()) == 2
    assert store.get() == {"n": 1}


def test_another_task_keeps_running_during_a_conflicting_aupdate(store):
    conflicts = 20
    calls = []

    def increment(state):
        calls.append(state["n"])
        if len(calls) <= conflicts:
            with Store.open(store.name) as rival:
                rival.set({"n": state["n"] + 100})  # lands between our read and our commit
        return {"n": state["n"] + 1}

    async def main():
        return await count_ticks_while(store.aupdate(increment, max_retries=conflicts))

    version, ticks = asyncio.run(main())
    assert len(calls) == conflicts + 1
    assert version == 2 + conflicts  # 20 rival commits, then ours
    assert store.get() == {"n": 100 * conflicts + 1}
    assert store.stats()["conflicts"] == conflicts
    # Every retry slept with asyncio.sleep and every commit ran off the loop: the ticker
    # ran between them (a blocking update would leave it no turn at all).
    assert ticks > conflicts, ticks


def test_a_blocking_update_leaves_the_ticker_no_turn(store):
    """The control for the test above: the same measure around a blocking update."""

    async def blocking() -> int:
        return store.update(lambda s: {"n": s["n"] + 1})

    _, ticks = asyncio.run(count_ticks_while(blocking()))
    assert ticks == 0


def test_aset_waits_for_a_stalled_writer_off_the_loop(store):
    stalled = start_stalled_writer(store.name, '{"n":1}')
    try:

        async def main():
            loop = asyncio.get_running_loop()
            loop.call_later(0.3, continue_stalled_writer, stalled)
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            ticker = asyncio.create_task(tick())
            try:
                version = await store.aset({"n": 2})  # waits for the lock ~0.3 s
            finally:
                ticker.cancel()
            return version, ticks

        version, ticks = asyncio.run(main())
    finally:
        continue_stalled_writer(stalled)
        stalled.communicate(timeout=10)
    assert version == 3  # after the stalled writer's commit
    assert store.get() == {"n": 2}
    assert ticks >= 10, ticks


def test_aupdate_that_changes_nothing_commits_nothing(store):
    async def main() -> int:
        return await store.aupdate(lambda s: s)

    assert asyncio.run(main()) == 1
    assert store.stats()["commits"] == 1


def test_aupdate_gives_up_after_max_retries_with_conflict(store):
    def always_overtaken(state):
        with Store.open(store.name) as rival:
            rival.set({"n": state["n"] - 1})
        return {"n": 100}

    async def main() -> None:
        with pytest.raises(ShmStateConflictError) as caught:
            await store.aupdate(always_overtaken, max_retries=2)
        assert caught.value.code == "E_CONFLICT"

    asyncio.run(main())
    assert store.get() == {"n": -3}


def test_aupdate_checks_its_arguments(store):
    async def main() -> None:
        with pytest.raises(ShmStateInvalidError):
            await store.aupdate(lambda s: s, max_retries=-1)
        with pytest.raises(ShmStateInvalidError):
            await store.aupdate("not a function")

    asyncio.run(main())
