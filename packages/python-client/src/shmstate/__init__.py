"""shmstate: live JSON state shared between processes through POSIX shared memory.

>>> from shmstate import Store
>>> with Store.create("robot", initial={"x": 0}) as store:   # doctest: +SKIP
...     store.update(lambda s: {**s, "x": s["x"] + 1})
2
"""

from __future__ import annotations

from .aio import Changes
from .codec import MAX_DEPTH, MAX_SAFE_INTEGER, decode, encode
from .errors import (
    CLASS_FOR_CODE,
    ShmStateBusy,
    ShmStateCapacityError,
    ShmStateClosed,
    ShmStateConflict,
    ShmStateCorrupt,
    ShmStateEncodeError,
    ShmStateError,
    ShmStateExists,
    ShmStateInterrupted,
    ShmStateInvalid,
    ShmStateLimit,
    ShmStateNameError,
    ShmStateNoMemory,
    ShmStateNoSpace,
    ShmStateNotFound,
    ShmStatePermission,
    ShmStateSystemError,
    ShmStateTimeout,
    ShmStateVersionError,
    code_meaning,
    error_codes,
)
from .store import DEFAULT_CAPACITY, DEFAULT_MAX_RETRIES, Store
from .subscription import Subscription
from .values import Change, Snapshot

__version__ = "0.1.0"

__all__ = [
    "CLASS_FOR_CODE",
    "DEFAULT_CAPACITY",
    "DEFAULT_MAX_RETRIES",
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "Change",
    "Changes",
    "ShmStateBusy",
    "ShmStateCapacityError",
    "ShmStateClosed",
    "ShmStateConflict",
    "ShmStateCorrupt",
    "ShmStateEncodeError",
    "ShmStateError",
    "ShmStateExists",
    "ShmStateInterrupted",
    "ShmStateInvalid",
    "ShmStateLimit",
    "ShmStateNameError",
    "ShmStateNoMemory",
    "ShmStateNoSpace",
    "ShmStateNotFound",
    "ShmStatePermission",
    "ShmStateSystemError",
    "ShmStateTimeout",
    "ShmStateVersionError",
    "Snapshot",
    "Store",
    "Subscription",
    "__version__",
    "code_meaning",
    "decode",
    "encode",
    "error_codes",
]
