"""Looking at stores without becoming one of their users: every store on the host (the
``shmstate.<name>`` files of /dev/shm), and one store's header, statistics, attach table,
doorbells and lock, read through ``Segment.inspect`` (which does not attach). The orphan
rule lives here, shared by ``ls`` and ``doctor``. A self-cleaning store that no live process
is attached to is removed by the look itself (the core's open removes it, whoever opens it):
``Look.removed`` says so."""

from __future__ import annotations

import os
import pwd
import stat
import time
from dataclasses import dataclass, field
from typing import Any

from .. import _native
from ..attachment import Attachment, attachments
from ..errors import ShmStateError, ShmStateNotFoundError

SHM_DIR = "/dev/shm"
PREFIX = "shmstate."
UNTRACKED = 1  # the header's flags bit 0 (docs/protocol.md, "flags")
SELF_CLEANING = 2  # bit 1: removed once no live process is attached
RETIRED = 4  # bit 2: the name was unlinked; an open removes a retired store left behind
MIRROR = 8  # bit 3: a mirror the bridge keeps on a leader's versions (docs/bridge.md)


@dataclass
class Look:
    """What one look at a store found. ``error`` is set when it could not be read (another
    user's, corrupt, removed meanwhile): the file's facts are still there."""

    name: str
    uid: int = -1
    owner: str = ""
    mode: int = 0
    bytes_in_shm: int = 0  # the memory the file holds in /dev/shm (its blocks)
    mtime: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    attached: list[Attachment] = field(default_factory=list)
    health: dict[str, Any] = field(default_factory=dict)
    doorbells: list[dict[str, Any]] = field(default_factory=list)
    error: ShmStateError | None = None
    removed: bool = False  # a self-cleaning store nobody alive was attached to: now gone
    #: Why the look removed it: "self-cleaning, no live attached process", or "retired"
    #: (its unlinker set the flag and did not remove the name).
    removed_why: str = ""

    @property
    def live(self) -> int:
        return sum(1 for a in self.attached if a.alive)

    @property
    def dead(self) -> int:
        return sum(1 for a in self.attached if not a.alive)

    @property
    def last_commit(self) -> float:
        """Seconds since the epoch; the file's mtime for a store made by a build that did
        not record it (tmpfs does not update mtime for writes through a mapping)."""
        ns = self.stats.get("last_commit_ns", 0)
        return ns / 1e9 if ns else self.mtime

    def orphaned(self, idle: float, now: float | None = None) -> bool:
        """No live attached process, no untracked user, and no commit for ``idle`` seconds.
        A store that cannot be read is never called orphaned."""
        if self.error is not None or not self.stats:
            return False
        if self.stats["flags"] & UNTRACKED or self.live:
            return False
        return (now if now is not None else time.time()) - self.last_commit >= idle


def names() -> list[str]:
    """The names of the host's stores, sorted."""
    try:
        entries = os.listdir(SHM_DIR)
    except FileNotFoundError:
        return []
    return sorted(
        e[len(PREFIX) :] for e in entries if e.startswith(PREFIX) and len(e) > len(PREFIX)
    )


def look(name: str, removed_ok: bool = False) -> Look:
    """One store, opened without attaching. Raises only for a name that does not exist,
    or (unless ``removed_ok``) a self-cleaning store the look removed."""
    found = Look(name)
    try:
        st = os.stat(os.path.join(SHM_DIR, PREFIX + name), follow_symlinks=False)
    except FileNotFoundError:
        seg = _native.Segment.inspect(name)  # raises the library's E_NOENT or E_NAME
        seg.close()
        raise
    found.uid, found.mode = st.st_uid, stat.S_IMODE(st.st_mode)
    found.bytes_in_shm, found.mtime = st.st_blocks * 512, st.st_mtime
    try:
        found.owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        found.owner = str(st.st_uid)
    try:
        seg = _native.Segment.inspect(name)
    except ShmStateNotFoundError as error:
        message = str(error)
        if not removed_ok or ("self-cleaning" not in message and "retired" not in message):
            raise  # removed between the stat and the open, or the caller wants the error
        found.removed = True
        found.removed_why = (
            "self-cleaning, no live attached process"
            if "self-cleaning" in message
            else "retired (unlinked), left under its name"
        )
        return found
    except ShmStateError as error:
        found.error = error
        return found
    try:
        found.stats = seg.stats()
        found.attached = attachments(seg)
        found.health = seg.health()
        found.doorbells = [
            {
                "index": index,
                "state": "armed" if state == 2 else "disarmed",
                "pid": pid,
                "socket": "path" if path else "abstract",
                "rings": rings,
            }
            for index, state, pid, path, rings in seg.doorbells()
        ]
    except ShmStateError as error:
        found.error = error
    finally:
        seg.close()
    return found
