"""The shmstate error classes: one per code of errors.def, each with a stable ``.code``.

Every failure, from the C core or from this package, is a :class:`ShmStateError`.
Where a standard exception means the same thing the class also derives from it, so
``except FileNotFoundError`` works for ``Store.open()`` of an absent name.
:data:`CLASS_FOR_CODE` is the one table mapping each code to its class (docs/errors.md).

Every class is named ``ShmState...Error`` (PEP 8). The names of earlier releases without
the suffix (``ShmStateClosed``, ``ShmStateTimeout``, ...) are aliases of the same classes,
so ``except ShmStateClosed`` still catches what is raised.
"""

from __future__ import annotations

from . import _native


class ShmStateError(Exception):
    """Base of every shmstate error. ``code`` is the stable string ("E_CAPACITY")."""

    code: str = "E_UNKNOWN"
    #: The operating-system errno behind the failure, 0 if none.
    sys_errno: int = 0


class ShmStateCapacityError(ShmStateError):
    code = "E_CAPACITY"


class ShmStateCorruptError(ShmStateError):
    code = "E_CORRUPT"


class ShmStateVersionError(ShmStateCorruptError):
    code = "E_VERSION"


class ShmStateConflictError(ShmStateError):
    code = "E_CONFLICT"


class ShmStateBusyError(ShmStateError):
    code = "E_BUSY"


class ShmStateTimeoutError(ShmStateError, TimeoutError):
    code = "E_TIMEOUT"


class ShmStateExistsError(ShmStateError, FileExistsError):
    code = "E_EXISTS"


class ShmStateNotFoundError(ShmStateError, FileNotFoundError):
    code = "E_NOENT"


class ShmStatePermissionError(ShmStateError, PermissionError):
    code = "E_PERM"


class ShmStateNameError(ShmStateError, ValueError):
    code = "E_NAME"


class ShmStateEncodeError(ShmStateError, ValueError):
    code = "E_ENCODE"


class ShmStateClosedError(ShmStateError):
    code = "E_CLOSED"


class ShmStateNoSpaceError(ShmStateError):
    code = "E_NOSPC"


class ShmStateInterruptedError(ShmStateError):
    code = "E_INTERRUPTED"


class ShmStateInvalidError(ShmStateError, ValueError, TypeError):
    """A bad argument: out of range, or of the wrong type. Also a ValueError and a
    TypeError, so code written against either keeps catching it."""

    code = "E_INVALID"


class ShmStateNoMemoryError(ShmStateError, MemoryError):
    code = "E_NOMEM"


class ShmStateLimitError(ShmStateError):
    code = "E_LIMIT"


class ShmStateSystemError(ShmStateError, OSError):
    code = "E_SYSTEM"


class ShmStatePatchError(ShmStateError, ValueError):
    code = "E_PATCH"


class ShmStateRetiredError(ShmStateError):
    """The store was unlinked (or its file removed): waits on it end, commits are refused;
    its last state stays readable. Open the name again to follow its replacement, or open
    with ``reopen=True``."""

    code = "E_RETIRED"


class ShmStateMirrorError(ShmStateError):
    """A local write to a mirror store: the message names the leader to write to."""

    code = "E_MIRROR"


# The names of earlier releases: the same classes.
ShmStateCorrupt = ShmStateCorruptError
ShmStateConflict = ShmStateConflictError
ShmStateBusy = ShmStateBusyError
ShmStateTimeout = ShmStateTimeoutError
ShmStateExists = ShmStateExistsError
ShmStateNotFound = ShmStateNotFoundError
ShmStatePermission = ShmStatePermissionError
ShmStateClosed = ShmStateClosedError
ShmStateNoSpace = ShmStateNoSpaceError
ShmStateInterrupted = ShmStateInterruptedError
ShmStateInvalid = ShmStateInvalidError
ShmStateNoMemory = ShmStateNoMemoryError
ShmStateLimit = ShmStateLimitError

#: Every error code of errors.def and the class raised for it.
CLASS_FOR_CODE: dict[str, type[ShmStateError]] = {
    cls.code: cls
    for cls in (
        ShmStateCapacityError,
        ShmStateCorruptError,
        ShmStateConflictError,
        ShmStateBusyError,
        ShmStateTimeoutError,
        ShmStateExistsError,
        ShmStateNotFoundError,
        ShmStatePermissionError,
        ShmStateNameError,
        ShmStateEncodeError,
        ShmStateClosedError,
        ShmStateVersionError,
        ShmStateNoSpaceError,
        ShmStateInterruptedError,
        ShmStateInvalidError,
        ShmStateNoMemoryError,
        ShmStateLimitError,
        ShmStateSystemError,
        ShmStatePatchError,
        ShmStateRetiredError,
        ShmStateMirrorError,
    )
}


def error_codes() -> list[str]:
    """Every error code of errors.def, in its order (compiled into the extension)."""
    return _native.codes()


def code_meaning(code: str) -> str:
    """The one-line meaning of a code, from errors.def."""
    return _native.code_meaning(code)


def error_for(code: str, message: str, sys_errno: int = 0) -> ShmStateError:
    """Builds the exception for ``code``; the message ends with the code, as in every
    language: "state is 70000 bytes; capacity is 65536 (E_CAPACITY)"."""
    cls = CLASS_FOR_CODE.get(code, ShmStateError)
    suffix = f"({code})"
    if not message.endswith(suffix):
        message = f"{message} {suffix}"
    error = cls(message)
    error.code = code
    if sys_errno:
        error.sys_errno = sys_errno
        if isinstance(error, OSError):
            error.errno = sys_errno
    return error


# The extension raises these classes: hand it the factory once, at import.
_native._set_error_factory(error_for)
