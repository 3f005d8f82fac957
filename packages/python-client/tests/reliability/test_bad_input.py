"""The bad-input table of docs/reliability.md, Python side: each row feeds one kind of bad
input to the public API and expects the documented stable code (``err.code``).
test/reliability/bad-input.test.ts is the Node side, the C tests named in the table the C
side."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import pytest

from helpers import continue_stalled_writer, poke, run_python, start_stalled_writer
from helpers import shm_path as path_of
from shmstate import ShmStateError, Store, _native

SLOT1_DATA = 4096 + 64 + 1024 + 64  # capacity 1024: slot 1 holds version 1


@pytest.fixture
def made(name: str):
    """A 1 KiB store under the test's name, closed at the end."""
    stores: list[Store] = []

    def make(initial=None) -> Store:
        store = Store.create(name, {"ok": True} if initial is None else initial, capacity=1024)
        stores.append(store)
        return store

    yield make
    for store in stores:
        store.close()


def bad_names(name, made):
    for bad in ["", "a/b", "../x", ".hidden", "x" * 201]:
        try:
            Store.open(bad)
        except ShmStateError as err:
            assert err.code == "E_NAME", bad
        else:
            raise AssertionError(f"opened {bad!r}")
    Store.open("a/b")


def absent(name, made):
    Store.open(name)


def taken(name, made):
    made()
    Store.create(name, {}, capacity=1024)


def foreign_bytes(name, made):
    path_of(name).write_bytes(b"\x5a" * 8192)
    os.chmod(path_of(name), 0o600)
    Store.open(name)


def shorter_than_header(name, made):
    path_of(name).write_bytes(b"SHMSTAT1 but nothing else")
    os.chmod(path_of(name), 0o600)
    Store.open(name)


def other_layout_version(name, made):
    made()
    poke(name, 8, bytes([1, 0, 0, 0]))  # layout_version: 1, an older shmstate's (this is 2)
    Store.open(name)


def truncated(name, made):
    made()
    os.truncate(path_of(name), 4096)
    Store.open(name)


def payload_flipped(name, made):
    made()
    poke(name, SLOT1_DATA, b"X")
    with Store.open(name) as reader:
        reader.get()


def non_json_committed(name, made):
    made()
    raw = _native.Segment.open(name)
    try:
        raw.commit(b'{"half": ')
    finally:
        raw.close()
    with Store.open(name) as reader:
        reader.get()


def world_writable(name, made):
    made()
    os.chmod(path_of(name), 0o666)
    Store.open(name)


def symlinked(name, made):
    made()
    link = f"{name}.lnk"
    os.symlink(path_of(name), path_of(link))
    try:
        Store.open_or_create(link, {}, capacity=1024)
    finally:
        path_of(link).unlink()


def too_big(name, made):
    made().set({"blob": "x" * 2000})


def capacity_too_small(name, made):
    Store.create(name, {}, capacity=10)


def nan(name, made):
    made().set({"x": math.nan})


def dialect(name, made):
    store = made()
    for bad in [{"x": {1, 2}}, {"x": b"bytes"}, {1: "int key"}, {"x": 2**53}]:
        try:
            store.set(bad)
        except ShmStateError as err:
            assert err.code == "E_ENCODE", bad
        else:
            raise AssertionError(f"accepted {bad!r}")
    store.set({"x": math.inf})


def stale_cas(name, made):
    store = made({"n": 0})
    with Store.open(name) as other:

        def bump(state):
            other.set({"n": 99})
            return {"n": state["n"] + 1}

        store.update(bump, max_retries=0)


def after_close(name, made):
    store = made()
    store.close()
    store.close()  # closing twice is fine
    store.get()


def lock_held(name, made):
    store = made({"n": 0})
    proc = start_stalled_writer(name, '{"n":1}')
    store.set_lock_timeout(0.2)
    try:
        store.set({"n": 2})
    finally:
        continue_stalled_writer(proc)
        proc.communicate(timeout=10)


def wait_timeout(name, made):
    store = made()
    store.wait_for(store.version + 1, timeout=0.05)


CHILD = (
    "import sys\n"
    "from shmstate import Store, ShmStateError\n"
    "try:\n"
    "    Store.create('nospc', {}, capacity=1 << 20).close(); print('created')\n"
    "except ShmStateError as err:\n"
    "    print(err.code)\n"
)


def full_tmpfs(name, made):
    result = run_python(
        CHILD,
        inside=[
            "unshare",
            "-m",
            "sh",
            "-c",
            'mount --make-rprivate / && mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "$@"',
            "sh",
        ],
    )
    if result.returncode != 0 and os.geteuid() != 0:
        pytest.skip(f"not run here: a private tmpfs needs root ({result.stderr.strip()})")
    code = result.stdout.strip()
    err = ShmStateError(f"the child in a 64 KiB tmpfs reported {code} {result.stderr}")
    err.code = code
    raise err


ROWS: list[tuple[str, str, Callable]] = [
    ("name: empty, path separator, too long", "E_NAME", bad_names),
    ("name: no such segment", "E_NOENT", absent),
    ("name: create of a taken name", "E_EXISTS", taken),
    ("foreign segment: random bytes under the name", "E_CORRUPT", foreign_bytes),
    ("foreign segment: shorter than a header", "E_CORRUPT", shorter_than_header),
    ("corrupt segment: another layout version", "E_VERSION", other_layout_version),
    ("corrupt segment: truncated by another process", "E_CORRUPT", truncated),
    ("corrupt segment: payload bytes flipped", "E_CORRUPT", payload_flipped),
    ("corrupt segment: a buggy writer committed non-JSON", "E_CORRUPT", non_json_committed),
    ("trust: world-writable segment", "E_PERM", world_writable),
    ("trust: symlink under the name", "E_PERM", symlinked),
    ("capacity: state larger than the capacity", "E_CAPACITY", too_big),
    ("capacity: capacity below the minimum", "E_INVALID", capacity_too_small),
    ("dialect: NaN", "E_ENCODE", nan),
    ("dialect: set, bytes, int key, int beyond 2^53-1, Infinity", "E_ENCODE", dialect),
    ("conflict: compare-and-set on a stale version", "E_CONFLICT", stale_cas),
    ("use after close", "E_CLOSED", after_close),
    ("lock timeout: a stalled writer holds the lock", "E_TIMEOUT", lock_held),
    ("wait timeout: no new version in time", "E_TIMEOUT", wait_timeout),
    ("no space: a full tmpfs at create", "E_NOSPC", full_tmpfs),
]


@pytest.mark.parametrize(("row", "code", "run"), ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_gives_the_documented_code(row, code, run, name, made):
    with pytest.raises(ShmStateError) as caught:
        run(name, made)
    assert caught.value.code == code, str(caught.value)
    assert str(caught.value), "every error explains itself"
