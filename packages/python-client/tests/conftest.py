"""Fixtures: every test gets its own segment name, unlinked in teardown."""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shmstate import ShmStateNotFound, Store, _native

WORKERS = Path(__file__).parent / "workers"
_counter = itertools.count()


def unique_name() -> str:
    return f"pytest-{os.getpid()}-{next(_counter)}-{secrets.token_hex(4)}"


def shm_path(name: str) -> Path:
    return Path("/dev/shm") / f"shmstate.{name}"


@pytest.fixture
def name() -> Iterator[str]:
    segment_name = unique_name()
    yield segment_name
    with contextlib.suppress(ShmStateNotFound):  # the test may have unlinked it
        Store.unlink(segment_name)
    assert not shm_path(segment_name).exists()


@pytest.fixture
def store(name: str) -> Iterator[Store]:
    with Store.create(name, initial={"n": 0}) as created:
        yield created


def start_worker(script: str, *args: str) -> subprocess.Popen[str]:
    """Runs tests/workers/<script> in a fresh interpreter (the same one pytest runs)."""
    return subprocess.Popen(
        [sys.executable, str(WORKERS / script), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def commit_at_later(name: str, version: int, data: bytes, delay: float = 0.05) -> threading.Thread:
    """After ``delay`` seconds, commits ``data`` as exactly ``version`` through a raw segment
    of its own, as a mirror jumping ahead would; join the returned thread."""

    def run() -> None:
        time.sleep(delay)
        segment = _native.Segment.open(name)
        try:
            segment.commit(data, version=version)
        finally:
            segment.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
