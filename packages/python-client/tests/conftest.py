"""Fixtures: every test gets its own segment name, unlinked in teardown. Everything else
the tests share (names, paths, child processes) is in helpers.py."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from helpers import shm_path, unique_name
from shmstate import ShmStateNotFoundError, Store


@pytest.fixture
def name() -> Iterator[str]:
    segment_name = unique_name()
    yield segment_name
    with contextlib.suppress(ShmStateNotFoundError):  # the test may have unlinked it
        Store.unlink(segment_name)
    assert not shm_path(segment_name).exists()


@pytest.fixture
def store(name: str) -> Iterator[Store[Any]]:
    with Store.create(name, initial={"n": 0}) as created:
        yield created
