"""The shmstate JSON dialect (DESIGN section 4), Python side.

A state is UTF-8 JSON text of: None, bools, finite floats, ints within +-(2^53-1), str,
lists/tuples (tuples become arrays) and dicts with str keys, nested at most
:data:`MAX_DEPTH` containers deep. Anything else is refused before any byte is written,
with :class:`ShmStateEncodeError` naming the path: ``state.a[3].b is NaN (E_ENCODE)``.
Whatever one language writes, every other reads.

For speed, a state of plain built-in types (dicts with str keys, lists, tuples, str,
ints, floats, bools, None) is encoded in one pass by the extension's ``encode_plain``
(``_encode.c``), which writes the same bytes as the path below and declines anything
else (tests/test_82_encode_plain.py). The path below is the definition. Its check has two
halves: the extension's ``dialect_ok`` (``_dialect.c``) answers in C whether the state is
inside the dialect, and only when it says no (or is unsure) does the Python walk run, to
word the error and its path, or to accept what the C check could not vouch for. The C
check agrees with the walk (tests/test_81_dialect_check.py).

Strings with a lone surrogate (``"\\ud800"``) are refused too: they are not Unicode, so
they have no UTF-8 form. Text is written with ``ensure_ascii=False`` and then encoded to
UTF-8, which is where they are caught; ``ensure_ascii=True`` would escape them as
``\\ud800`` and let them through, and would also write every non-ASCII character as an
escape, so it is not used.

Decoding is strict: invalid UTF-8, invalid JSON and the NaN/Infinity literals are
:class:`ShmStateCorrupt`. The stdlib ``json`` module does both directions; orjson is not
used because it differs from the dialect on input (it refuses the lone-surrogate escapes
Node's ``JSON.stringify`` writes) and on output (it accepts ints up to 2^64).
"""

from __future__ import annotations

import json
import math
from json import encoder as _json_encoder
from typing import Any

from . import _native
from .errors import error_for

#: Deepest nesting of arrays/objects; the top-level container is level 1 (same as Node).
MAX_DEPTH = 64
#: Largest integer magnitude every language reads exactly (JavaScript's safe integers).
MAX_SAFE_INTEGER = 2**53 - 1

_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, check_circular=False, separators=(",", ":")
)


def _make_encode_chunks() -> Any:
    """The C encoder ``_encoder.encode`` builds anew on every call (about 1 us, as much as
    encoding a small state), built once with the same arguments (those of
    JSONEncoder.iterencode). Called as ``f(state, 0)``, it returns the text in chunks.
    Where the C accelerator is missing or takes other arguments: ``_encoder.encode``."""

    def fallback(state: object, _level: int) -> tuple[str]:
        return (_encoder.encode(state),)

    make = _json_encoder.c_make_encoder
    if make is None:
        return fallback
    try:
        encode_chunks = make(
            None,  # markers: no circular check (the dialect check caps the depth)
            _encoder.default,
            _json_encoder.encode_basestring,  # ensure_ascii=False
            None,  # indent
            _encoder.key_separator,
            _encoder.item_separator,
            False,  # sort_keys
            False,  # skipkeys
            False,  # allow_nan
        )
        sample = {"a": [1, 2.5, "\u00e9", None, True], "b": {}}
        if "".join(encode_chunks(sample, 0)) != _encoder.encode(sample):
            return fallback
    except TypeError:
        return fallback
    return encode_chunks


_encode_chunks = _make_encode_chunks()
_dialect_ok = _native.dialect_ok
_encode_plain = _native.encode_plain


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is outside the shmstate JSON dialect")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
_scan_once = _decoder.scan_once


class _Refused(Exception):
    """Raised deep in the walk; each frame on the way out prepends its path step."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.steps: list[str | int] = []


def _describe(value: object) -> str:
    if isinstance(value, (set, frozenset)):
        return f"a {type(value).__name__}"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    kind = type(value)
    module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
    return f"of unsupported type {module}{kind.__qualname__}"


def _float_reason(value: float) -> str:
    if value != value:
        return "is NaN"
    return "is Infinity" if value > 0 else "is -Infinity"


def _check_scalar(value: Any) -> None:
    """Any value that is not a container: refuses what is outside the dialect."""
    if isinstance(value, (str, bool)) or value is None:
        return
    if isinstance(value, int):  # int subclasses (IntEnum) encode as ints
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return
        raise _Refused(f"is {int(value)}, beyond the safe integer range +-(2^53-1)")
    if isinstance(value, float):
        if math.isfinite(value):
            return
        raise _Refused(_float_reason(value))
    raise _Refused(f"is {_describe(value)}")


def _check(value: Any, depth: int) -> None:
    """Walks ``value``; raises _Refused at the first thing outside the dialect.

    The loops test the common item types inline (exact type, no call) and recurse only
    for containers and for the rare values that need a closer look.
    """
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise _Refused(f"nests deeper than {MAX_DEPTH} levels")
        for key, item in value.items():
            if type(key) is not str and not isinstance(key, str):
                raise _Refused(f"has a non-string key {key!r} ({type(key).__name__})")
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if kind is float and item - item == 0.0:  # false for NaN and +-Infinity
                continue
            try:
                _check(item, depth + 1)
            except _Refused as refused:
                refused.steps.append(key)
                raise
    elif isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise _Refused(f"nests deeper than {MAX_DEPTH} levels")
        for index, item in enumerate(value):
            kind = type(item)
            if kind is str or kind is bool or item is None:
                continue
            if kind is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                continue
            if kind is float and item - item == 0.0:
                continue
            try:
                _check(item, depth + 1)
            except _Refused as refused:
                refused.steps.append(index)
                raise
    else:
        _check_scalar(value)


def _find_unencodable_string(value: Any) -> list[str | int] | None:
    """The path to the first string (value or key) that is not valid Unicode."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return []
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for step, item in items:
        if isinstance(step, str) and _find_unencodable_string(step) is not None:
            return [step]
        if isinstance(item, (str, dict, list, tuple)):
            found = _find_unencodable_string(item)
            if found is not None:
                return [step, *found]
    return None


def format_path(steps: list[str | int]) -> str:
    """``state.a[3].b``; keys that are not identifiers are quoted: ``state["odd key"]``."""
    parts = ["state"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step.isidentifier() and step.isascii():
            parts.append(f".{step}")
        else:
            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


def encode(state: object) -> bytes:
    """The UTF-8 JSON bytes of ``state``, or ShmStateEncodeError naming the bad path."""
    # One pass in C for states of plain built-in types (nearly all of them); it declines
    # anything else, which the path below checks, words and encodes.
    data = _encode_plain(state)
    if data is not None:
        return data
    if not _dialect_ok(state):
        # Refused or unsure: the walk decides, and words the refusal.
        try:
            _check(state, 0)
        except _Refused as refused:
            path = format_path(refused.steps[::-1])
            raise error_for("E_ENCODE", f"{path} {refused.reason}") from None
    text = "".join(_encode_chunks(state, 0))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        steps = _find_unencodable_string(state) or []
        message = f"{format_path(steps)} is a string with a lone surrogate (not valid Unicode)"
        raise error_for("E_ENCODE", message) from None


def decode(data: bytes, version: int | None = None) -> Any:
    """The state in ``data``; ShmStateCorrupt if it is not UTF-8 JSON of the dialect."""
    where = "the state" if version is None else f"the state at version {version}"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise error_for("E_CORRUPT", f"{where} is not valid UTF-8 (byte {error.start})") from None
    # Fast path: one scan from the first character to the last, which is what every
    # shmstate writer produces. Whitespace around the value and every error go to the
    # full decoder, which accepts the former and words the latter.
    try:
        state, end = _scan_once(text, 0)
        if end == len(text):
            return state
    except (ValueError, RecursionError, StopIteration):
        pass
    try:
        return _decoder.decode(text)
    except (ValueError, RecursionError) as error:
        raise error_for("E_CORRUPT", f"{where} is not valid JSON: {error}") from None
