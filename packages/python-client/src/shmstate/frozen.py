"""Read-only state containers: :class:`FrozenDict`, :class:`FrozenList`, :func:`freeze` and
:func:`thaw`.

A state shared by structural sharing (:func:`shmstate.json_patch.apply_patch` copies only
the containers on the path to a change) must not be changed in place: a change to one
subtree would show in every state that shares it. So the containers handed out are
read-only:

- :class:`FrozenDict` is a ``dict`` subclass and :class:`FrozenList` a ``list`` subclass,
  so they compare equal to dicts and lists, pass ``isinstance(x, dict)`` / ``list``,
  index, iterate and slice as usual (a slice, ``copy()``, ``|`` and ``+`` give a plain,
  mutable dict or list), and :func:`shmstate.encode` writes the same bytes for them as
  for a dict or list with the same items;
- every mutator (``x[k] = v``, ``del``, ``append``, ``update``, ``pop``, ``sort``, ``+=``,
  ...) raises ``TypeError``.

Building one costs the same as copying a dict or list plus a small constant (the
subclass instance): bench/json_patch_python.py measures it. They are unhashable, like
dict and list. (As with any Python class, ``dict.__setitem__(frozen, k, v)`` bypasses
the guard; this module and json_patch use that only on containers not yet handed out.)
"""

from __future__ import annotations

from typing import Any, NoReturn

from .codec import decode, encode
from .errors import ShmStateEncodeError

__all__ = ["FrozenDict", "FrozenList", "freeze", "thaw"]


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(f"{type(self).__name__} is read-only: a state is never changed in place")


class FrozenDict(dict[str, Any]):
    """A read-only dict: equal to a dict with the same items; every mutator raises TypeError."""

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __repr__(self) -> str:
        return f"FrozenDict({dict.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> FrozenDict:
        return self


class FrozenList(list[Any]):
    """A read-only list: equal to a list with the same items; every mutator raises TypeError."""

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse
    append = _refuse
    clear = _refuse
    extend = _refuse
    insert = _refuse
    pop = _refuse
    remove = _refuse
    reverse = _refuse
    sort = _refuse

    def __repr__(self) -> str:
        return f"FrozenList({list.__repr__(self)})"

    def __reduce__(self) -> tuple[type[FrozenList], tuple[list[Any]]]:
        return (FrozenList, (list(self),))

    def __copy__(self) -> FrozenList:
        return self


def freeze(value: Any) -> Any:
    """``value`` with every dict (or dict subclass) a FrozenDict and every list or tuple a
    FrozenList; scalars as they are. A frozen container whose items are already frozen
    is returned as it is, so freezing a frozen state costs one walk and no copy. Use it
    once on a decoded state; :func:`shmstate.json_patch.apply_patch` keeps states frozen.
    """
    if isinstance(value, dict):
        items = {key: freeze(item) for key, item in value.items()}
        if type(value) is FrozenDict and all(items[k] is v for k, v in value.items()):
            return value
        return FrozenDict(items)
    if isinstance(value, (list, tuple)):
        frozen = [freeze(item) for item in value]
        if type(value) is FrozenList and all(a is b for a, b in zip(frozen, value, strict=True)):
            return value
        return FrozenList(frozen)
    return value


def thaw(value: Any) -> Any:
    """A mutable deep copy of ``value``: plain dicts and lists all the way down (what
    ``Store.update`` hands its function). The copy is the state read back from its JSON,
    which the C encoder and the decoder make faster than a walk in Python; a state that
    does not encode (one written by another language with a lone surrogate or an integer
    beyond 2^53) is copied by a walk instead."""
    try:
        return decode(encode(value))
    except ShmStateEncodeError:
        return _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(item) for item in value]
    return value
