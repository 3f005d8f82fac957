"""The values readers get back: every one carries the version it belongs to."""

from __future__ import annotations

from typing import Any, NamedTuple


class Snapshot(NamedTuple):
    """A committed state and its version (versions start at 1 and grow by 1 per commit)."""

    version: int
    state: Any


class Change(NamedTuple):
    """A new state seen by a watcher. ``missed`` counts the versions committed since the
    previous change this watcher saw that it skipped (latest wins under load)."""

    version: int
    state: Any
    missed: int
