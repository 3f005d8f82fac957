"""json_diff.diff: ops that take old to new, checked by apply_patch and by the jsonpatch
library as an oracle, on seeded random states and edits; with the encoded-size helper."""

from __future__ import annotations

import copy
import random
from typing import Any

import jsonpatch  # test-only dependency (scripts/requirements-dev.txt)
import pytest

from shmstate import ShmStatePatchError, decode, encode
from shmstate.frozen import freeze
from shmstate.json_diff import diff
from shmstate.json_patch import apply_patch, apply_patch_with_size, json_equal

KEYS = ["a", "b", "0", "1", "01", "-", "", "~", "/", "a/b", "m~n", "~1", "é", "key"]


def random_scalar(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            False,
            0,
            1,
            -7,
            rng.randint(-(2**53) + 1, 2**53 - 1),
            1.5,
            -0.25,
            "",
            "x",
            "ü€😀",
            rng.choice(KEYS),
        ]
    )


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth >= 4 or kind < 0.4:
        return random_scalar(rng)
    if kind < 0.7:
        return {rng.choice(KEYS): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def random_edit(rng: random.Random, state: Any) -> Any:
    """A deep copy of ``state`` with one random change somewhere."""
    state = copy.deepcopy(state)
    if not isinstance(state, (dict, list)) or rng.random() < 0.05:
        return random_value(rng)
    node: Any = state
    while True:
        children = list(node.values()) if isinstance(node, dict) else node
        containers = [c for c in children if isinstance(c, (dict, list))]
        if not containers or rng.random() < 0.4:
            break
        node = rng.choice(containers)
    choice = rng.random()
    if isinstance(node, dict):
        if node and choice < 0.3:
            del node[rng.choice(list(node))]
        elif node and choice < 0.7:
            node[rng.choice(list(node))] = random_value(rng, 2)
        else:
            node[rng.choice(KEYS)] = random_value(rng, 2)
    elif node and choice < 0.3:
        del node[rng.randrange(len(node))]
    elif node and choice < 0.6:
        node[rng.randrange(len(node))] = random_value(rng, 2)
    else:
        node.insert(rng.randint(0, len(node)), random_value(rng, 2))
    return state


def cases(seed: int, count: int) -> list[tuple[Any, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        old = random_value(rng)
        if not isinstance(old, (dict, list)):
            old = {"root": old}
        new = old
        for _ in range(rng.randint(1, 4)):
            new = random_edit(rng, new)
        out.append((old, new))
    return out


CASES = cases(seed=84, count=400)


def test_diff_of_equal_states_is_empty() -> None:
    assert diff({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) == []


def test_diff_skips_identical_subtrees_without_looking() -> None:
    class Exploding(dict[str, Any]):
        def items(self) -> Any:
            raise AssertionError("looked inside a shared subtree")

    shared = Exploding(x=1)
    assert diff({"s": shared, "a": 1}, {"s": shared, "a": 2}) == [
        {"op": "replace", "path": "/a", "value": 2}
    ]


def test_diff_true_is_not_one() -> None:
    assert diff({"a": 1}, {"a": True}) == [{"op": "replace", "path": "/a", "value": True}]


def test_diff_one_equals_one_point_zero() -> None:
    assert diff({"a": 1}, {"a": 1.0}) == []


def test_diff_escapes_keys() -> None:
    assert diff({}, {"a/b": 1}) == [{"op": "add", "path": "/a~1b", "value": 1}]
    assert diff({"m~n": 1}, {}) == [{"op": "remove", "path": "/m~0n"}]


def test_diff_of_a_one_field_change_is_one_replace() -> None:
    old = {"a": {"b": {"c": 1}}, "list": list(range(100))}
    new = copy.deepcopy(old)
    new["a"]["b"]["c"] = 2
    assert diff(old, new) == [{"op": "replace", "path": "/a/b/c", "value": 2}]


def test_diff_of_an_array_append_is_one_add() -> None:
    assert diff([1, 2, 3], [1, 2, 3, 4]) == [{"op": "add", "path": "/3", "value": 4}]


def test_diff_of_an_array_removal_in_the_middle() -> None:
    ops = diff([1, 2, 3, 4], [1, 4])
    assert json_equal(apply_patch([1, 2, 3, 4], ops), [1, 4])
    assert all(op["op"] == "remove" for op in ops)


def test_diff_of_different_root_types_replaces_the_root() -> None:
    assert diff({"a": 1}, [1]) == [{"op": "replace", "path": "", "value": [1]}]


@pytest.mark.parametrize(("old", "new"), CASES[:200])
def test_random_round_trip(old: Any, new: Any) -> None:
    ops = diff(old, new)
    assert json_equal(apply_patch(old, ops), new)


@pytest.mark.parametrize(("old", "new"), CASES[:200])
def test_random_round_trip_from_a_frozen_state(old: Any, new: Any) -> None:
    frozen_old = freeze(old)
    result = apply_patch(frozen_old, diff(frozen_old, freeze(new)))
    assert json_equal(result, new)
    assert frozen_old == old  # unchanged


@pytest.mark.parametrize(("old", "new"), CASES[200:])
def test_jsonpatch_applies_our_diff_to_the_same_result(old: Any, new: Any) -> None:
    ops = diff(old, new)
    assert json_equal(jsonpatch.apply_patch(old, ops), new)


@pytest.mark.parametrize(("old", "new"), CASES[200:])
def test_we_apply_jsonpatch_diffs_as_jsonpatch_does(old: Any, new: Any) -> None:
    ops = jsonpatch.make_patch(old, new).patch
    try:
        expected = jsonpatch.apply_patch(old, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException):
        # jsonpatch's make_patch (1.33) sometimes writes a patch that names a location
        # its own earlier ops moved away; both must refuse it.
        with pytest.raises(ShmStatePatchError):
            apply_patch(old, ops)
        return
    assert json_equal(apply_patch(old, ops), expected)


@pytest.mark.parametrize(("old", "new"), CASES[::4])
def test_size_helper_agrees_with_the_encoded_length(old: Any, new: Any) -> None:
    result, delta = apply_patch_with_size(old, diff(old, new))
    assert delta == len(encode(result)) - len(encode(old))


@pytest.mark.parametrize(("old", "new"), CASES[1::8])
def test_patched_states_encode_and_decode_round_trip(old: Any, new: Any) -> None:
    result = apply_patch(old, diff(old, new))
    assert json_equal(decode(encode(result)), new)
