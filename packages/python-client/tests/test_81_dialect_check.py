"""The C dialect check (_native.dialect_ok) agrees with the Python walk (codec._check),
which defines the dialect and words its refusals."""

from __future__ import annotations

import json
from collections import Counter, OrderedDict, defaultdict
from decimal import Decimal

import pytest
from value_kinds import Colour, MyDict, MyFloat, MyInt, MyList, MyStr, MyTuple, Point

from shmstate import MAX_DEPTH, MAX_SAFE_INTEGER, ShmStateEncodeError, _native, codec, encode


def walk_accepts(value: object) -> bool:
    try:
        codec._check(value, 0)
    except codec._Refused:
        return False
    return True


def nested_lists(levels: int) -> object:
    value: object = 0
    for _ in range(levels):
        value = [value]
    return value


def nested_dicts(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"d": value}
    return value


def nested_mixed(levels: int) -> object:
    """A list in a tuple in a dict in a list ...: one container per level."""
    value: object = None
    for level in range(levels):
        value = ([value], (value,), {"m": value})[level % 3]
    return value


def list_cycle() -> list:
    loop: list = []
    loop.append(loop)
    return loop


def dict_cycle() -> dict:
    loop: dict = {"a": 1}
    loop["self"] = loop
    return loop


def cycle_through_a_list() -> dict:
    outer: dict = {"items": []}
    outer["items"].append({"back": outer})
    return outer


class ReportsNaN(list):
    """Its storage is fine, but iterating it (what the walk does) yields NaN."""

    def __iter__(self):
        return iter([float("nan")])


def short_id(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{type(value).__name__}:{text[:30]}..."


VALID = [
    None,
    True,
    False,
    0,
    -1,
    MAX_SAFE_INTEGER,
    -MAX_SAFE_INTEGER,
    0.0,
    -0.0,
    1e300,
    5e-324,
    "",
    "h\u00e9llo \u2603 \U0001f600",
    "\ud800",  # inside the dialect's structure; refused later, by the UTF-8 encode
    [],
    {},
    (),
    {"t": (1, [2, {"b": None}])},
    [True, False, None, 1, 1.5, "s"],
    {"": [], "k": {}},
    nested_lists(MAX_DEPTH),
    nested_dicts(MAX_DEPTH),
    nested_mixed(MAX_DEPTH),
    OrderedDict(a=1, b=[2.5]),
    defaultdict(list, a=[1]),
    Counter("abc"),
    MyDict(a=MyList([MyTuple((1, 2))])),
    Point(1, 2.5),
    {MyStr("key"): MyStr("value")},
    MyInt(MAX_SAFE_INTEGER),
    MyFloat(2.5),
    Colour.RED,
    [Colour.RED, {"c": Colour.RED}],
]

INVALID = [
    2**53,
    -(2**53),
    2**64,
    -(2**100),
    float("nan"),
    float("inf"),
    float("-inf"),
    {"x": [1, float("nan")]},
    nested_lists(MAX_DEPTH + 1),
    nested_dicts(MAX_DEPTH + 1),
    nested_mixed(MAX_DEPTH + 1),
    {1: "one"},
    {True: 1},
    {None: 1},
    {1.5: 1},
    {(1, 2): 1},
    {"ok": {"fine": 1, 2: "bad"}},
    set(),
    {1, 2},
    frozenset(),
    b"",
    b"raw",
    bytearray(b"x"),
    memoryview(b"x"),
    object(),
    1j,
    Decimal(1),
    {"f": print},
    list_cycle(),
    dict_cycle(),
    cycle_through_a_list(),
    MyInt(2**53),
    MyFloat("nan"),
    MyDict(a=float("inf")),
    MyList([{1}]),
    MyTuple(([b"x"],)),
    OrderedDict([("a", 1), (2, "b")]),
    Point(1, float("nan")),
    ReportsNaN([1]),
]


@pytest.mark.parametrize("value", VALID, ids=short_id)
def test_the_check_and_the_walk_both_accept(value):
    assert walk_accepts(value)
    assert _native.dialect_ok(value) is True


@pytest.mark.parametrize("value", INVALID, ids=short_id)
def test_the_check_and_the_walk_both_refuse(value):
    assert not walk_accepts(value)
    assert _native.dialect_ok(value) is False
    with pytest.raises(ShmStateEncodeError):
        encode(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"k": {True: 1}}, "state.k has a non-string key True (bool)"),
        ({"n": [2**53]}, "state.n[0] is 9007199254740992, beyond the safe integer range"),
        ({"z": [0, -0.0, float("-inf")]}, "state.z[2] is -Infinity"),
        ({"y": bytearray(b"x")}, "state.y is bytes"),
        ({"p": Point(1, float("nan"))}, "state.p[1] is NaN"),
        (ReportsNaN([1]), "state[0] is NaN"),
        (nested_dicts(MAX_DEPTH + 1), "state" + ".d" * MAX_DEPTH + " nests deeper than 64"),
        (dict_cycle(), "state" + ".self" * MAX_DEPTH + " nests deeper than 64 levels"),
    ],
)
def test_refusals_are_worded_by_the_walk(value, message):
    with pytest.raises(ShmStateEncodeError) as caught:
        encode(value)
    assert str(caught.value).startswith(message)


class ComparesItself(int):
    """An int whose own comparisons the walk runs; the C check leaves it to the walk."""

    def __le__(self, other):
        return int(self) <= other

    def __ge__(self, other):
        return int(self) >= other


class ClaimsToBeADict:
    """isinstance() says dict through __class__; only the walk can judge it."""

    __class__ = dict  # type: ignore[assignment]

    def items(self):
        return iter([("a", 1)])


def test_an_int_subclass_with_its_own_comparisons_is_left_to_the_walk():
    assert _native.dialect_ok(ComparesItself(7)) is False
    assert walk_accepts(ComparesItself(7))
    assert encode({"n": ComparesItself(7)}) == b'{"n":7}'


def test_an_object_that_claims_a_type_is_left_to_the_walk():
    assert _native.dialect_ok(ClaimsToBeADict()) is False
    assert walk_accepts(ClaimsToBeADict())


class StrClaimingDict(str):
    """A str whose __class__ says dict: isinstance(value, dict) is True for the walk."""

    @property  # type: ignore[misc]
    def __class__(self):
        return dict


def test_a_subclass_whose_class_is_not_its_type_is_left_to_the_walk():
    sneaky = StrClaimingDict("text")
    assert isinstance(sneaky, dict)
    assert _native.dialect_ok(sneaky) is False
    assert _native.dialect_ok({"s": sneaky}) is False
    assert _native.dialect_ok(MyStr("text")) is True


def test_an_error_raised_by_a_container_s_own_items_propagates():
    class BrokenItems(dict):
        def items(self):
            raise RuntimeError("items() failed")

    with pytest.raises(RuntimeError, match="items"):
        _native.dialect_ok({"ok": BrokenItems(a=1)})
    with pytest.raises(RuntimeError, match="items"):
        encode({"ok": BrokenItems(a=1)})


def emptied_while_checked() -> list:
    """A state whose first item, when iterated, empties the state (and frees the rest)."""
    state: list = []

    class EmptiesTheState(list):
        def __iter__(self):
            state.clear()
            return super().__iter__()

    state.extend([EmptiesTheState([1.5]), {"never reached": [float("nan")]}])
    return state


def test_a_list_emptied_while_it_is_checked_is_read_safely():
    # The check re-reads the length and holds the item it is in: nothing freed is read.
    assert walk_accepts(emptied_while_checked())
    assert _native.dialect_ok(emptied_while_checked()) is True


def test_the_c_limits_are_the_codec_limits():
    assert _native.DIALECT_MAX_DEPTH == MAX_DEPTH
    assert _native.DIALECT_MAX_SAFE_INTEGER == MAX_SAFE_INTEGER


def test_encode_writes_what_json_dumps_writes():
    state = {"a": [1, -0.0, 1e300, "\u00e9\U0001f600", None, True, (1, 2)], "b": {"c": {}}}
    expected = json.dumps(state, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert encode(state) == expected.encode("utf-8")
    assert encode("top-level string") == b'"top-level string"'
