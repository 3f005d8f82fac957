"""The values readers get back: every one carries the version it belongs to and the id of
the store it was read from.

``store_id`` sits beside the tuple, not in it: a Snapshot still unpacks as ``version,
state`` and compares equal to ``(version, state)``, a Change as ``version, state,
missed``, so the id added in layout 2 breaks no unpacking and no comparison. A Change's
``patches`` sits beside the tuple the same way.

Both are generic in the state's type (``Snapshot[Robot]``, ``Change[Robot]``). A generic
NamedTuple needs Python 3.11 at run time, so on 3.10 the fields class is a plain
NamedTuple with ``Generic`` mixed in below it; type checkers see the generic one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypedDict, TypeVar

T = TypeVar("T")

# tuple.__new__ straight, not the fields class's generated __new__: one Python call less
# on every snapshot() and every change.
_tuple_new = tuple.__new__

if TYPE_CHECKING:

    class _SnapshotFields(NamedTuple, Generic[T]):
        version: int
        state: T

    class _ChangeFields(NamedTuple, Generic[T]):
        version: int
        state: T
        missed: int

else:

    class _SnapshotTuple(NamedTuple):
        version: int
        state: Any

    class _ChangeTuple(NamedTuple):
        version: int
        state: Any
        missed: int

    class _SnapshotFields(_SnapshotTuple, Generic[T]):
        __slots__ = ()

    class _ChangeFields(_ChangeTuple, Generic[T]):
        __slots__ = ()


class Snapshot(_SnapshotFields[T]):
    """A committed state and its version. ``store_id`` names the store it was read from:
    16 lowercase hex digits (see Store.store_id); "" when made by hand without one."""

    #: Read from the instance; this class default serves copies made by ``_make``.
    store_id: str = ""

    def __new__(cls, version: int, state: T, store_id: str = "") -> Snapshot[T]:
        self = _tuple_new(cls, (version, state))
        self.store_id = store_id
        return self

    def _replace(self, **changes: Any) -> Snapshot[T]:
        store_id = changes.pop("store_id", self.store_id)
        version, state = super()._replace(**changes)
        return type(self)(version, state, store_id)

    def __repr__(self) -> str:
        return (
            f"Snapshot(version={self.version!r}, state={self.state!r}, store_id={self.store_id!r})"
        )


class Change(_ChangeFields[T]):
    """A new state seen by a watcher. ``missed`` counts the versions after the previous
    change this watcher saw and before this one: versions it skipped under load (latest
    wins), versions it lost by falling further behind than the patch ring reaches (with
    ``every``), or versions never committed because a mirror jumped ahead (a raw commit at
    a given version). ``store_id`` is as in Snapshot.

    ``patches`` says what changed: the RFC 6902 ops (read-only dicts) that take the state
    of the previous change this watcher saw to this one, or None when this change replaces
    the state wholesale (the first change, a fall-back to a full read, a store without a
    patch ring)."""

    #: Read from the instance; these class defaults serve copies made by ``_make``.
    store_id: str = ""
    patches: list[dict[str, Any]] | None = None
    #: True on the first change after the store was replaced (its name unlinked and
    #: created again) and a store opened with ``reopen=True`` followed it: versions start
    #: again, ``missed`` counts the new store's versions before this one, ``patches`` is
    #: None and ``store_id`` is the new store's.
    replaced: bool = False

    def __new__(
        cls,
        version: int,
        state: T,
        missed: int,
        store_id: str = "",
        patches: list[dict[str, Any]] | None = None,
        replaced: bool = False,
    ) -> Change[T]:
        self = _tuple_new(cls, (version, state, missed))
        self.store_id = store_id
        self.patches = patches
        self.replaced = replaced
        return self

    def _replace(self, **changes: Any) -> Change[T]:
        store_id = changes.pop("store_id", self.store_id)
        patches = changes.pop("patches", self.patches)
        replaced = changes.pop("replaced", self.replaced)
        version, state, missed = super()._replace(**changes)
        return type(self)(version, state, missed, store_id, patches, replaced)

    def __repr__(self) -> str:
        return (
            f"Change(version={self.version!r}, state={self.state!r}, "
            f"missed={self.missed!r}, store_id={self.store_id!r}, patches={self.patches!r}, "
            f"replaced={self.replaced!r})"
        )


class StoreStats(TypedDict):
    """``Store.stats()``: the same fields as Node's ``stats()``, in snake_case."""

    #: The published version.
    version: int
    #: Largest encoded state in bytes.
    capacity: int
    #: Successful commits, the initial state included.
    commits: int
    #: Compare-and-set commits refused with E_CONFLICT.
    conflicts: int
    #: Writer locks recovered from a process that died holding them.
    lock_recoveries: int
    #: Threads (all processes) blocked in a wait right now.
    waiters: int
    #: The segment's layout version (2).
    layout_version: int
    #: Doorbell entries registered (event-loop subscribers, all processes).
    doorbells: int
    #: Doorbell entries freed after their subscriber died without unregistering.
    doorbell_reclaims: int
    #: The store id, 16 lowercase hex digits (as ``Store.store_id``).
    store_id: str
    #: The header's flags word: bit 0 untracked, bit 1 self-cleaning, bit 3 mirror.
    flags: int
    #: The version of the full state in the segment: the last checkpoint with a patch
    #: ring, the published version (or one below it mid-commit) without.
    checkpoint_version: int
    #: Patches the ring holds; 0 when the store has no ring.
    ring_entries: int
    #: The largest patch a ring entry holds, in bytes; 0 without a ring.
    ring_patch_max: int
    #: Bytes of the patches committed since the checkpoint (writer-side).
    ring_patch_bytes: int
    #: When the last commit happened, in nanoseconds since the epoch (0: the store was
    #: made by a version that did not record it).
    last_commit_ns: int
    #: True for a mirror store (header flag bit 3): the bridge keeps it on the leader's
    #: versions and local writes are refused with E_MIRROR.
    mirror: bool
    #: A mirror's leader, as the bridge described it (where, which bucket and key, which
    #: leader store id); None for a store that is not a mirror.
    leader: str | None
