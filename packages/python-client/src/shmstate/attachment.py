"""Who is attached to a store: one entry of its attach table (docs/protocol.md, "The
attach table"), as :meth:`Store.attached` returns it. The same fields as Node's
``attached()``, in snake_case, with ``start_time`` in seconds like :func:`time.time`.

>>> live = [a for a in store.attached() if a.alive and not a.self]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from . import _native

Role = Literal["writer", "subscriber", "reader", "unknown"]
Language = Literal["c", "node", "python", "other", "unknown"]

# The core's numbers (shmstate.h shmstate_role, shmstate_language); anything else is a
# damaged entry, reported as "unknown" rather than trusted.
_ROLES: dict[int, Role] = {1: "writer", 2: "subscriber", 3: "reader"}
_LANGUAGES: dict[int, Language] = {1: "c", 2: "node", 3: "python", 4: "other"}


@dataclass(frozen=True)
class Attachment:
    """One attached handle of some process."""

    #: ``writer`` once the handle committed, ``subscriber`` once it waited or watched,
    #: else ``reader``.
    role: Role
    language: Language
    #: The process id in the attacher's own PID namespace: for display, never liveness.
    pid: int
    #: When it attached, in seconds since the epoch.
    start_time: float
    #: Its kernel lock is held: the process runs and has the handle open. False: it
    #: exited or was killed without closing.
    alive: bool
    #: The entry of the handle this list was asked from.
    self: bool
    #: The entry's index in the table.
    index: int


def attachments(segment: _native.Segment) -> list[Attachment]:
    """The segment's attach table, as :class:`Attachment` values."""
    return [
        Attachment(
            role=_ROLES.get(role, "unknown"),
            language=_LANGUAGES.get(language, "unknown"),
            pid=pid,
            start_time=start_ns / 1e9,
            alive=alive,
            self=is_self,
            index=index,
        )
        for index, role, language, pid, start_ns, alive, is_self in segment.attached()
    ]
