"""The out-of-descriptors row of the bad-input table (docs/reliability.md), Python side: a
forked child lowers RLIMIT_NOFILE to 64 and opens files until EMFILE, then Store.open and
Store.create raise ShmStateLimit (E_LIMIT) with the system's reason and leave nothing
behind; with its descriptors back it opens stores until they are used up again (each open
handle holds one descriptor, its attach entry's lock), and that open is a clean E_LIMIT.
test_exhaustion.c is the C side, no-descriptors.test.ts the Node side."""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Any

import pytest

from helpers import limit_descriptors, run_in_child
from helpers import shm_path as path_of
from shmstate import ShmStateError, ShmStateLimit, Store

LIMIT = 64
HANDLES = 1000


def attempt(fn) -> dict[str, Any]:
    try:
        fn().close()
    except ShmStateError as err:
        return {"code": err.code, "cls": type(err).__name__, "message": str(err)}
    return {"code": "ok"}


@pytest.fixture
def fresh(name: str):
    """A second name, for the create that must fail; removed if it did not."""
    other = f"{name}-new"
    yield other
    path_of(other).unlink(missing_ok=True)


def test_no_descriptor_left_is_e_limit_for_open_and_create(name, fresh):
    store = Store.create(name, {"n": 1}, capacity=1024)

    def exhaust_then_open() -> dict[str, Any]:
        held: list[int] = []
        exhausted = ""
        try:
            while True:
                held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as err:
            exhausted = errno.errorcode[err.errno]
        report = {
            "exhausted": exhausted,
            "held": len(held),
            "open": attempt(lambda: Store.open(name)),
            "create": attempt(lambda: Store.create(fresh, {}, capacity=64)),
        }
        for fd in held:
            os.close(fd)
        opened = 0
        with contextlib.ExitStack() as stack:
            try:
                for _ in range(HANDLES):
                    stack.enter_context(Store.open(name))
                    opened += 1
            except ShmStateError as err:
                report["stopped"] = {"code": err.code, "message": str(err)}
        report["opened"] = opened
        report["again"] = attempt(lambda: Store.open(name))
        return report

    try:
        report = run_in_child(lambda: limit_descriptors(LIMIT), exhaust_then_open)
        assert report["code"] == "ok", report
        assert report["exhausted"] == "EMFILE", "the child used up its descriptors"
        assert 0 < report["held"] < LIMIT
        for what in ("open", "create"):
            failed = report[what]
            assert failed["code"] == "E_LIMIT", (what, failed)
            assert failed["cls"] == ShmStateLimit.__name__, (what, failed)
            assert "Too many open files" in failed["message"], (what, failed)
        assert name in report["open"]["message"]
        assert not path_of(fresh).exists(), "the failed create left no file"
        # One descriptor per open handle (its attach entry's lock): about as many handles as
        # the limit leaves free, then a clean E_LIMIT, and opens work again once they close.
        assert LIMIT // 2 < report["opened"] < LIMIT, report["opened"]
        assert report["stopped"]["code"] == "E_LIMIT", report["stopped"]
        assert report["again"] == {"code": "ok"}
        assert store.snapshot() == (1, {"n": 1})
    finally:
        store.close()
