"""Read-only state containers (shmstate.frozen): equal to dict and list, every mutator
raises TypeError, encoded to the same bytes, and freeze() converts a decoded state."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from shmstate import decode, encode
from shmstate.frozen import FrozenDict, FrozenList, freeze

STATE = {"a": {"b": [1, 2.5, {"c": None}], "d": "é"}, "e": [], "f": {}, "g": True}


def test_frozen_containers_compare_equal_to_dict_and_list() -> None:
    assert FrozenDict({"a": 1}) == {"a": 1}
    assert FrozenList([1, 2]) == [1, 2]
    assert isinstance(FrozenDict(), dict)
    assert isinstance(FrozenList(), list)


DICT_MUTATORS: list[Callable[[Any], object]] = [
    lambda d: d.__setitem__("x", 1),
    lambda d: d.__delitem__("a"),
    lambda d: d.clear(),
    lambda d: d.pop("a"),
    lambda d: d.popitem(),
    lambda d: d.setdefault("x", 1),
    lambda d: d.update(x=1),
    lambda d: d.__ior__({"x": 1}),
]


@pytest.mark.parametrize("mutate", DICT_MUTATORS)
def test_every_dict_mutator_raises(mutate: Callable[[Any], object]) -> None:
    frozen = FrozenDict({"a": 1})
    with pytest.raises(TypeError, match="read-only"):
        mutate(frozen)
    assert frozen == {"a": 1}


LIST_MUTATORS: list[Callable[[Any], object]] = [
    lambda x: x.__setitem__(0, 9),
    lambda x: x.__setitem__(slice(0, 1), [9]),
    lambda x: x.__delitem__(0),
    lambda x: x.__iadd__([9]),
    lambda x: x.__imul__(2),
    lambda x: x.append(9),
    lambda x: x.clear(),
    lambda x: x.extend([9]),
    lambda x: x.insert(0, 9),
    lambda x: x.pop(),
    lambda x: x.remove(1),
    lambda x: x.reverse(),
    lambda x: x.sort(),
]


@pytest.mark.parametrize("mutate", LIST_MUTATORS)
def test_every_list_mutator_raises(mutate: Callable[[Any], object]) -> None:
    frozen = FrozenList([1, 2])
    with pytest.raises(TypeError, match="read-only"):
        mutate(frozen)
    assert frozen == [1, 2]


def test_augmented_assignment_raises_and_keeps_the_value() -> None:
    frozen = FrozenList([1])
    with pytest.raises(TypeError):
        frozen += [2]
    assert frozen == [1]


def test_copies_and_operators_give_plain_mutable_containers() -> None:
    d, x = FrozenDict({"a": 1}), FrozenList([1, 2])
    assert type(d.copy()) is dict and type(d | {"b": 2}) is dict
    assert type(x[:1]) is list and type(x + x) is list and type(list(x)) is list


def test_freeze_converts_every_container() -> None:
    frozen = freeze(STATE)
    assert frozen == STATE
    assert type(frozen) is FrozenDict
    assert type(frozen["a"]["b"]) is FrozenList
    assert type(frozen["a"]["b"][2]) is FrozenDict
    assert type(frozen["e"]) is FrozenList and type(frozen["f"]) is FrozenDict


def test_freeze_turns_tuples_into_frozen_lists() -> None:
    assert type(freeze((1, (2,)))[1]) is FrozenList


def test_freeze_of_a_frozen_state_is_the_same_object() -> None:
    frozen = freeze(STATE)
    assert freeze(frozen) is frozen


def test_freeze_copies_a_frozen_container_holding_a_mutable_one() -> None:
    inner: dict[str, Any] = {"x": 1}
    outer = FrozenDict({"inner": inner})
    frozen = freeze(outer)
    assert frozen is not outer and type(frozen["inner"]) is FrozenDict


def test_frozen_containers_encode_to_the_same_bytes() -> None:
    assert encode(freeze(STATE)) == encode(STATE)


def test_frozen_state_decode_round_trips() -> None:
    assert freeze(decode(encode(freeze(STATE)))) == STATE


def test_pickle_and_copy_keep_the_type() -> None:
    frozen = freeze(STATE)
    again = pickle.loads(pickle.dumps(frozen))
    assert again == STATE and type(again) is FrozenDict and type(again["e"]) is FrozenList
    assert copy.copy(frozen) is frozen
    deep = copy.deepcopy(frozen)
    assert deep == STATE and type(deep) is FrozenDict


def test_repr_names_the_type() -> None:
    assert repr(FrozenDict({"a": FrozenList([1])})) == "FrozenDict({'a': FrozenList([1])})"


def test_frozen_containers_are_unhashable_like_dict_and_list() -> None:
    with pytest.raises(TypeError):
        hash(FrozenDict())
    with pytest.raises(TypeError):
        hash(FrozenList())
