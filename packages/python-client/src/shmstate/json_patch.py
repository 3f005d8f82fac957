"""RFC 6902 JSON Patch on shmstate states, with structural sharing.

:func:`apply_patch` returns the patched state and never changes the one it is given. It
copies only the containers on the path from the root to each changed location; every
other subtree of the result is the same object (``is``) as in the input. Every container
it builds is read-only (:class:`~shmstate.frozen.FrozenDict`,
:class:`~shmstate.frozen.FrozenList`), so states that share subtrees stay independent.
A container built by one op and changed again by a later op of the same patch is changed
in place (it is not handed out yet), so a patch of k ops on one object copies it once.

A patch is all or nothing: on any failure the input is unchanged (it always is) and
nothing is returned. The failure is :class:`~shmstate.errors.ShmStatePatchError`
(``E_PATCH``) naming the op's index, the op and the reason: a pointer to nothing, a
failed ``test``, a malformed op, a ``move`` into its own child, an array index out of
range or with a leading zero. A value an op adds (``add``, ``replace``, and the copy a
``move``/``copy`` places deeper) must be in the JSON dialect, nesting included, at its new
place; otherwise :class:`~shmstate.errors.ShmStateEncodeError` (``E_ENCODE``) naming the
op. The input state itself is assumed to be in the dialect (it is not walked).

``test`` compares by JSON equality (RFC 6902 4.6, :func:`json_equal`): ``True`` is not
``1``, ``1`` equals ``1.0``, the order of an object's members does not matter, a tuple
equals the list with the same items.

Choices where RFC 6902 leaves room: ``remove`` of the root (``""``) is an error (a state
is always a value); ``add``/``replace`` of ``""`` replace the whole state; a ``move`` whose
``from`` equals its ``path`` is a no-op once ``from`` is found; members other than
``op``, ``path``, ``from`` and ``value`` are ignored. The patch may be given as a list of
op mappings or as its JSON text (str or bytes).

:func:`apply_patch_with_size` also gives the change of the encoded size: see there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .codec import MAX_DEPTH, encode
from .errors import ShmStateEncodeError, ShmStatePatchError, error_for
from .frozen import FrozenDict, FrozenList, freeze
from .json_pointer import array_index, parse_pointer

__all__ = ["apply_patch", "apply_patch_with_size", "json_equal"]

Patch = Sequence[Mapping[str, Any]] | str | bytes

_OPS = ("add", "remove", "replace", "move", "copy", "test")
_NEEDS_VALUE = ("add", "replace", "test")
_NEEDS_FROM = ("move", "copy")
_MISSING = object()


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality (RFC 6902 4.6): same type of JSON value and same value. Booleans
    are not numbers (``True`` is not ``1``); ``1 == 1.0``; member order does not matter;
    lists and tuples are both arrays. Identical objects are equal without a walk."""
    if a is b:
        return True
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for key, item in a.items():
            other = b.get(key, _MISSING)
            if other is _MISSING or not json_equal(item, other):
                return False
        return True
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)):
        return isinstance(b, (int, float)) and a == b
    if isinstance(a, str):
        return isinstance(b, str) and a == b
    if a is None or b is None:
        return False
    return bool(a == b)


def apply_patch(state: Any, ops: Patch) -> Any:
    """The state ``ops`` (RFC 6902) make of ``state``; ``state`` is not changed.

    Every container of the result on a changed path is new and read-only; every other
    subtree is shared with ``state``. Raises ShmStatePatchError (E_PATCH) or
    ShmStateEncodeError (E_ENCODE) naming the op; see the module's documentation."""
    return _Applier(state, want_size=False).run(ops)


def apply_patch_with_size(state: Any, ops: Patch) -> tuple[Any, int]:
    """``(apply_patch(state, ops), delta)`` where ``delta`` is the change of the encoded
    size: ``len(encode(new)) - len(encode(state))``, in bytes, computed without encoding
    either state.

    It is exact when ``state`` is in the dialect. Each op costs the encoding of what it
    adds and of what it removes or replaces (a key, a comma, a value), never of the rest
    of the state: a writer that knows ``len(encode(state))`` keeps knowing the size of
    every state it patches. (A ``move`` costs no encoding of the moved value; ``copy``
    encodes the copied value once; an op on the root ``""`` encodes the old root.) Member
    order does not change lengths, so the figure holds for whatever order a writer keeps.
    """
    applier = _Applier(state, want_size=True)
    new_state = applier.run(ops)
    return new_state, applier.delta


def _op_text(op: object) -> str:
    try:
        text = json.dumps(op, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, TypeError, RecursionError):
        text = repr(op)
    return text if len(text) <= 200 else text[:200] + "..."


def _depth(value: Any, limit: int) -> int:
    """Container nesting of ``value`` (0 for a scalar); stops counting past ``limit``."""
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return 0
    if limit <= 0:
        return 1
    deepest = 0
    for item in items:
        deepest = max(deepest, _depth(item, limit - 1))
        if deepest >= limit:
            break
    return 1 + deepest


class _OpError(Exception):
    """An op failed: the reason; run() adds the op's index and text."""

    def __init__(self, reason: str, code: str = "E_PATCH") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class _Applier:
    def __init__(self, state: Any, *, want_size: bool) -> None:
        self.root = state
        self.want_size = want_size
        self.delta = 0
        # Containers this patch built (not handed out): changed in place. id -> object,
        # which also keeps each alive so that its id is not reused.
        self.fresh: dict[int, Any] = {}

    def run(self, ops: Patch) -> Any:
        if isinstance(ops, (str, bytes, bytearray)):
            try:
                ops = json.loads(ops)
            except (ValueError, UnicodeDecodeError) as error:
                raise error_for("E_PATCH", f"the patch is not JSON text: {error}") from None
        if not isinstance(ops, (list, tuple)):
            raise error_for("E_PATCH", f"a patch is an array of ops, not {type(ops).__name__}")
        for index, op in enumerate(ops):
            try:
                self.apply_one(op)
            except _OpError as error:
                raise error_for(error.code, f"op {index} {_op_text(op)}: {error.reason}") from None
        return self.root

    # -- one op -------------------------------------------------------------------------

    def apply_one(self, op: Any) -> None:
        if not isinstance(op, Mapping):
            raise _OpError(f"an op is an object, not {type(op).__name__}")
        name = op.get("op", _MISSING)
        if name is _MISSING:
            raise _OpError('the op has no "op" member')
        if name not in _OPS:
            raise _OpError(f"unknown op {name!r} (one of {', '.join(_OPS)})")
        path = self.tokens(op, "path")
        if name in _NEEDS_VALUE and "value" not in op:
            raise _OpError(f'a "{name}" op needs a "value" member')
        if name == "add":
            self.add(path, op["value"], op["path"])
        elif name == "remove":
            self.remove(path, op["path"])
        elif name == "replace":
            self.replace(path, op["value"], op["path"])
        elif name == "test":
            self.test(path, op["value"], op["path"])
        else:
            self.move_or_copy(name, self.tokens(op, "from"), path, op["from"], op["path"])

    def tokens(self, op: Mapping[str, Any], member: str) -> list[str]:
        pointer = op.get(member, _MISSING)
        if pointer is _MISSING:
            raise _OpError(f'a "{op["op"]}" op needs a "{member}" member')
        if not isinstance(pointer, str):
            raise _OpError(f'"{member}" must be a string, not {type(pointer).__name__}')
        try:
            return parse_pointer(pointer)
        except ShmStatePatchError as error:
            raise _OpError(_reason(error)) from None

    def add(self, path: list[str], value: Any, pointer: str) -> None:
        size = self.checked_size(value, len(path), pointer)
        self.delta += self.put(path, freeze(value), pointer, insert=True) + size

    def replace(self, path: list[str], value: Any, pointer: str) -> None:
        size = self.checked_size(value, len(path), pointer)
        # A value JSON-equal to the one there changes nothing: nothing is copied, and a
        # patch of such ops leaves the state the same object (a commit of nothing).
        if json_equal(self.get(path, pointer), value):
            return
        self.delta += self.put(path, freeze(value), pointer, insert=False) + size

    def remove(self, path: list[str], pointer: str) -> None:
        old, struct = self.take(path, pointer)
        self.delta += struct - self.size(old)

    def test(self, path: list[str], value: Any, pointer: str) -> None:
        actual = self.get(path, pointer)
        if not json_equal(actual, value):
            raise _OpError(f"test failed: the value at {pointer!r} is {_op_text(actual)}")

    def move_or_copy(
        self, name: str, source: list[str], path: list[str], source_ptr: str, pointer: str
    ) -> None:
        if name == "move" and len(source) < len(path) and path[: len(source)] == source:
            raise _OpError(f"cannot move {source_ptr!r} into its own child {pointer!r}")
        value = self.get(source, source_ptr)
        if len(path) > len(source) and len(path) + _depth(value, MAX_DEPTH) > MAX_DEPTH:
            raise _OpError(
                f"the value would nest deeper than {MAX_DEPTH} levels at {pointer!r}", "E_ENCODE"
            )
        if name == "move":
            if source == path:
                return
            # The value is moved, not encoded: its size leaves and comes back.
            _, struct = self.take(source, source_ptr)
            self.delta += struct + self.put(path, value, pointer, insert=True)
        else:
            # The value now appears twice: nothing built so far may change in place.
            self.fresh.clear()
            self.delta += self.put(path, value, pointer, insert=True) + self.size(value)

    # -- navigation ---------------------------------------------------------------------

    def get(self, path: list[str], pointer: str) -> Any:
        node = self.root
        for depth, token in enumerate(path):
            node = self.child(node, token, pointer, depth)
        return node

    def child(self, node: Any, token: str, pointer: str, depth: int) -> Any:
        if isinstance(node, dict):
            item = node.get(token, _MISSING)
            if item is _MISSING:
                raise _OpError(f"{pointer!r} names nothing: no member {token!r}{_at(depth)}")
            return item
        if isinstance(node, (list, tuple)):
            return node[self.index(token, len(node), pointer, end_ok=False)]
        raise _OpError(f"{pointer!r} names nothing: {_at(depth, 'the value')} is not a container")

    def index(self, token: str, length: int, pointer: str, *, end_ok: bool) -> int:
        try:
            return array_index(pointer, token, length, end_ok=end_ok)
        except ShmStatePatchError as error:
            raise _OpError(_reason(error)) from None

    def own(self, node: Any) -> Any:
        """``node`` if this patch built it, else a fresh read-only copy of it."""
        if id(node) in self.fresh:
            return node
        copy: Any = FrozenDict(node) if isinstance(node, dict) else FrozenList(node)
        self.fresh[id(copy)] = copy
        return copy

    def parent(self, path: list[str], pointer: str) -> Any:
        """The container holding ``path``'s last token, made this patch's own (as is
        every container above it)."""
        if not isinstance(self.root, (dict, list, tuple)):
            raise _OpError(f"{pointer!r} names nothing: the state is not a container")
        node = self.root = self.own(self.root)
        for depth, token in enumerate(path[:-1]):
            item = self.child(node, token, pointer, depth)
            if not isinstance(item, (dict, list, tuple)):
                raise _OpError(
                    f"{pointer!r} names nothing: {_at(depth + 1, 'the value')} is not a container"
                )
            owned = self.own(item)
            if owned is not item:
                if isinstance(node, dict):
                    dict.__setitem__(node, token, owned)
                else:
                    list.__setitem__(node, int(token), owned)
            node = owned
        return node

    def put(self, path: list[str], value: Any, pointer: str, *, insert: bool) -> int:
        """Sets ``path`` to ``value`` (``insert``: add's semantics, else replace's, which
        needs the location to exist). Returns the change of encoded size but the value's."""
        if not path:
            old, self.root = self.root, value
            return -self.size(old)
        node = self.parent(path, pointer)
        token = path[-1]
        if isinstance(node, dict):
            old = node.get(token, _MISSING)
            if old is _MISSING:
                if not insert:
                    raise _OpError(
                        f"{pointer!r} names nothing: no member {token!r}{_at(len(path) - 1)}"
                    )
                key_size = self.checked_size(token, 0, pointer, what="key")
                struct = key_size + 1 + (1 if node else 0)
            else:
                struct = -self.size(old)
            dict.__setitem__(node, token, value)
            return struct
        length = len(node)
        index = self.index(token, length, pointer, end_ok=insert)
        if insert:
            list.insert(node, index, value)
            return 1 if length else 0
        struct = -self.size(node[index])
        list.__setitem__(node, index, value)
        return struct

    def take(self, path: list[str], pointer: str) -> tuple[Any, int]:
        """Removes ``path``: its value and the change of encoded size but the value's."""
        if not path:
            raise _OpError("cannot remove the whole state")
        node = self.parent(path, pointer)
        token = path[-1]
        if isinstance(node, dict):
            old = node.get(token, _MISSING)
            if old is _MISSING:
                raise _OpError(
                    f"{pointer!r} names nothing: no member {token!r}{_at(len(path) - 1)}"
                )
            struct = -(self.size(token) + 1 + (1 if len(node) > 1 else 0))
            dict.__delitem__(node, token)
            return old, struct
        index = self.index(token, len(node), pointer, end_ok=False)
        old = node[index]
        struct = -1 if len(node) > 1 else 0
        list.__delitem__(node, index)
        return old, struct

    # -- sizes and the dialect ----------------------------------------------------------

    def size(self, value: Any) -> int:
        return len(encode(value)) if self.want_size else 0

    def checked_size(self, value: Any, depth: int, pointer: str, what: str = "value") -> int:
        """len(encode(value)) placed under ``depth`` containers; E_ENCODE if outside the
        dialect there (nesting included)."""
        wrapped = value
        if depth and isinstance(value, (dict, list, tuple)):
            for _ in range(depth):
                wrapped = [wrapped]
        else:
            depth = 0
        try:
            return len(encode(wrapped)) - 2 * depth
        except ShmStateEncodeError as error:
            where = _reason(error).removeprefix("state").removeprefix("[0]" * depth)
            raise _OpError(
                f"the {what} at {pointer!r} is outside the JSON dialect: {what}{where}", "E_ENCODE"
            ) from None


def _reason(error: Exception) -> str:
    text = str(error)
    for code in ("E_PATCH", "E_ENCODE"):
        text = text.removesuffix(f" ({code})")
    return text


def _at(depth: int, what: str = "") -> str:
    if what:
        return f"{what} at depth {depth}" if depth else f"{what} (the state)"
    return f" at depth {depth}" if depth else " in the state"
