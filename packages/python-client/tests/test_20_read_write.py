"""Reading and writing: get, set, snapshot, version, the per-version cache, update."""

from __future__ import annotations

import math

import pytest

from shmstate import ShmStateConflict, ShmStateInvalid, Snapshot, Store


def test_set_returns_the_next_version_and_get_reads_it(store):
    assert store.set({"n": 5}) == 2
    assert store.version == 2
    assert store.get() == {"n": 5}
    assert store.snapshot() == Snapshot(2, {"n": 5})


def test_another_handle_sees_each_commit(store):
    with Store.open(store.name) as other:
        other.set({"n": 1})
        assert store.snapshot() == (2, {"n": 1})
        store.set({"n": 2})
        assert other.get() == {"n": 2}


def test_an_unchanged_version_is_served_from_the_cache(store):
    first = store.get()
    assert store.get() is first
    store.set({"n": 1})
    assert store.get() is not first


def test_update_commits_what_the_function_returns(store):
    assert store.update(lambda s: {"n": s["n"] + 1}) == 2
    assert store.get() == {"n": 1}


def test_update_gives_the_function_a_private_copy(store):
    shared = store.get()

    def change_in_place(state):
        state["n"] = 7
        state["new"] = True
        # None: commit the changed copy

    assert store.update(change_in_place) == 2
    assert shared == {"n": 0}
    assert store.get() == {"n": 7, "new": True}


def test_update_reruns_the_function_after_a_lost_compare_and_set(store):
    calls = []

    def increment(state):
        calls.append(state["n"])
        if len(calls) == 1:
            with Store.open(store.name) as rival:
                rival.set({"n": 10})  # lands between our read and our commit
        return {"n": state["n"] + 1}

    assert store.update(increment) == 3
    assert calls == [0, 10]
    assert store.get() == {"n": 11}


def test_update_gives_up_after_max_retries_with_conflict(store):
    calls = 0

    def always_overtaken(state):
        nonlocal calls
        calls += 1
        with Store.open(store.name) as rival:
            rival.set({"n": -calls})
        return {"n": 100}

    with pytest.raises(ShmStateConflict) as caught:
        store.update(always_overtaken, max_retries=3)
    assert caught.value.code == "E_CONFLICT"
    assert calls == 4
    assert store.get() == {"n": -4}


def test_update_rejects_a_negative_retry_bound(store):
    with pytest.raises(ShmStateInvalid):
        store.update(lambda s: s, max_retries=-1)


def test_stats_count_commits_and_conflicts(store):
    store.set({"n": 1})
    with pytest.raises(ShmStateConflict):
        store._seg.commit(b"{}", 1)
    stats = store.stats()
    assert stats["version"] == 2
    assert stats["commits"] == 2
    assert stats["conflicts"] == 1
    assert stats["capacity"] == store.capacity


def test_a_snapshot_still_unpacks_as_version_and_state(store):
    version, state = store.snapshot()
    assert (version, state) == (1, {"n": 0})


def test_a_raw_commit_at_a_version_publishes_exactly_that_version(store):
    assert store._seg.commit(b'{"n":1}', version=10) == 10
    assert store.snapshot() == (10, {"n": 1})
    assert store.set({"n": 2}) == 11


@pytest.mark.parametrize("behind", [0, 1])
def test_a_raw_commit_at_a_version_not_above_the_current_one_is_conflict(store, behind):
    store.set({"n": 1})
    with pytest.raises(ShmStateConflict) as caught:
        store._seg.commit(b'{"n":9}', version=2 - behind)
    assert caught.value.code == "E_CONFLICT"
    assert store.snapshot() == (2, {"n": 1})


def test_a_raw_commit_at_a_version_still_checks_the_expected_version(store):
    with pytest.raises(ShmStateConflict):
        store._seg.commit(b'{"n":9}', expected_version=5, version=10)
    assert store.version == 1


def test_snapshot_change_and_stats_carry_the_same_store_id(store):
    changes = store.watch(timeout=5)
    store.set({"n": 1})
    change = next(changes)
    assert change.store_id == store.store_id
    assert store.snapshot().store_id == store.store_id
    assert store.stats()["store_id"] == store.store_id


def test_stats_report_layout_2_and_the_flags_word(store):
    stats = store.stats()
    assert stats["layout_version"] == 2
    assert stats["flags"] == 0


def test_stats_have_the_fields_of_nodes_stats_in_snake_case(store):
    # Node: version, capacity, commits, conflicts, lockRecoveries, waiters, layoutVersion,
    # doorbells, doorbellReclaims, storeId, flags, checkpointVersion, ringEntries,
    # ringPatchMax, ringPatchBytes, lastCommitNs, mirror, leader.
    assert set(store.stats()) == {
        "version",
        "capacity",
        "commits",
        "conflicts",
        "lock_recoveries",
        "waiters",
        "layout_version",
        "doorbells",
        "doorbell_reclaims",
        "store_id",
        "flags",
        "checkpoint_version",
        "ring_entries",
        "ring_patch_max",
        "ring_patch_bytes",
        "last_commit_ns",
        "mirror",
        "leader",
    }
    assert store.stats()["doorbells"] == 0
    assert store.stats()["doorbell_reclaims"] == 0


@pytest.mark.parametrize(
    "fn",
    [
        lambda s: s,  # the copy it got
        lambda s: None,  # the copy, unchanged in place
        lambda s: {"n": 0},  # an equal state
        lambda s: s.update(n=1) or s.update(n=0),  # changed in place, then changed back
    ],
    ids=["returns its copy", "returns None", "returns an equal state", "changes it back"],
)
def test_an_update_that_changes_nothing_commits_nothing_and_returns_the_version_read(store, fn):
    assert store.update(fn) == 1
    assert store.version == 1
    assert store.stats()["commits"] == 1


def _types(value):
    """The Python types at every place of ``value``, to tell 1 from 1.0 and True."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return (type(value), math.copysign(1.0, value) if isinstance(value, float) else None)


@pytest.mark.parametrize(
    ("before", "after"),
    [({"n": 0}, {"n": 0.0}), ({"n": True}, {"n": 1}), ({"n": 0.0}, {"n": -0.0}), ([1], [True])],
)
def test_without_a_ring_equal_in_python_but_another_json_text_is_a_change(name, before, after):
    with Store.create(name, before, ring_entries=0) as store:
        assert store.update(lambda s: after) == 2
        assert _types(store.get()) == _types(after)


@pytest.mark.parametrize(("before", "after"), [({"n": True}, {"n": 1}), ([1], [True])])
def test_with_a_ring_a_bool_is_not_a_number(store, before, after):
    store.set(before)
    assert store.update(lambda s: after) == 3
    assert _types(store.get()) == _types(after)


@pytest.mark.parametrize(("before", "after"), [({"n": 0}, {"n": 0.0}), ({"n": 0.0}, {"n": -0.0})])
def test_with_a_ring_equal_numbers_are_no_change_as_json_compares_them(name, before, after):
    # RFC 6902 4.6: numbers are equal if their values are; 0, 0.0 and -0.0 are one number.
    with Store.create(name, before) as store:
        assert store.update(lambda s: after) == 1
        assert store.set(after) == 2  # set() commits a version, with an empty patch
        assert _types(store.get()) == _types(before)


def test_a_state_another_writer_wrote_differently_is_still_unchanged(store):
    # Node writes 1.5e-7 where Python writes 1.5e-07, and may write lone surrogates, which
    # Python reads but cannot write: neither is a change, so nothing is encoded or committed.
    store._seg.commit(b'{"f":1.5e-7,"s":"\\ud800"}')
    assert store.update(lambda s: s) == 2
    assert store.stats()["commits"] == 2


def test_a_no_op_on_a_retry_returns_the_version_it_read(store):
    calls = []

    def set_n_to_5(state):
        calls.append(state["n"])
        if len(calls) == 1:
            with Store.open(store.name) as rival:
                rival.set({"n": 5})  # lands between our read and our commit
        return {"n": 5}

    assert store.update(set_n_to_5) == 2  # the rival's version: ours would change nothing
    assert calls == [0, 5]
    assert store.stats()["commits"] == 2
