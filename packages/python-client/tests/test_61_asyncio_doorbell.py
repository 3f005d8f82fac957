"""asyncio on a doorbell: the default, what it falls back to (a full table, a lost entry,
SHMSTATE_NOTIFY=thread), closing, and a forked child."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from helpers import ring_doorbell_socket, run_in_child, start_worker, take_doorbell_entry_away
from shmstate import Change, ShmStateInvalidError, Store, _native


def relay_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("shmstate-changes")]


@pytest.fixture(autouse=True)
def default_mechanism(monkeypatch) -> None:
    monkeypatch.delenv("SHMSTATE_NOTIFY", raising=False)


def test_changes_wait_on_a_doorbell_by_default(store):
    async def main() -> Change:
        changes = store.changes()
        assert changes.mechanism is None  # nothing set up before the first wait
        asyncio.get_running_loop().call_later(0.05, store.set, {"n": 1})
        change = await changes.__anext__()
        assert changes.mechanism == "doorbell"
        assert not relay_threads()
        assert store.stats()["doorbells"] == 1
        await changes.aclose()
        assert changes.mechanism is None
        assert store.stats()["doorbells"] == 0
        return change

    assert asyncio.run(main()) == Change(2, {"n": 1}, 0)


def test_shmstate_notify_thread_waits_on_a_relay_thread(store, monkeypatch):
    monkeypatch.setenv("SHMSTATE_NOTIFY", "thread")

    async def main() -> None:
        async with store.changes() as changes:
            asyncio.get_running_loop().call_later(0.05, store.set, {"n": 1})
            assert (await changes.__anext__()).version == 2
            assert changes.mechanism == "thread"
            assert relay_threads()
            assert store.stats()["doorbells"] == 0

    asyncio.run(main())


def test_a_bad_shmstate_notify_is_invalid(store, monkeypatch):
    monkeypatch.setenv("SHMSTATE_NOTIFY", "carrier-pigeon")

    async def main() -> None:
        with pytest.raises(ShmStateInvalidError) as caught:
            await store.changes().__anext__()
        assert "SHMSTATE_NOTIFY must be" in str(caught.value)

    asyncio.run(main())


def test_a_full_doorbell_table_falls_back_to_a_thread(store):
    with Store.open(store.name) as other:
        bells = [_native.Doorbell(other._seg) for _ in range(_native.DOORBELL_MAX)]
        try:

            async def main() -> list[Change]:
                got = []
                async with store.changes() as changes:
                    loop = asyncio.get_running_loop()
                    loop.call_later(0.05, store.set, {"n": 1})
                    got.append(await changes.__anext__())
                    assert changes.mechanism == "thread"
                    loop.call_later(0.02, store.set, {"n": 2})
                    got.append(await changes.__anext__())
                return got

            assert asyncio.run(main()) == [Change(2, {"n": 1}, 0), Change(3, {"n": 2}, 0)]
        finally:
            for bell in bells:
                bell.close()


def test_a_doorbell_whose_entry_is_taken_away_falls_back_to_a_thread(store):
    async def main() -> list[Change]:
        got = []
        async with store.changes() as changes:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, store.set, {"n": 1})
            got.append(await changes.__anext__())
            assert changes.mechanism == "doorbell"
            source = changes._source
            # A writer that cannot reach the socket frees the entry; the next turn's arm
            # (here after a spurious byte) reports it as E_CLOSED.
            take_doorbell_entry_away(store.name, os.getpid())
            ring_doorbell_socket(source._fd)
            await asyncio.sleep(0.1)
            assert changes.mechanism == "thread"
            loop.call_later(0.02, store.set, {"n": 2})
            got.append(await changes.__anext__())
        return got

    assert asyncio.run(main()) == [Change(2, {"n": 1}, 0), Change(3, {"n": 2}, 0)]
    assert store.stats()["doorbells"] == 0


def test_a_waiting_consumer_ends_when_another_thread_closes_the_store(name):
    store = Store.create(name)

    async def main() -> list[Change]:
        closer = threading.Timer(0.1, store.close)
        closer.start()
        got = [change async for change in store.changes()]
        await asyncio.to_thread(closer.join)
        return got

    assert asyncio.run(main()) == []


def test_a_burst_of_commits_ends_with_the_final_version_and_missed_adds_up(store):
    async def main() -> Change:
        async with store.changes() as changes:
            writer = threading.Thread(target=lambda: [store.set({"n": n}) for n in range(1, 2001)])
            previous = 1
            writer.start()
            async for change in changes:
                assert change.version == previous + change.missed + 1
                previous = change.version
                if change.version == 2001:
                    break
            await asyncio.to_thread(writer.join)
            assert changes.mechanism == "doorbell"
            return change

    assert asyncio.run(main()).state == {"n": 2000}


def test_an_iterator_made_before_fork_opens_its_own_doorbell_in_the_child(store):
    changes = store.changes()

    async def first() -> Change:
        asyncio.get_running_loop().call_later(0.05, store.set, {"n": 1})
        return await changes.__anext__()

    assert asyncio.run(first()).version == 2
    assert changes.mechanism == "doorbell"

    def in_child() -> dict:
        async def main() -> dict:
            asyncio.get_running_loop().call_later(0.05, store.set, {"n": 2})
            change = await changes.__anext__()
            return {"version": change.version, "mechanism": changes.mechanism}

        return asyncio.run(main())

    report = run_in_child(lambda: None, in_child)
    assert report == {"code": "ok", "version": 3, "mechanism": "doorbell", "uid": os.getuid()}

    async def after() -> list[Change]:
        got = [await changes.__anext__()]  # the child's commit
        asyncio.get_running_loop().call_later(0.05, store.set, {"n": 3})
        got.append(await changes.__anext__())
        assert changes.mechanism == "doorbell"
        await changes.aclose()
        return got

    assert asyncio.run(after()) == [Change(3, {"n": 2}, 0), Change(4, {"n": 3}, 0)]
    # The child's entry went with the child (freed by the next commit that rang it: its
    # socket is gone), and the parent's was closed.
    store.set({"n": 4})
    assert store.stats()["doorbells"] == 0


def test_a_doorbell_left_open_is_unregistered_when_the_interpreter_exits(store):
    worker = start_worker("exit_with_changes.py", store.name)
    stdout, stderr = worker.communicate(timeout=10)
    assert worker.returncode == 0, stderr
    assert stdout.split() == ["doorbell", "1"]
    assert store.stats()["doorbells"] == 0  # unregistered at exit, not freed by a commit
    assert store.stats()["doorbell_reclaims"] == 0
