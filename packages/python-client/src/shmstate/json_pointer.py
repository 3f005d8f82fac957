"""RFC 6901 JSON Pointers: :func:`parse_pointer`, :func:`format_pointer` and :func:`array_index`.

A pointer is ``""`` (the whole document) or a sequence of ``/``-prefixed reference tokens,
in which ``~1`` stands for ``/`` and ``~0`` for ``~``. Any other ``~`` is an error. Every
error is :class:`~shmstate.errors.ShmStatePatchError` (``E_PATCH``) and names the pointer.

>>> parse_pointer("/a~1b/m~0n/0")
['a/b', 'm~n', '0']
>>> format_pointer(["a/b", "m~n", "0"])
'/a~1b/m~0n/0'
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import ShmStatePatchError, error_for

__all__ = ["array_index", "format_pointer", "parse_pointer", "pointer_error"]


def pointer_error(pointer: str, reason: str) -> ShmStatePatchError:
    """The E_PATCH error for ``pointer``: 'pointer "/a/01": <reason> (E_PATCH)'."""
    error = error_for("E_PATCH", f"pointer {_quote(pointer)}: {reason}")
    assert isinstance(error, ShmStatePatchError)
    return error


def _quote(pointer: str) -> str:
    text = pointer if len(pointer) <= 200 else pointer[:200] + "..."
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_pointer(pointer: str) -> list[str]:
    """The reference tokens of ``pointer``, unescaped; ``[]`` for ``""`` (the root)."""
    if not isinstance(pointer, str):
        raise error_for("E_PATCH", f"a pointer must be a string, not {type(pointer).__name__}")
    if pointer == "":
        return []
    if pointer[0] != "/":
        raise pointer_error(pointer, 'a pointer is "" or starts with "/"')
    tokens = pointer[1:].split("/")
    if "~" not in pointer:
        return tokens
    for i, token in enumerate(tokens):
        if "~" in token:
            # Every "~" must start "~0" or "~1"; "~1" is decoded before "~0" (RFC 6901 4).
            rest = token.replace("~0", "").replace("~1", "")
            if "~" in rest:
                raise pointer_error(pointer, f'token {i} has a "~" not followed by 0 or 1')
            tokens[i] = token.replace("~1", "/").replace("~0", "~")
    return tokens


def escape_token(token: str) -> str:
    """One reference token as it is written in a pointer: ``~`` as ``~0``, ``/`` as ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def format_pointer(tokens: Iterable[str | int]) -> str:
    """The pointer text of ``tokens`` (ints are array indices); ``""`` for none."""
    return "".join("/" + escape_token(str(token)) for token in tokens)


def array_index(pointer: str, token: str, length: int, *, end_ok: bool) -> int:
    """The array index ``token`` names in an array of ``length`` items.

    The token is ``0`` or digits without a leading zero. ``end_ok`` (for ``add``) also
    accepts ``length`` and ``"-"`` (after the last item); otherwise the index must name an
    item.
    """
    if token == "-":
        if end_ok:
            return length
        raise pointer_error(pointer, f'"-" names no item of an array of {length}')
    if not token.isascii() or not token.isdigit():
        raise pointer_error(pointer, f"{token!r} is not an array index")
    if len(token) > 1 and token[0] == "0":
        raise pointer_error(pointer, f"array index {token!r} has a leading zero")
    index = int(token)
    if index > length or (index == length and not end_ok):
        raise pointer_error(pointer, f"array index {index} is out of range (array of {length})")
    return index
