"""The values the bridge puts into the KV bucket (docs/bridge.md, "Wire format").

Every value is one line of JSON, the envelope, then a newline, then the payload:

- ``<store>.state``: ``{"shmstate": "state", "store_id": "<16 hex>", "version": V}`` and the
  leader's full state at V, as JSON text;
- ``<store>.patches``: ``{"shmstate": "patches", "store_id": ..., "from": A, "to": B}`` and
  B - A + 1 lines, the RFC 6902 patch (JSON text) leading to A, A + 1, ..., B.

A value is untrusted: :func:`parse` refuses (ValueError, with the reason) anything that is
not exactly this shape, and the follower decodes each payload again before committing it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

STATE = "state"
PATCHES = "patches"
_ID = re.compile(r"^[0-9a-f]{16}$")
#: Versions are below 2^53 in every language the store has (JSON numbers in Node).
_VERSION_MAX = 2**53 - 1


@dataclass(frozen=True)
class Value:
    """One parsed value: a state (``payloads`` has one item, at ``first == last``) or
    the patches ``first..last`` (one payload each)."""

    kind: str
    store_id: str
    first: int
    last: int
    payloads: list[bytes]


def state_key(store: str) -> str:
    return f"{store}.state"


def patches_key(store: str) -> str:
    return f"{store}.patches"


def encode_state(store_id: str, version: int, state: bytes) -> bytes:
    head = {"shmstate": STATE, "store_id": store_id, "version": version}
    return json.dumps(head, separators=(",", ":")).encode() + b"\n" + state


def encode_patches(store_id: str, first: int, patches: list[bytes]) -> bytes:
    head = {
        "shmstate": PATCHES,
        "store_id": store_id,
        "from": first,
        "to": first + len(patches) - 1,
    }
    return b"\n".join([json.dumps(head, separators=(",", ":")).encode(), *patches])


def _version(head: dict[str, object], field: str) -> int:
    value = head.get(field)
    if type(value) is not int or not 1 <= value <= _VERSION_MAX:
        raise ValueError(f"envelope field {field!r} is {value!r}; it must be a version >= 1")
    return value


def parse(data: bytes) -> Value:
    """The value in ``data``; ValueError naming what is wrong with it."""
    head_bytes, newline, payload = data.partition(b"\n")
    if not newline:
        raise ValueError("no envelope line (not a shmstate bridge value)")
    try:
        head = json.loads(head_bytes)
    except (ValueError, RecursionError):
        raise ValueError("the envelope line is not JSON (not a shmstate bridge value)") from None
    if not isinstance(head, dict):
        raise ValueError("the envelope is not a JSON object")
    store_id = head.get("store_id")
    if not isinstance(store_id, str) or not _ID.match(store_id):
        raise ValueError(f"envelope store_id is {store_id!r}; it must be 16 lowercase hex digits")
    kind = head.get("shmstate")
    if kind == STATE:
        version = _version(head, "version")
        return Value(STATE, store_id, version, version, [payload])
    if kind == PATCHES:
        first, last = _version(head, "from"), _version(head, "to")
        lines = payload.split(b"\n")
        if last < first or len(lines) != last - first + 1:
            raise ValueError(f"patches {first}..{last} come with {len(lines)} lines")
        return Value(PATCHES, store_id, first, last, lines)
    raise ValueError(f"envelope kind is {kind!r}; it must be 'state' or 'patches'")
