"""shmstate: live JSON state shared between processes through POSIX shared memory.

>>> from shmstate import Store
>>> with Store.create("robot", initial={"x": 0}) as store:   # doctest: +SKIP
...     store.update(lambda s: {**s, "x": s["x"] + 1})
2
"""

from __future__ import annotations

from .aio import Changes, NotifyMechanism
from .attachment import Attachment
from .codec import MAX_DEPTH, MAX_SAFE_INTEGER, decode, encode
from .errors import (
    CLASS_FOR_CODE,
    ShmStateBusy,
    ShmStateBusyError,
    ShmStateCapacityError,
    ShmStateClosed,
    ShmStateClosedError,
    ShmStateConflict,
    ShmStateConflictError,
    ShmStateCorrupt,
    ShmStateCorruptError,
    ShmStateEncodeError,
    ShmStateError,
    ShmStateExists,
    ShmStateExistsError,
    ShmStateInterrupted,
    ShmStateInterruptedError,
    ShmStateInvalid,
    ShmStateInvalidError,
    ShmStateLimit,
    ShmStateLimitError,
    ShmStateMirrorError,
    ShmStateNameError,
    ShmStateNoMemory,
    ShmStateNoMemoryError,
    ShmStateNoSpace,
    ShmStateNoSpaceError,
    ShmStateNotFound,
    ShmStateNotFoundError,
    ShmStatePatchError,
    ShmStatePermission,
    ShmStatePermissionError,
    ShmStateRetiredError,
    ShmStateSystemError,
    ShmStateTimeout,
    ShmStateTimeoutError,
    ShmStateVersionError,
    code_meaning,
    error_codes,
)
from .store import DEFAULT_CAPACITY, DEFAULT_MAX_RETRIES, Store
from .subscription import Subscription
from .values import Change, Snapshot, StoreStats

__version__ = "0.1.0"

__all__ = [
    "CLASS_FOR_CODE",
    "DEFAULT_CAPACITY",
    "DEFAULT_MAX_RETRIES",
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "Attachment",
    "Change",
    "Changes",
    "NotifyMechanism",
    "ShmStateBusy",
    "ShmStateBusyError",
    "ShmStateCapacityError",
    "ShmStateClosed",
    "ShmStateClosedError",
    "ShmStateConflict",
    "ShmStateConflictError",
    "ShmStateCorrupt",
    "ShmStateCorruptError",
    "ShmStateEncodeError",
    "ShmStateError",
    "ShmStateExists",
    "ShmStateExistsError",
    "ShmStateInterrupted",
    "ShmStateInterruptedError",
    "ShmStateInvalid",
    "ShmStateInvalidError",
    "ShmStateLimit",
    "ShmStateLimitError",
    "ShmStateMirrorError",
    "ShmStateNameError",
    "ShmStateNoMemory",
    "ShmStateNoMemoryError",
    "ShmStateNoSpace",
    "ShmStateNoSpaceError",
    "ShmStateNotFound",
    "ShmStateNotFoundError",
    "ShmStatePatchError",
    "ShmStatePermission",
    "ShmStatePermissionError",
    "ShmStateRetiredError",
    "ShmStateSystemError",
    "ShmStateTimeout",
    "ShmStateTimeoutError",
    "ShmStateVersionError",
    "Snapshot",
    "Store",
    "StoreStats",
    "Subscription",
    "__version__",
    "code_meaning",
    "decode",
    "encode",
    "error_codes",
]
