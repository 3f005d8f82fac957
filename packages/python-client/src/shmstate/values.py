"""The values readers get back: every one carries the version it belongs to and the id of
the store it was read from.

``store_id`` sits beside the tuple, not in it: a Snapshot still unpacks as ``version,
state`` and compares equal to ``(version, state)``, a Change as ``version, state,
missed``, so the id added in layout 2 breaks no unpacking and no comparison.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# tuple.__new__ straight, not the fields class's generated __new__: one Python call less
# on every snapshot() and every change.
_tuple_new = tuple.__new__


class _SnapshotFields(NamedTuple):
    version: int
    state: Any


class _ChangeFields(NamedTuple):
    version: int
    state: Any
    missed: int


class Snapshot(_SnapshotFields):
    """A committed state and its version. ``store_id`` names the store it was read from:
    16 lowercase hex digits (see Store.store_id); "" when made by hand without one."""

    #: Read from the instance; this class default serves copies made by ``_make``.
    store_id: str = ""

    def __new__(cls, version: int, state: Any, store_id: str = "") -> Snapshot:
        self = _tuple_new(cls, (version, state))
        self.store_id = store_id
        return self

    def _replace(self, **changes: Any) -> Snapshot:
        store_id = changes.pop("store_id", self.store_id)
        return type(self)(*super()._replace(**changes), store_id)

    def __repr__(self) -> str:
        return (
            f"Snapshot(version={self.version!r}, state={self.state!r}, store_id={self.store_id!r})"
        )


class Change(_ChangeFields):
    """A new state seen by a watcher. ``missed`` counts the versions after the previous
    change this watcher saw and before this one: versions it skipped under load (latest
    wins), or versions never committed because a mirror jumped ahead (a raw commit at a
    given version). ``store_id`` is as in Snapshot."""

    #: Read from the instance; this class default serves copies made by ``_make``.
    store_id: str = ""

    def __new__(cls, version: int, state: Any, missed: int, store_id: str = "") -> Change:
        self = _tuple_new(cls, (version, state, missed))
        self.store_id = store_id
        return self

    def _replace(self, **changes: Any) -> Change:
        store_id = changes.pop("store_id", self.store_id)
        return type(self)(*super()._replace(**changes), store_id)

    def __repr__(self) -> str:
        return (
            f"Change(version={self.version!r}, state={self.state!r}, "
            f"missed={self.missed!r}, store_id={self.store_id!r})"
        )
