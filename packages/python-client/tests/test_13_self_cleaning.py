"""Self-cleaning stores (``self_cleaning=True``): the store is removed when the last
attached process closes it; when every attached process was killed (SIGKILL), the next
open of its name raises E_NOENT and removes it (open_or_create makes a fresh one), and so
do ``shmstate ls`` and ``shmstate doctor``. A live attached process keeps it; a default
store stays after the last close."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import pytest

from helpers import shm_path
from shmstate import ShmStateInvalidError, ShmStateNotFoundError, Store

SELF_CLEANING = 2  # the header's flags bit 1


def holder(name: str) -> subprocess.Popen[str]:
    """A process that opens the store, prints 'ready', then waits to be killed."""
    code = (
        "import time\nfrom shmstate import Store\n"
        f"s = Store.open({name!r})\nprint('ready', flush=True)\ntime.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def orphan(name: str) -> None:
    """A self-cleaning store whose one attached process was SIGKILLed."""
    Store.create(name, {"n": 1}, self_cleaning=True).close()  # removed: its last user left
    assert not shm_path(name).exists()
    creator = Store.create(name, {"n": 1}, self_cleaning=True)
    proc = holder(name)
    creator.close()
    assert shm_path(name).exists(), "the holder keeps it"
    kill(proc)
    assert shm_path(name).exists(), "nobody has looked yet"


def test_the_flag_is_in_the_header(name: str) -> None:
    with Store.create(name, self_cleaning=True) as store:
        assert store.stats()["flags"] & SELF_CLEANING
        with Store.open(name) as again:
            assert again.stats()["flags"] & SELF_CLEANING


def test_the_last_close_removes_the_store(name: str) -> None:
    first = Store.create(name, {"a": 1}, self_cleaning=True)
    second = Store.open(name)
    first.close()
    assert shm_path(name).exists()
    assert second.get() == {"a": 1}
    second.close()
    assert not shm_path(name).exists()


def test_a_default_store_stays_after_the_last_close(name: str) -> None:
    Store.create(name).close()
    assert shm_path(name).exists()


def test_open_after_everyone_was_killed_is_e_noent_and_removes_it(name: str) -> None:
    orphan(name)
    with pytest.raises(ShmStateNotFoundError, match="self-cleaning"):
        Store.open(name)
    assert not shm_path(name).exists()


def test_open_or_create_makes_a_fresh_store(name: str) -> None:
    orphan(name)
    with Store.open_or_create(name, {"fresh": True}) as store:
        assert store.created
        assert store.get() == {"fresh": True}


def test_a_live_holder_keeps_the_store(name: str) -> None:
    creator = Store.create(name, self_cleaning=True)
    proc = holder(name)
    creator.close()
    try:
        with Store.open(name) as store:
            assert store.get() == {}
        assert shm_path(name).exists()
    finally:
        kill(proc)


@pytest.mark.parametrize("command", [["ls"], ["doctor"]])
def test_ls_and_doctor_remove_it(name: str, command: list[str]) -> None:
    orphan(name)
    done = subprocess.run(
        [sys.executable, "-m", "shmstate", *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert f"removed {name}" in done.stdout + done.stderr
    assert not shm_path(name).exists()


@pytest.mark.parametrize("value", [1, "yes", None])
def test_self_cleaning_must_be_a_bool(name: str, value: Any) -> None:
    with pytest.raises(ShmStateInvalidError, match="self_cleaning"):
        Store.create(name, self_cleaning=value)
    assert not shm_path(name).exists()
