"""The shmstate JSON dialect, Python side: :func:`encode` and :func:`decode`.

A state is UTF-8 JSON text of: None, bools, finite floats, ints within +-(2^53-1), str,
lists/tuples (tuples become arrays) and dicts with str keys, nested at most
:data:`MAX_DEPTH` containers deep (docs/python.md, "The JSON dialect"). Whatever one
language writes, every other reads.

Encoding is one C function, the extension's ``encode`` (``_codec/_encode.c``). In one
pass it checks the state and writes, byte for byte, what ``json.dumps(state,
ensure_ascii=False, allow_nan=False, separators=(",", ":"))`` writes, encoded to UTF-8.
Subclasses are judged like their base (``IntEnum``, ``OrderedDict``, named tuples).
Anything outside the dialect is refused before a byte is committed, with
:class:`ShmStateEncodeError` naming its path: ``state.a[3].b is NaN (E_ENCODE)``. That
includes strings with a lone surrogate (``"\\ud800"``): they are not Unicode, so they
have no UTF-8 form.

Decoding is strict: invalid UTF-8, invalid JSON and the NaN/Infinity literals are
:class:`ShmStateCorruptError`. It uses orjson when it is installed (the
``shmstate[fast]`` extra; about 3x faster than json) and the standard library's json
otherwise. A text orjson refuses is handed to json, which decides: json reads the
lone-surrogate escapes Node's ``JSON.stringify`` writes (``"\\ud800"``, which orjson
refuses) and numbers past a double's range (``1e400`` is ``inf``), and words the errors.
So both paths read the same texts to the same values, with one documented exception: an
integer literal beyond 64 bits (which no shmstate writer produces, but Node writes a
double of 2^64 or more in full digits) is a float with orjson and an exact int with json.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

from . import _native
from .errors import error_for


def _find_orjson() -> tuple[Callable[[bytes], Any] | None, type[Exception]]:
    """orjson's loads() and its error, if orjson is installed (pip install 'shmstate[fast]')."""
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        return None, ValueError
    return orjson.loads, orjson.JSONDecodeError


_orjson_loads, _OrjsonDecodeError = _find_orjson()

#: Deepest nesting of arrays/objects; the top-level container is level 1 (same as Node).
MAX_DEPTH = 64
#: Largest integer magnitude every language reads exactly (JavaScript's safe integers).
MAX_SAFE_INTEGER = 2**53 - 1

#: The decoder in use: "orjson" or "json" (the standard library).
DECODER = "json" if _orjson_loads is None else "orjson"

encode: Callable[[object], bytes] = _native.encode
"""encode(state) -> bytes: the UTF-8 JSON of ``state``, or ShmStateEncodeError naming the
path of the first value outside the dialect."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is outside the shmstate JSON dialect")


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
_scan_once = _decoder.scan_once  # type: ignore[attr-defined]  # the C scanner, not in typeshed


def _decode_json(data: bytes, version: int | None) -> Any:
    """The standard library's path: the definition of what reads, and every error."""
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


def decode(data: bytes, version: int | None = None) -> Any:
    """The state in ``data``; ShmStateCorruptError if it is not UTF-8 JSON of the dialect."""
    if _orjson_loads is not None:
        try:
            return _orjson_loads(data)
        except _OrjsonDecodeError:
            pass  # json decides: it reads what orjson refuses, or words the error
    return _decode_json(data, version)
