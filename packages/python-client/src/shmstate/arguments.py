"""Argument checks for the public API, worded alike in every language.

A bad argument is :class:`ShmStateInvalidError` (``E_INVALID``; also a ValueError and a
TypeError). The rules, shared with Node:

- The binding checks only what it needs to hand a value to the C core: the type (an
  ``int`` that is not a ``bool``, a ``str``) and that the value is representable (>= 0).
  Those failures read ``<argument> must be <kind>, got <value>``.
- Ranges are the core's to check, so their messages are the core's
  ("capacity is 10; it must be in [64, 1073741824]", "mode is 0666; world-writable
  segments are refused at open"). A value too large for the core's integer is worded the
  way the core words any value out of its range.
- Ranges only the binding knows (a start version above 2^53-1, a negative retry bound or
  timeout) read ``<argument> is <value>; it must be in [<min>, <max>]``, in the core's
  style.
"""

from __future__ import annotations

import math
from typing import NoReturn

from . import _native
from .codec import MAX_SAFE_INTEGER
from .errors import error_for

_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1
#: The longest lock timeout the core takes: 2^32-1 ms.
LOCK_TIMEOUT_MAX_S = _U32_MAX / 1000


def invalid(message: str) -> NoReturn:
    raise error_for("E_INVALID", message)


def must_be(argument: str, kind: str, value: object) -> NoReturn:
    """``<argument> must be <kind>, got <value>``: a value of the wrong type."""
    invalid(f"{argument} must be {kind}, got {value!r}")


def out_of_range(argument: str, value: object, low: object, high: object) -> NoReturn:
    """``<argument> is <value>; it must be in [<min>, <max>]``: a range the core does not
    check."""
    invalid(f"{argument} is {value}; it must be in [{low}, {high}]")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unsigned(argument: str, value: object) -> int:
    if not _is_int(value):
        must_be(argument, "an int", value)
    assert isinstance(value, int)
    if value < 0:
        must_be(argument, "an int >= 0", value)
    return value


def name(value: object) -> str:
    """A segment name: a str (the core checks its characters and length, E_NAME)."""
    if not isinstance(value, str):
        must_be("name", "a str", value)
    return value


def capacity(value: object) -> int:
    checked = _unsigned("capacity", value)
    if checked > _U64_MAX:  # beyond the core's integer: its own words for any such value
        invalid(
            f"capacity is {checked}; it must be in [{_native.CAPACITY_MIN}, {_native.CAPACITY_MAX}]"
        )
    return checked


def mode(value: object) -> int:
    checked = _unsigned("mode", value)
    if checked > _U32_MAX:  # beyond the core's integer: its own words for any such value
        invalid(f"mode is 0{checked:o}; only permission bits 0777 are allowed")
    return checked


def start_version(value: object) -> int:
    """The version a store starts at. 0 goes through to the core, which refuses it; above
    2^53-1 (the largest integer a JavaScript number holds exactly, so a Node reader sees
    the same version) is the binding's range."""
    checked = _unsigned("version", value)
    if checked > MAX_SAFE_INTEGER:
        out_of_range("version", checked, 1, MAX_SAFE_INTEGER)
    return checked


def json_text(value: object, argument: str) -> bytes:
    """JSON text handed over as it is (the bridge's mirror writes): a str, sent as UTF-8,
    or bytes. Whether it is JSON is the decoder's to say (E_CORRUPT); a lone surrogate in
    a str goes through as it is, so it is refused the same way."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes):
        return value
    must_be(argument, "JSON text (a str or bytes)", value)


def ring_option(value: object, argument: str) -> int:
    """``ring_entries`` or ``ring_patch_max``: None (the default ring, -1 for the binding)
    or an int >= 0 for the core to check."""
    if value is None:
        return -1
    return _unsigned(argument, value)


def expected_version(value: object) -> int | None:
    """The version a compare-and-set expects: None (any) or an int >= 0."""
    if value is None:
        return None
    return _unsigned("expected_version", value)


def flag(value: object, argument: str) -> bool:
    if not isinstance(value, bool):
        must_be(argument, "a bool", value)
    return value


def _trust_item(value: object) -> str:
    if value == "group":
        return "group"
    if _is_int(value) and 0 <= value < _U32_MAX:  # type: ignore[operator]
        return f"uid:{value}"
    invalid(f'trust items must be "group" or a uid (an int in [0, {_U32_MAX - 1}]), got {value!r}')


def trust(value: object) -> str | None:
    """The ``trust`` option in the core's grammar (include/shmstate.h, SHMSTATE_TRUST): a
    str as given (the core checks its syntax), ``"group"``, a uid, or a list of those; None
    leaves the choice to the environment variable SHMSTATE_TRUST."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join(_trust_item(item) for item in value)
    return _trust_item(value)


def group(value: object) -> str | None:
    """A group name or gid for create: text for the core, which resolves names."""
    if value is None:
        return None
    if isinstance(value, str) and value != "":
        return value
    if _is_int(value) and 0 <= value < _U32_MAX:  # type: ignore[operator]
        return str(value)
    must_be("group", f"a group name or a gid (an int in [0, {_U32_MAX - 1}])", value)


def version(value: object) -> int:
    """A version to compare with (wait_for): any int."""
    if not _is_int(value):
        must_be("version", "an int", value)
    assert isinstance(value, int)
    return value


def max_retries(value: object) -> int:
    if not _is_int(value):
        must_be("max_retries", "an int", value)
    assert isinstance(value, int)
    if not 0 <= value <= MAX_SAFE_INTEGER:
        out_of_range("max_retries", value, 0, MAX_SAFE_INTEGER)
    return value


def timeout(value: object, argument: str = "timeout") -> float | None:
    """Seconds, or None for no limit; infinity is no limit too."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        must_be(argument, "a number of seconds or None", value)
    seconds = float(value)
    if not seconds >= 0:  # negative or NaN
        out_of_range(argument, value, 0, "inf")
    return None if math.isinf(seconds) else seconds


def lock_timeout(value: object) -> int:
    """The writer-lock timeout in seconds, as the core's milliseconds (at most 2^32-1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        must_be("lock timeout", "a number of seconds", value)
    seconds = float(value)
    if not 0 <= seconds <= LOCK_TIMEOUT_MAX_S:
        out_of_range("lock timeout", value, 0, LOCK_TIMEOUT_MAX_S)
    return round(seconds * 1000)


def function(value: object, argument: str) -> None:
    if not callable(value):
        must_be(argument, "callable", value)
