"""Segments: create, open, open_or_create, unlink, names, modes, start versions, store ids,
layouts, close."""

from __future__ import annotations

import os
import re
import stat

import pytest

from helpers import shm_path, unique_name
from shmstate import (
    DEFAULT_CAPACITY,
    ShmStateClosed,
    ShmStateExists,
    ShmStateInvalid,
    ShmStateNameError,
    ShmStateNotFound,
    ShmStateRetiredError,
    ShmStateVersionError,
    Store,
    _native,
)


def test_create_publishes_the_initial_state_as_version_1(name):
    with Store.create(name, initial={"a": [1, 2]}) as store:
        assert store.version == 1
        assert store.get() == {"a": [1, 2]}
        assert store.created is True
        assert store.name == name


def test_create_defaults_to_an_empty_object(name):
    with Store.create(name) as store:
        assert store.get() == {}


def test_open_sees_what_create_wrote(name):
    with Store.create(name, initial={"x": 1}), Store.open(name) as other:
        assert other.snapshot() == (1, {"x": 1})
        assert other.created is False


def test_create_of_a_taken_name_raises_exists(store):
    with pytest.raises(ShmStateExists) as caught:
        Store.create(store.name)
    assert caught.value.code == "E_EXISTS"
    assert isinstance(caught.value, FileExistsError)


def test_open_of_an_absent_name_raises_not_found():
    with pytest.raises(ShmStateNotFound) as caught:
        Store.open(unique_name())
    assert caught.value.code == "E_NOENT"
    assert isinstance(caught.value, FileNotFoundError)


@pytest.mark.parametrize("bad", ["", "a/b", ".hidden", "-dash", "x" * 201, "sp ace", "nul\0x"])
def test_invalid_names_raise_name_error(bad):
    with pytest.raises(ShmStateNameError) as caught:
        Store.create(bad)
    assert caught.value.code == "E_NAME"
    assert isinstance(caught.value, ValueError)


def test_unlink_removes_the_name_open_handles_read_but_cannot_commit(name):
    with Store.create(name, initial=1) as store:
        Store.unlink(name)
        assert not shm_path(name).exists()
        with pytest.raises(ShmStateNotFound):
            Store.open(name)
        with pytest.raises(ShmStateRetiredError):
            store.set(2)
        assert store.get() == 1
    with pytest.raises(ShmStateNotFound):
        Store.unlink(name)


def test_default_mode_is_0600_whatever_the_umask(name):
    old = os.umask(0o000)
    try:
        Store.create(name).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(shm_path(name).stat().st_mode) == 0o600


def test_mode_is_exact_despite_the_umask(name):
    old = os.umask(0o077)
    try:
        Store.create(name, mode=0o640).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(shm_path(name).stat().st_mode) == 0o640


def test_open_or_create_creates_once_then_opens(name):
    with (
        Store.open_or_create(name, initial={"v": 1}) as first,
        Store.open_or_create(name, initial={"v": 2}) as second,
    ):
        assert first.created is True
        assert second.created is False
        assert second.get() == {"v": 1}


def test_close_is_idempotent_and_every_later_call_raises_closed(name):
    store = Store.create(name, initial={"n": 0})
    store.close()
    store.close()
    assert store.closed
    assert store.name == name
    calls = [
        store.get,
        store.snapshot,
        lambda: store.version,
        lambda: store.set({}),
        lambda: store.update(lambda s: s),
        lambda: store.watch(),
        lambda: store.wait_for(2),
        lambda: store.subscribe(print),
        lambda: store.changes(),
        store.stats,
    ]
    for call in calls:
        with pytest.raises(ShmStateClosed) as caught:
            call()
        assert caught.value.code == "E_CLOSED"


def test_raw_segment_close_is_idempotent_and_later_calls_raise_closed(name):
    segment = _native.Segment.create(name, 4096, 0o600, b"{}")
    segment.close()
    segment.close()
    for call in (segment.read, lambda: segment.commit(b"1"), lambda: segment.version):
        with pytest.raises(ShmStateClosed):
            call()


def test_the_default_capacity_is_1_mib_as_in_node(name):
    assert DEFAULT_CAPACITY == 1 << 20
    with Store.create(name) as store:
        assert store.capacity == 1 << 20
        assert store.stats()["capacity"] == 1 << 20
    Store.unlink(name)
    with Store.open_or_create(name) as store:
        assert store.capacity == 1 << 20


def test_capacity_below_the_minimum_is_invalid(name):
    with pytest.raises(ShmStateInvalid) as caught:
        Store.create(name, capacity=_native.CAPACITY_MIN - 1)
    assert caught.value.code == "E_INVALID"
    assert not shm_path(name).exists()


def test_create_at_a_version_publishes_it_and_the_next_commit_adds_1(name):
    with Store.create(name, initial={"n": 0}, version=41) as store:
        assert store.version == 41
        assert store.snapshot() == (41, {"n": 0})
        assert store.set({"n": 1}) == 42


def test_open_or_create_at_a_version_starts_there_when_it_creates(name):
    with (
        Store.open_or_create(name, initial={"n": 0}, version=7) as first,
        Store.open_or_create(name, initial={"n": 1}, version=99) as second,
    ):
        assert first.created is True
        assert second.created is False
        assert second.snapshot() == (7, {"n": 0})


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (0, "initial version is 0; versions start at 1 or later (E_INVALID)"),  # the core's
        (-1, "version must be an int >= 0, got -1 (E_INVALID)"),
        (True, "version must be an int, got True (E_INVALID)"),
        (1.0, "version must be an int, got 1.0 (E_INVALID)"),
        ("1", "version must be an int, got '1' (E_INVALID)"),
        (None, "version must be an int, got None (E_INVALID)"),
        (2**53, "version is 9007199254740992; it must be in [1, 9007199254740991] (E_INVALID)"),
    ],
)
def test_a_start_version_below_1_beyond_2_53_or_not_an_int_is_invalid(name, bad, message):
    with pytest.raises(ShmStateInvalid) as caught:
        Store.create(name, version=bad)
    assert caught.value.code == "E_INVALID"
    assert str(caught.value) == message
    assert not shm_path(name).exists()


def test_open_or_create_refuses_a_bad_start_version_too(name):
    with pytest.raises(ShmStateInvalid):
        Store.open_or_create(name, version=0)
    assert not shm_path(name).exists()


def test_store_id_is_16_lowercase_hex_digits(store):
    assert re.fullmatch(r"[0-9a-f]{16}", store.store_id)
    assert int(store.store_id, 16) == store._seg.store_id != 0


def test_every_handle_on_a_store_reads_the_same_store_id(store):
    with Store.open(store.name) as other:
        assert other.store_id == store.store_id


def test_a_name_unlinked_and_created_again_holds_another_store_id(name):
    with Store.create(name) as first:
        old_id = first.store_id
    Store.unlink(name)
    with Store.create(name), Store.open(name) as reopened:
        assert reopened.store_id != old_id


def test_store_id_stays_readable_after_close(store):
    store_id = store.store_id
    store.close()
    assert store.store_id == store_id


def test_a_layout_1_segment_raises_version_error_saying_recreate_it(name):
    Store.create(name).close()
    with open(shm_path(name), "r+b") as f:
        f.seek(8)  # layout_version
        f.write(bytes([1, 0, 0, 0]))
    with pytest.raises(ShmStateVersionError) as caught:
        Store.open(name)
    assert caught.value.code == "E_VERSION"
    assert "Recreate it" in str(caught.value)
