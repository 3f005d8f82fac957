"""The second-uid rows of the bad-input table (docs/reliability.md), Python side, with a
real second user: a forked child switches to uid/gid 65534 ("nobody") with setresuid
after importing shmstate. A 0600 segment is E_PERM for that user; a name that user
created first, or a symlink that user planted, is E_PERM for root's open and
open_or_create, whose message names the owner, and is never attached to (the file stays
as it was). Switching users needs root: elsewhere each test says "not run here: needs
root" on the terminal. test_permissions.c is the C side, second-uid.test.ts the Node
side."""

from __future__ import annotations

import os
import stat

import pytest

from helpers import OTHER_UID, become_other_user, run_in_child
from helpers import shm_path as path_of
from shmstate import ShmStateError, ShmStatePermission, Store


@pytest.fixture
def as_root(capsys) -> bool:
    """True when this process can switch users; otherwise says on the terminal why the
    test does not run (a pass that only happens when not root)."""
    if os.geteuid() == 0:
        return True
    with capsys.disabled():
        print(f"\n    not run here: needs root to switch to uid {OTHER_UID} (uid {os.geteuid()})")
    return False


def as_other_user(fn):
    return run_in_child(become_other_user, fn)


def refused_naming_owner(name: str, fn) -> None:
    with pytest.raises(ShmStatePermission) as caught:
        fn()
    message = str(caught.value)
    assert caught.value.code == "E_PERM", message
    assert f"owned by uid {OTHER_UID}" in message and name in message, message


def test_a_0600_segment_is_e_perm_for_another_user(name, as_root):
    if not as_root:
        return
    with Store.create(name, {"secret": 1}, capacity=1024) as store:
        assert stat.S_IMODE(path_of(name).stat().st_mode) == 0o600

        def open_it():
            Store.open(name).close()
            return {}

        def open_or_create_it():
            Store.open_or_create(name, {}, capacity=1024).close()
            return {}

        def create_it():
            Store.create(name, {}, capacity=1024).close()
            return {}

        opened = as_other_user(open_it)
        assert opened["uid"] == OTHER_UID
        assert opened["code"] == "E_PERM" and name in opened["message"], opened
        assert as_other_user(open_or_create_it)["code"] == "E_PERM"
        assert as_other_user(create_it)["code"] == "E_EXISTS"
        assert store.snapshot() == (1, {"secret": 1})
        assert store.stats()["commits"] == 1, "nobody else committed"


def test_a_name_another_user_created_first_is_e_perm_naming_the_owner(name, as_root):
    if not as_root:
        return

    def squat():
        # 0644: readable by everyone, so only shmstate's owner check can refuse it to root.
        Store.create(name, {"squatter": True}, capacity=64, mode=0o644).close()
        return {}

    squatted = as_other_user(squat)
    assert squatted == {"code": "ok", "uid": OTHER_UID}
    path = path_of(name)
    before = path.read_bytes()
    assert path.stat().st_uid == OTHER_UID
    assert stat.S_IMODE(path.stat().st_mode) == 0o644

    refused_naming_owner(name, lambda: Store.open(name))
    refused_naming_owner(name, lambda: Store.open_or_create(name, {"mine": True}, capacity=1024))
    with pytest.raises(ShmStateError) as taken:
        Store.create(name, {}, capacity=1024)
    assert taken.value.code == "E_EXISTS"

    assert path.stat().st_uid == OTHER_UID, "still the squatter's file"
    assert path.read_bytes() == before, "not one byte of the squatted segment changed"


def test_a_symlink_another_user_planted_is_e_perm(name, as_root):
    if not as_root:
        return
    link = f"{name}.planted"
    with Store.create(name, {"n": 1}, capacity=1024) as store:

        def plant():
            os.symlink(path_of(name), path_of(link))
            return {}

        try:
            assert as_other_user(plant)["code"] == "ok"
            assert path_of(link).is_symlink() and path_of(link).lstat().st_uid == OTHER_UID
            for attempt in (
                lambda: Store.open(link),
                lambda: Store.open_or_create(link, {}, capacity=1024),
            ):
                with pytest.raises(ShmStatePermission) as caught:
                    attempt()
                assert caught.value.code == "E_PERM", str(caught.value)
        finally:
            path_of(link).unlink(missing_ok=True)
        assert store.snapshot() == (1, {"n": 1})
