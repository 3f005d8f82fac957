"""Retirement: Store.unlink ends watch() (sync and asyncio), subscribe() and wait_for()
with ShmStateRetiredError (E_RETIRED) after the last change; commits to a retired store
are refused while get() keeps its last state; a store opened with reopen=True carries on
with the store created under the name (``replaced`` True, ``missed`` its versions before);
a file removed by hand is found at the next commit."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest

from helpers import shm_path
from shmstate import ShmStateError, ShmStateRetiredError, ShmStateTimeoutError, Store
from shmstate.errors import CLASS_FOR_CODE

RETIRED_FLAG = 4  # the header's flags bit 2


def test_the_code_has_its_class() -> None:
    assert CLASS_FOR_CODE["E_RETIRED"] is ShmStateRetiredError
    assert issubclass(ShmStateRetiredError, ShmStateError)


def test_unlink_refuses_commits_and_keeps_the_last_state(name: str) -> None:
    with Store.create(name, initial={"n": 1}) as store:
        Store.unlink(name)
        with pytest.raises(ShmStateRetiredError) as caught:
            store.set({"n": 2})
        assert caught.value.code == "E_RETIRED"
        with pytest.raises(ShmStateRetiredError):
            store.update(lambda s: {"n": s["n"] + 1})
        assert store.get() == {"n": 1}
        assert store.version == 1
        assert store.stats()["flags"] & RETIRED_FLAG


def test_watch_ends_with_e_retired_after_the_last_change(name: str) -> None:
    with Store.create(name, initial={"n": 0}) as writer, Store.open(name) as reader:
        seen: list[int] = []
        failure: list[BaseException] = []

        def watch() -> None:
            try:
                for change in reader.watch(timeout=10):
                    seen.append(change.state["n"])
            except ShmStateError as error:
                failure.append(error)

        thread = threading.Thread(target=watch)
        thread.start()
        writer.wait_for(1)
        writer.set({"n": 1})
        reader.wait_for(2, timeout=10)
        Store.unlink(name)
        thread.join(10)
        assert not thread.is_alive()
        assert [type(error) for error in failure] == [ShmStateRetiredError]
        assert seen[-1:] == [1]


def test_wait_for_on_a_retired_store_raises(name: str) -> None:
    with Store.create(name, initial={"n": 0}) as store:
        Store.unlink(name)
        with pytest.raises(ShmStateRetiredError):
            store.wait_for(2, timeout=10)


def test_async_changes_end_with_e_retired(name: str) -> None:
    async def main() -> list[Any]:
        with Store.create(name, initial={"n": 0}) as store:
            got: list[Any] = []
            changes = store.changes(replay=True)

            async def consume() -> None:
                async for change in changes:
                    got.append(change.state)
                    if len(got) == 1:
                        Store.unlink(name)

            with pytest.raises(ShmStateRetiredError):
                await asyncio.wait_for(consume(), 10)
            return got

    assert asyncio.run(main()) == [{"n": 0}]


def test_with_reopen_watch_carries_on_with_the_new_store(name: str) -> None:
    first = Store.create(name, initial={"n": 0})
    follower = Store.open(name, reopen=True, reopen_timeout=10)
    try:
        watched = follower.watch(timeout=10)
        Store.unlink(name)
        first.close()
        with Store.create(name, initial={"n": 10}) as second:
            second.set({"n": 11})
            change = next(watched)
            assert change.replaced
            assert change.store_id == second.store_id != first.store_id
            assert change.patches is None
            assert change.missed == change.version - 1
            assert change.state["n"] >= 10
            second.set({"n": 12})
            while change.state["n"] < 12:
                change = next(watched)
                assert not change.replaced
            assert follower.get() == {"n": 12}
            follower.set({"n": 13})
            assert second.get() == {"n": 13}
    finally:
        follower.close()


def test_with_reopen_no_replacement_in_time_is_e_timeout(name: str) -> None:
    with Store.create(name, initial={"n": 0}):
        follower = Store.open(name, reopen=True, reopen_timeout=0.05)
        try:
            watched = follower.watch(timeout=10)
            Store.unlink(name)
            with pytest.raises(ShmStateError) as caught:
                next(watched)
            assert caught.value.code == "E_TIMEOUT"
        finally:
            follower.close()


def test_reopen_arguments_are_checked(name: str) -> None:
    with Store.create(name, initial={}):
        for kwargs in ({"reopen": 1}, {"reopen": True, "reopen_timeout": -1}):
            with pytest.raises(ShmStateError) as caught:
                Store.open(name, **kwargs)  # type: ignore[arg-type]
            assert caught.value.code == "E_INVALID"


def test_a_file_removed_by_hand_is_found_at_the_next_commit(name: str) -> None:
    with Store.create(name, initial={"n": 0}) as store:
        os.unlink(shm_path(name))
        with pytest.raises(ShmStateRetiredError):
            store.set({"n": 1})
        assert store.stats()["flags"] & RETIRED_FLAG


def test_a_subscription_hands_e_retired_to_on_error_and_ends(name: str) -> None:
    with Store.create(name, initial={"n": 0}) as store:
        errors: list[BaseException] = []
        done = threading.Event()

        def on_error(error: BaseException) -> None:
            errors.append(error)
            done.set()

        subscription = store.subscribe(lambda change: None, on_error=on_error)
        Store.unlink(name)
        assert done.wait(10)
        subscription.join(10)
        assert not subscription.active
        assert [type(error) for error in errors] == [ShmStateRetiredError]


def test_with_reopen_a_subscription_hands_e_timeout_to_on_error_and_ends(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    escaped: list[BaseException | None] = []  # what reached the thread's default handler
    monkeypatch.setattr(threading, "excepthook", lambda hook: escaped.append(hook.exc_value))
    with Store.create(name, initial={"n": 0}):
        follower = Store.open(name, reopen=True, reopen_timeout=0.05)
        try:
            errors: list[BaseException] = []
            done = threading.Event()

            def on_error(error: BaseException) -> None:
                errors.append(error)
                done.set()

            subscription = follower.subscribe(lambda change: None, on_error=on_error)
            Store.unlink(name)
            assert done.wait(10)
            subscription.join(10)
            assert not subscription.active
            assert [type(error) for error in errors] == [ShmStateTimeoutError]
            assert escaped == []
        finally:
            follower.close()


def test_with_reopen_a_store_no_wait_follows_stays_on_the_retired_one(name: str) -> None:
    first = Store.create(name, initial={"n": 0})
    follower = Store.open(name, reopen=True, reopen_timeout=10)
    try:
        Store.unlink(name)
        first.close()
        with Store.create(name, initial={"n": 10}) as second:
            # Nothing has followed the replacement yet: the store is still the retired one.
            with pytest.raises(ShmStateRetiredError):
                follower.set({"n": 1})
            assert follower.get() == {"n": 0}
            assert follower.store_id == first.store_id
            # A watch's wait on it makes the swap; from then on every call uses the new one.
            change = next(follower.watch(timeout=10))
            assert change.replaced and change.store_id == second.store_id
            assert follower.get() == {"n": 10}
            follower.set({"n": 11})
            assert second.get() == {"n": 11}
    finally:
        follower.close()


def test_with_reopen_two_watchers_of_one_store_both_follow(name: str) -> None:
    first = Store.create(name, initial={"n": 0})
    follower = Store.open(name, reopen=True, reopen_timeout=10)
    try:
        seen: dict[int, list[Any]] = {0: [], 1: []}
        failures: list[BaseException] = []

        def watch(key: int) -> None:
            try:
                for change in follower.watch(timeout=10):
                    seen[key].append((change.state["n"], change.replaced))
                    if change.state["n"] == 11:
                        return
            except BaseException as error:
                failures.append(error)

        threads = [threading.Thread(target=watch, args=(key,)) for key in seen]
        for thread in threads:
            thread.start()
        while follower.stats()["waiters"] < 2:
            threading.Event().wait(0.001)
        Store.unlink(name)
        first.close()
        with Store.create(name, initial={"n": 10}) as second:
            second.set({"n": 11})
            for thread in threads:
                thread.join(10)
        assert failures == []
        for changes in seen.values():
            assert changes[-1][0] == 11
            assert [replaced for _, replaced in changes].count(True) == 1
    finally:
        follower.close()


def test_aopen_with_reopen_follows_too(name: str) -> None:
    first = Store.create(name, initial={"n": 0})
    follower = asyncio.run(Store.aopen(name, wait=1, reopen=True, reopen_timeout=10))
    try:
        watched = follower.watch(timeout=10)
        Store.unlink(name)
        first.close()
        with Store.create(name, initial={"n": 10}) as second:
            change = next(watched)
            assert change.replaced and change.store_id == second.store_id
    finally:
        follower.close()
