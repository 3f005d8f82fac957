"""The raw doorbell binding (shmstate._native.Doorbell): the delivery turn, the 64-entry
limit, a lost entry, a closed segment and a forked child."""

from __future__ import annotations

import contextlib
import select

import pytest

from helpers import ring_doorbell_socket, run_in_child, take_doorbell_entry_away
from shmstate import ShmStateClosedError, ShmStateInvalidError, ShmStateLimitError, _native


def readable(fd: int, timeout: float) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def test_a_commit_rings_an_armed_doorbell_once(store):
    bell = _native.Doorbell(store._seg)
    try:
        fd = bell.fileno()
        assert store.stats()["doorbells"] == 1
        assert not readable(fd, 0)
        store.set({"n": 1})
        store.set({"n": 2})  # disarmed by the first ring: no second byte
        assert readable(fd, 5)
        bell.turn_begin()
        assert not bell.turn_again()  # nothing landed since the turn began
        assert bell.turn_end() is False  # emptied and re-armed, nothing slipped in
        assert not readable(fd, 0)
        store.set({"n": 3})
        assert readable(fd, 5)
    finally:
        bell.close()
    assert bell.closed
    assert store.stats()["doorbells"] == 0


def test_turn_again_delivers_again_while_versions_land_but_boundedly(store):
    with contextlib.closing(_native.Doorbell(store._seg)) as bell:
        store.set({"n": 1})
        assert readable(bell.fileno(), 5)
        bell.turn_begin()
        rounds = 1
        while True:
            store.set({"n": rounds})  # a commit during every delivery
            if not bell.turn_again():
                break
            rounds += 1
        assert rounds == _native.DOORBELL_DELIVERIES_PER_TURN
        assert bell.turn_end() is True  # commits slipped in: it rang itself
        assert readable(bell.fileno(), 0)


def test_the_65th_doorbell_of_a_segment_is_e_limit(store):
    assert _native.DOORBELL_MAX == 64
    bells = [_native.Doorbell(store._seg) for _ in range(_native.DOORBELL_MAX)]
    try:
        with pytest.raises(ShmStateLimitError) as caught:
            _native.Doorbell(store._seg)
        assert caught.value.code == "E_LIMIT"
        assert store.stats()["doorbells"] == 64
    finally:
        for bell in bells:
            bell.close()
    assert store.stats()["doorbells"] == 0


def test_arm_reports_an_entry_taken_away_as_closed(store):
    bell = _native.Doorbell(store._seg)
    try:
        take_doorbell_entry_away(store.name, bell.pid)
        ring_doorbell_socket(bell.fileno())
        assert readable(bell.fileno(), 5)
        bell.turn_begin()
        with pytest.raises(ShmStateClosedError) as caught:
            bell.turn_end()
        assert "lost its entry" in str(caught.value)
    finally:
        bell.close()
    assert store.stats()["doorbells"] == 0


def test_a_doorbell_keeps_the_segment_mapped_after_close(store):
    bell = _native.Doorbell(store._seg)
    store._seg.close()
    with pytest.raises(ShmStateClosedError):
        _native.Doorbell(store._seg)
    bell.turn_begin()  # the core segment is still mapped under it
    assert bell.turn_end() is False
    bell.close()
    bell.close()
    with pytest.raises(ShmStateClosedError):
        bell.fileno()


def test_a_doorbell_needs_a_segment():
    with pytest.raises(ShmStateInvalidError):
        _native.Doorbell("robot")


def test_a_forked_child_cannot_use_its_parents_doorbell_nor_unregister_it(store):
    bell = _native.Doorbell(store._seg)
    try:

        def in_child() -> dict:
            refused = []
            for call in (bell.fileno, bell.turn_begin, bell.turn_again, bell.turn_end, bell.arm):
                try:
                    call()
                except ShmStateClosedError as error:
                    refused.append(str(error))
            bell.close()  # closes the child's copy of the socket, nothing else
            return {"refused": refused}

        report = run_in_child(lambda: None, in_child)
        assert report["code"] == "ok", report
        assert len(report["refused"]) == 5
        assert all("a forked child must open its own" in message for message in report["refused"])
        assert store.stats()["doorbells"] == 1, "the parent's entry is still registered"
        store.set({"n": 1})
        assert readable(bell.fileno(), 5), "and still rings"
    finally:
        bell.close()
