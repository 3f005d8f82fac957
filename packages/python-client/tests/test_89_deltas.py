"""The patch ring in the Store: structural sharing, catch-up, fall-backs, what writes send,
Change.patches and every-change watchers, stores without a ring, and the new arguments."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import pytest

from shmstate import (
    Change,
    ShmStateCapacityError,
    ShmStateConflictError,
    ShmStateCorruptError,
    ShmStateInvalidError,
    Store,
    _native,
    encode,
)
from shmstate.frozen import FrozenDict, FrozenList
from shmstate.json_patch import apply_patch


def nested() -> dict[str, Any]:
    return {"a": {"b": 1, "c": {"deep": [1, 2]}}, "d": {"e": "f"}, "g": [{"h": 1}]}


def replace(path: str, value: Any) -> list[dict[str, Any]]:
    return [{"op": "replace", "path": path, "value": value}]


def assert_shared_outside_a_b(before: Any, after: Any) -> None:
    """Every subtree off the path root -> a -> a.b is the same object in both states."""
    assert after is not before and after["a"] is not before["a"]
    assert after["a"]["c"] is before["a"]["c"]
    assert after["d"] is before["d"]
    assert after["g"] is before["g"]


# ---- structural sharing and read-only states ------------------------------------------


def test_a_reader_shares_every_subtree_a_patch_left_alone(name):
    with Store.create(name, nested()) as writer, Store.open(name) as reader:
        before = reader.get()
        writer.patch(replace("/a/b", 2))
        after = reader.get()
        assert after["a"]["b"] == 2
        assert_shared_outside_a_b(before, after)


def test_the_writer_keeps_its_own_state_shared_without_reading_it_back(name):
    with Store.create(name, nested()) as writer:
        before = writer.get()
        version = writer.patch(replace("/a/b", 2))
        entry = writer._cache.entry
        assert entry is not None and entry.version == version
        after = writer.get()
        assert after == {**nested(), "a": {"b": 2, "c": {"deep": [1, 2]}}}
        assert_shared_outside_a_b(before, after)
        assert entry.length == len(encode(after))


def test_states_are_read_only_and_update_gets_a_mutable_copy(name):
    with Store.create(name, nested()) as store:
        state = store.get()
        assert isinstance(state, FrozenDict) and isinstance(state["g"], FrozenList)
        with pytest.raises(TypeError):
            state["a"]["b"] = 5
        with pytest.raises(TypeError):
            state["g"].append(1)

        def change(draft: Any) -> None:
            assert type(draft) is dict and type(draft["g"]) is list
            draft["a"]["b"] = 5
            draft["g"].append({"h": 2})

        store.update(change)
        assert store.get()["a"]["b"] == 5 and store.get()["g"] == [{"h": 1}, {"h": 2}]


# ---- reading: catch-up and fall-backs --------------------------------------------------


def test_a_reader_catches_up_through_many_patches(name):
    with Store.create(name, {"n": 0, "log": []}) as writer, Store.open(name) as reader:
        first = reader.get()
        for n in range(1, 301):
            writer.patch([*replace("/n", n), {"op": "add", "path": "/log/-", "value": n}])
        stats = writer.stats()
        assert stats["checkpoint_version"] < stats["version"]  # the reader needs patches
        snapshot = reader.snapshot()
        assert snapshot == (301, {"n": 300, "log": list(range(1, 301))})
        assert reader._cache.entry.length == len(encode(snapshot.state))
        assert first == {"n": 0, "log": []}  # an old state is never changed


def test_a_reader_falls_back_to_a_full_read_when_the_ring_wrapped(name):
    with (
        Store.create(name, {"n": 0}, ring_entries=4) as writer,
        Store.open(name) as reader,
    ):
        assert reader.get() == {"n": 0}
        changes = reader.watch(timeout=5)
        for n in range(1, 21):
            writer.patch(replace("/n", n))
        change = next(changes)
        assert change == (21, {"n": 20}, 19)
        assert change.patches is None  # a full state: the ring no longer had version 2


def commit_raw_patch(name: str, patch: bytes, state: Any | None) -> int:
    """Commits ``patch`` through the raw binding, as a buggy writer might: the core checks
    its framing, not what it means. With ``state`` the commit is a checkpoint too."""
    with Store.open(name) as store:
        base = store._cache.current()
    raw = _native.Segment.open(name)
    try:
        data = None if state is None else encode(state)
        length = base.length if data is None else len(data)
        return raw.commit_patch(patch, data, length, base.version)
    finally:
        raw.close()


def test_a_ring_entry_that_does_not_apply_makes_the_reader_fall_back(name):
    with Store.create(name, {"n": 0}) as store:
        assert store.get() == {"n": 0}
        changes = store.watch(timeout=5)
        bad = b'[{"op":"remove","path":"/nothing/here"}]'
        version = commit_raw_patch(name, bad, {"n": 1})
        change = next(changes)  # the watch goes on, with the checkpoint's state
        assert change == (version, {"n": 1}, 0)
        assert change.patches is None
        store.patch(replace("/n", 2))
        assert next(changes).patches == replace("/n", 2)


def test_a_patch_that_does_not_apply_to_its_checkpoint_either_is_corrupt(name):
    with Store.create(name, {"n": 0}) as store:
        assert store.get() == {"n": 0}
        commit_raw_patch(name, b'[{"op":"remove","path":"/nothing"}]', None)
        with pytest.raises(ShmStateCorruptError) as caught:
            store.get()
        assert "do not apply" in str(caught.value)
        store.set({"n": 3})  # a whole state heals it
        assert store.get() == {"n": 3}
        with Store.open(name) as fresh:
            assert fresh.get() == {"n": 3}


# ---- what writes send ----------------------------------------------------------------


def test_small_changes_by_update_and_set_go_as_patches(name):
    big = {"items": [{"id": i, "name": f"item {i}"} for i in range(100)], "n": 0}
    with Store.create(name, big) as store, Store.open(name) as reader:
        reader.get()
        store.update(lambda s: {**s, "n": 1})
        store.set({**store.get(), "n": 2})
        stats = store.stats()
        assert stats["checkpoint_version"] == 1
        assert 0 < stats["ring_patch_bytes"] < len(encode(big))
        changes = reader.watch(timeout=5, replay=True)
        assert next(changes).state["n"] == 2


def test_a_big_change_by_set_is_a_checkpoint(name):
    with Store.create(name, {"a": list(range(50))}) as store:
        version = store.set({"b": "new"})
        stats = store.stats()
        assert stats["checkpoint_version"] == version
        assert stats["ring_patch_bytes"] == 0
        with Store.open(name) as reader:
            assert reader.get() == {"b": "new"}


def test_set_works_for_any_state_on_a_ring(name):
    with Store.create(name, {"n": 0}) as store, Store.open(name) as reader:
        for state in [[1, 2], "text", None, 3.5, {"n": {"deep": [True]}}, {}]:
            version = store.set(state)
            assert reader.snapshot() == (version, state)


def test_patch_with_expected_version_fails_instead_of_retrying(name):
    with Store.create(name, {"n": 0}) as store:
        with Store.open(name) as rival:
            rival.patch(replace("/n", 1))
        with pytest.raises(ShmStateConflictError):
            store.patch(replace("/n", 2), expected_version=1)
        with pytest.raises(ShmStateConflictError):
            store.patch([{"op": "test", "path": "/n", "value": 1}], expected_version=1)
        assert store.snapshot() == (2, {"n": 1})
        assert store.patch(replace("/n", 2), expected_version=2) == 3


def test_patch_retries_when_another_writer_came_first(name):
    with Store.create(name, {"list": []}) as store:
        handles = [Store.open(name) for _ in range(2)]

        def append(handle: Store[Any]) -> None:
            for i in range(100):
                handle.patch([{"op": "add", "path": "/list/-", "value": i}])

        threads = [threading.Thread(target=append, args=(h,)) for h in handles]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for handle in handles:
            handle.close()
        assert len(store.get()["list"]) == 200
        assert store.version == 201


def test_a_patch_beyond_the_capacity_is_refused(name):
    with Store.create(name, {"n": 0}, capacity=1024) as store:
        ops = [{"op": "add", "path": "/s", "value": "x" * 1100}]
        with pytest.raises(ShmStateCapacityError):
            store.patch(ops)
        assert store.snapshot() == (1, {"n": 0})


def test_apatch_commits_off_the_event_loop(name):
    async def main(store: Store[Any]) -> int:
        return await store.apatch(replace("/n", 7))

    with Store.create(name, {"n": 0}) as store:
        assert asyncio.run(main(store)) == 2
        assert store.get() == {"n": 7}


# ---- Change.patches and every-change watchers -------------------------------------------


def test_change_patches_take_the_previous_state_to_this_one(name):
    with Store.create(name, nested()) as writer, Store.open(name) as reader:
        changes = reader.watch(timeout=5, replay=True)
        previous = next(changes)
        assert previous.patches is None  # the first change is a full state
        writer.patch(replace("/a/b", 2))
        writer.patch([{"op": "add", "path": "/g/-", "value": {"h": 2}}])
        writer.update(lambda s: {**s, "d": {"e": "x"}})
        change = next(changes)  # latest wins: the three joined
        assert change.version == 4 and change.missed == 2
        assert apply_patch(previous.state, change.patches) == change.state


def test_change_stays_tuple_compatible_with_patches_beside_it():
    change = Change(3, {"n": 1}, 0, "ab", patches=[{"op": "add", "path": "/n", "value": 1}])
    assert change == (3, {"n": 1}, 0)
    assert tuple(change) == (3, {"n": 1}, 0)
    assert change._replace(missed=1).patches == change.patches
    assert "patches=" in repr(change)


def test_every_change_arrives_in_order_exactly_once(name):
    with Store.create(name, {"n": 0}) as writer, Store.open(name) as reader:
        received: list[Change[Any]] = []
        done = threading.Event()

        def collect(change: Change[Any]) -> None:
            received.append(change)
            if change.state["n"] == 200:
                done.set()

        with reader.subscribe(collect, every=True):
            for n in range(1, 201):
                writer.patch(replace("/n", n))
            assert done.wait(10)
        assert [c.version for c in received] == list(range(1, 202))
        assert all(c.missed == 0 for c in received)
        for before, after in itertools.pairwise(received):
            assert apply_patch(before.state, after.patches) == after.state


def test_every_change_counts_exactly_what_a_watcher_lost_past_the_ring(name):
    with Store.create(name, {"n": 0}, ring_entries=4) as writer, Store.open(name) as reader:
        changes = reader.watch(timeout=5, every=True)
        for n in range(1, 21):
            writer.patch(replace("/n", n))
        received = []
        for change in changes:
            received.append(change)
            if change.version == 21:
                break
        first = received[0]
        assert first.patches is None and first.missed == first.version - 2
        assert [c.version for c in received] == list(range(first.version, 22))
        assert all(c.missed == 0 and c.patches is not None for c in received[1:])
        assert received[-1].state == {"n": 20}
        # The accounting: last - first == (emissions - 1) + sum(missed), from version 1.
        assert len(received) + sum(c.missed for c in received) == 21 - 1


def test_asyncio_changes_with_every(name):
    async def main(writer: Store[Any], reader: Store[Any]) -> list[int]:
        versions = []
        async with reader.changes(every=True) as changes:
            for n in range(1, 11):
                writer.patch(replace("/n", n))
            async for change in changes:
                assert change.missed == 0
                versions.append(change.version)
                if change.version == 11:
                    break
        return versions

    with Store.create(name, {"n": 0}) as writer, Store.open(name) as reader:
        assert asyncio.run(main(writer, reader)) == list(range(2, 12))


# ---- stores without a ring ------------------------------------------------------------


def test_a_store_without_a_ring_writes_whole_states(name):
    with Store.create(name, {"n": 0}, ring_entries=0) as store, Store.open(name) as reader:
        stats = store.stats()
        assert stats["ring_entries"] == 0 and stats["ring_patch_max"] == 0
        changes = reader.watch(timeout=5)
        assert store.patch(replace("/n", 1)) == 2
        assert store.update(lambda s: {**s, "m": 1}) == 3
        assert store.set({"n": 5}) == 4
        assert reader.get() == {"n": 5}
        assert isinstance(reader.get(), FrozenDict)
        change = next(changes)
        assert change.patches is None


def test_open_or_create_keeps_the_ring_of_the_store_it_opens(name):
    with Store.create(name, {"n": 0}, ring_entries=8, ring_patch_max=100) as store:
        with Store.open_or_create(name, ring_entries=0) as opened:
            assert not opened.created
            assert opened.stats()["ring_entries"] == 8
        assert store.stats()["ring_patch_max"] == 128  # rounded up to a 64-byte entry


def test_the_default_ring(name):
    with Store.create(name) as store:
        stats = store.stats()
        assert stats["ring_entries"] == 1024 and stats["ring_patch_max"] == 1984
    Store.unlink(name)
    with Store.create(name, capacity=100) as small:
        assert small.stats()["ring_patch_max"] == 128  # min(1984, capacity), in whole entries


# ---- arguments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ring_entries": "4"}, "ring_entries must be an int, got '4'"),
        ({"ring_entries": True}, "ring_entries must be an int, got True"),
        ({"ring_entries": -1}, "ring_entries must be an int >= 0, got -1"),
        ({"ring_patch_max": 1.5}, "ring_patch_max must be an int, got 1.5"),
        ({"ring_entries": 1}, "ring_entries is 1; it must be 0 (no ring) or in [2, 65536]"),
        ({"ring_entries": 2**40}, "ring_entries is 1099511627776; it must be 0 (no ring)"),
        ({"ring_entries": 0, "ring_patch_max": 64}, "ring_patch_max is 64 but ring_entries is 0"),
        ({"ring_patch_max": 0}, "ring_patch_max is 0; it must be in [1, "),
    ],
)
def test_ring_options_are_checked(name, options, message):
    with pytest.raises(ShmStateInvalidError) as caught:
        Store.create(name, **options)
    assert message in str(caught.value)
    with pytest.raises(ShmStateInvalidError):
        Store.open_or_create(name, **options)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.patch([], expected_version="1"), "expected_version must be an int"),
        (lambda s: s.patch([], max_retries=-1), "max_retries is -1"),
        (lambda s: s.watch(every=1), "every must be a bool, got 1"),
        (lambda s: s.subscribe(print, every="yes"), "every must be a bool"),
        (lambda s: s.changes(every=None), "every must be a bool"),
    ],
)
def test_write_and_watch_arguments_are_checked(store, call, message):
    with pytest.raises(ShmStateInvalidError) as caught:
        call(store)
    assert message in str(caught.value)
