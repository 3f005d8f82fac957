"""json_diff.diff: ops that take old to new, checked by apply_patch and by the jsonpatch
library as an oracle, on seeded random states and edits; with the encoded-size helper.
The C diff gives op for op what json_diff._diff_python (the same algorithm in Python)
gives, on random states and random changes of them; deep nesting and bad input raise."""

from __future__ import annotations

import copy
import random
from collections import OrderedDict
from typing import Any

import jsonpatch  # test-only dependency (scripts/requirements-dev.txt)
import pytest

from shmstate import ShmStatePatchError, _native, decode, encode
from shmstate.frozen import FrozenDict, FrozenList, freeze
from shmstate.json_diff import _diff_python, diff
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


# ---- the C diff against the Python reference ----

ODD_KEYS = [*KEYS, "~0", "a~", "/~/", "~~//", "ключ", "🔑/~", "~01", "a b"]
# Values JSON equality tells apart or not, with their look-alikes: True is not 1, 1 is
# 1.0, 0.0 is -0.0, a NaN equals only itself, a tuple is a list.
TWINS: list[tuple[Any, Any]] = [
    (True, 1),
    (False, 0),
    (True, 1.0),
    (1, 1.0),
    (0.0, -0.0),
    (0, -0.0),
    (2**53, float(2**53)),
    (2**53 + 1, float(2**53)),
    (None, False),
    ("1", 1),
    ([], ()),
    ({}, []),
    ([1, 2], (1, 2)),
]
NAN = float("nan")


def twin(rng: random.Random) -> Any:
    pair = rng.choice(TWINS)
    return pair[rng.randrange(2)]


def any_scalar(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.3:
        return twin(rng)
    if roll < 0.35:
        return NAN if rng.random() < 0.5 else float("nan")  # the same NaN, or a new one
    return random_scalar(rng)


def make_object(rng: random.Random, members: list[tuple[Any, Any]]) -> Any:
    kind = rng.choice([dict, dict, FrozenDict, OrderedDict])
    made = kind(members)
    if kind is OrderedDict and len(made) > 1 and rng.random() < 0.5:
        made.move_to_end(rng.choice(list(made)), last=False)  # its order is not storage's
    return made


def make_array(rng: random.Random, items: list[Any]) -> Any:
    return rng.choice([list, list, tuple, FrozenList])(items)


def any_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth >= 5 or roll < 0.35:
        return any_scalar(rng)
    count = rng.randint(0, 6)
    if roll < 0.65:
        members = [(rng.choice(ODD_KEYS), any_value(rng, depth + 1)) for _ in range(count)]
        return make_object(rng, members)
    return make_array(rng, [any_value(rng, depth + 1) for _ in range(count)])


def rebuilt(value: Any) -> Any:
    """An equal value that shares no container with ``value``."""
    if isinstance(value, dict):
        return type(value)({key: rebuilt(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return type(value)([rebuilt(item) for item in value])
    return value


def changed(rng: random.Random, value: Any, depth: int = 0) -> Any:
    """A value like ``value``: some subtrees the same objects, some rebuilt equal, some
    changed (members added, removed, reordered; items inserted, removed; scalars
    swapped for look-alikes; containers of another kind)."""
    roll = rng.random()
    if roll < 0.3:
        return value
    if roll < 0.4:
        return rebuilt(value)
    if roll < 0.5 or depth >= 6:
        return any_value(rng, depth)
    if isinstance(value, dict):
        members = [(key, changed(rng, item, depth + 1)) for key, item in value.items()]
        members = [member for member in members if rng.random() > 0.15]
        if rng.random() < 0.3:
            rng.shuffle(members)
        for _ in range(rng.choice([0, 0, 1, 2])):
            members.insert(rng.randint(0, len(members)), (rng.choice(ODD_KEYS), any_value(rng, 3)))
        return make_object(rng, members)
    if isinstance(value, (list, tuple)):
        items = [changed(rng, item, depth + 1) for item in value]
        items = [item for item in items if rng.random() > 0.1]
        for _ in range(rng.choice([0, 0, 1, 2])):
            items.insert(rng.randint(0, len(items)), any_value(rng, 3))
        return make_array(rng, items)
    return twin(rng) if rng.random() < 0.5 else any_scalar(rng)


def assert_same_as_python(old: Any, new: Any) -> None:
    expected = _diff_python(old, new)
    ops = diff(old, new)
    assert type(ops) is list
    assert [list(op.items()) for op in ops] == [list(op.items()) for op in expected]
    for op, wanted in zip(ops, expected, strict=True):
        assert type(op) is dict
        if "value" in wanted:
            assert op["value"] is wanted["value"]  # the object of `new` itself


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 8, 13, 21, 34])
def test_c_diff_is_the_python_diff_on_random_changes(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        old = any_value(rng)
        new = changed(rng, old)
        assert_same_as_python(old, new)
        assert_same_as_python(new, old)


@pytest.mark.parametrize("seed", [55, 89])
def test_c_diff_is_the_python_diff_on_unrelated_states(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        assert_same_as_python(any_value(rng), any_value(rng))


def test_c_diff_is_the_python_diff_on_edited_copies() -> None:
    for old, new in CASES:
        assert_same_as_python(old, new)
        assert_same_as_python(freeze(old), freeze(new))
        assert_same_as_python(freeze(old), new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (True, 1),
        (1, 1.0),
        (0.0, -0.0),
        (NAN, NAN),
        (NAN, float("nan")),
        ([NAN], [float("nan")]),
        ((1, 2), [1, 2.0]),
        ({"a": (1,)}, FrozenDict(a=FrozenList([True]))),
        ({"~": 1, "/": 2}, {"~": 2, "/": 1}),
        (None, False),
        ("", 0),
        (2**64, float(2**64)),
        (2**53 + 1, float(2**53)),
    ],
)
def test_c_diff_is_the_python_diff_on_look_alikes(old: Any, new: Any) -> None:
    assert_same_as_python({"v": old}, {"v": new})
    assert_same_as_python([0, old, 1], [0, new, 1])


def test_c_diff_names_deep_paths_like_python() -> None:
    old: Any = 1
    new: Any = 2
    for level in range(200):
        key = f"k~/{level}"
        old, new = ({key: old}, {key: new}) if level % 2 else ([old], (new,))
    assert_same_as_python(old, new)
    assert len(diff(old, new)[0]["path"].split("/")) == 201


@pytest.mark.parametrize("kind", ["objects", "arrays", "compared"])
def test_c_diff_raises_recursion_error_beyond_the_recursion_limit(kind: str) -> None:
    old: Any = 1
    new: Any = 2
    for _ in range(100_000):
        if kind == "objects":
            old, new = {"a": old}, {"a": new}
        else:
            old, new = [old], [new]
    if kind == "compared":  # an equality test, not the diff's walk, goes deep
        old, new = [old, 0], [new, 1]
    with pytest.raises(RecursionError):
        diff(old, new)


def test_c_diff_of_cycles_raises_recursion_error() -> None:
    old: list[Any] = []
    old.append(old)
    new: list[Any] = []
    new.append(new)
    with pytest.raises(RecursionError):
        diff(old, new)


def test_c_diff_refuses_a_key_that_is_not_a_str_where_it_writes_a_path() -> None:
    shared = [1]
    assert diff({1: shared, "a": 1}, {1: shared, "a": 2}) == _diff_python(
        {1: shared, "a": 1}, {1: shared, "a": 2}
    )
    for old, new in [({1: 1}, {}), ({}, {(1, 2): 1}), ({1: [1]}, {1: [2]}), ({1: 1}, {1: 1.5})]:
        with pytest.raises(TypeError, match="keys are str, not"):
            diff(old, new)
        with pytest.raises((AttributeError, TypeError)):  # the reference fails there too
            _diff_python(old, new)


class Opaque:
    """A value outside JSON, equal to another with the same tag."""

    def __init__(self, tag: int) -> None:
        self.tag = tag

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.tag == self.tag

    __hash__ = None  # type: ignore[assignment]


def test_c_diff_compares_other_objects_with_eq() -> None:
    same, other = Opaque(1), Opaque(2)
    for old, new in [
        ({"a": same}, {"a": Opaque(1)}),
        ({"a": same}, {"a": other}),
        ([same, 1], [Opaque(1), 2]),
        ({"a": object()}, {"a": object()}),
        ({"a": same}, {"a": 1}),
        ({"a": None}, {"a": same}),
    ]:
        assert_same_as_python(old, new)


def test_c_diff_passes_on_an_exception_from_eq() -> None:
    class Failing:
        def __eq__(self, other: object) -> bool:
            raise ValueError("no comparison")

    with pytest.raises(ValueError, match="no comparison"):
        diff({"a": Failing()}, {"a": Failing()})
    with pytest.raises(ValueError, match="no comparison"):
        diff([Failing()], [Failing(), 1])


def test_c_diff_survives_containers_changed_under_it() -> None:
    old_list: list[Any] = []
    new_dict: dict[str, Any] = {}

    class Meddling:
        def __eq__(self, other: object) -> bool:
            old_list.clear()
            new_dict.clear()
            new_dict.update({f"x{i}": i for i in range(100)})
            return False

    old_list.extend([Meddling(), 1, 2, 3])
    with pytest.raises(IndexError):
        diff(old_list, [Meddling(), 5, 6, 7])
    new_dict.update(a=Meddling(), b=2)
    with pytest.raises(RuntimeError, match="changed size"):
        diff({"a": Meddling(), "b": 1}, new_dict)


def test_c_diff_takes_two_arguments() -> None:
    with pytest.raises(TypeError):
        _native.diff({})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _native.diff({}, {}, {})  # type: ignore[call-arg]
