"""The dialect, as the one encoder (_native.encode, shmstate.encode) judges it: every value
inside it encodes to what json.dumps writes, every value outside it is refused with
ShmStateEncodeError naming its path. Subclasses are judged like their base, by their type
(as json's own encoder judges them), and by what their items() or iteration yields."""

from __future__ import annotations

import datetime
import json
import random
from collections import Counter, OrderedDict, defaultdict
from decimal import Decimal

import pytest

from shmstate import MAX_DEPTH, MAX_SAFE_INTEGER, ShmStateEncodeError, _native, encode
from value_kinds import Colour, MyDict, MyFloat, MyInt, MyList, MyStr, MyTuple, Point


def json_encode(value: object) -> bytes:
    """The definition: what json.dumps writes with the dialect's settings, as UTF-8."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


def refusal(value: object) -> str:
    with pytest.raises(ShmStateEncodeError) as caught:
        encode(value)
    assert caught.value.code == "E_ENCODE"
    return str(caught.value)


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
    """Its storage is fine, but iterating it (what the encoder, like json, does) yields NaN."""

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
    "\ud800",  # a lone surrogate: no UTF-8 form
    {"k": ["\udfff"]},
]


@pytest.mark.parametrize("value", VALID, ids=short_id)
def test_values_inside_the_dialect_encode_as_json_dumps_writes_them(value):
    assert encode(value) == json_encode(value)


@pytest.mark.parametrize("value", INVALID, ids=short_id)
def test_values_outside_the_dialect_are_refused(value):
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
def test_refusals_name_the_path_and_the_reason(value, message):
    with pytest.raises(ShmStateEncodeError) as caught:
        encode(value)
    assert str(caught.value).startswith(message)


class ComparesItself(int):
    """An int with comparisons of its own."""

    def __le__(self, other):
        return int(self) <= other

    def __ge__(self, other):
        return int(self) >= other


class ClaimsToBeInRange(int):
    """An int whose comparisons say it is in any range: judged by its value regardless."""

    def __le__(self, other):
        return True

    def __ge__(self, other):
        return True


def test_an_int_subclass_is_judged_by_its_value_not_its_own_comparisons():
    assert encode({"n": ComparesItself(7)}) == b'{"n":7}'
    assert "state.n is 9007199254740992, beyond" in refusal({"n": ClaimsToBeInRange(2**53)})


class ClaimsToBeADict:
    """isinstance() says dict through __class__; its type says otherwise."""

    __class__ = dict  # type: ignore[assignment]

    def items(self):
        return iter([("a", 1)])


def test_an_object_that_claims_a_type_is_judged_by_its_type():
    # json.dumps refuses it too (TypeError): it is no dict.
    assert isinstance(ClaimsToBeADict(), dict)
    assert refusal({"c": ClaimsToBeADict()}).startswith(
        "state.c is of unsupported type test_81_dialect_check.ClaimsToBeADict"
    )


class StrClaimingDict(str):
    """A str whose __class__ says dict: isinstance(value, dict) is True."""

    @property  # type: ignore[misc]
    def __class__(self):
        return dict


def test_a_subclass_whose_class_is_not_its_type_is_judged_by_its_type():
    sneaky = StrClaimingDict("text")
    assert isinstance(sneaky, dict)
    assert encode(sneaky) == json_encode(sneaky) == b'"text"'
    assert encode({"s": sneaky}) == b'{"s":"text"}'
    assert encode(MyStr("text")) == b'"text"'


def test_an_error_raised_by_a_container_s_own_items_propagates():
    class BrokenItems(dict):
        def items(self):
            raise RuntimeError("items() failed")

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


def test_a_list_emptied_while_it_is_encoded_is_read_safely():
    # The encoder re-reads the length and holds the item it is in: nothing freed is read.
    # (json.dumps itself reads the freed item here and may crash, so it is not compared.)
    assert encode(emptied_while_checked()) == b"[[1.5]]"


def test_the_c_limits_are_the_codec_limits():
    assert _native.DIALECT_MAX_DEPTH == MAX_DEPTH
    assert _native.DIALECT_MAX_SAFE_INTEGER == MAX_SAFE_INTEGER


def test_encode_writes_what_json_dumps_writes():
    state = {"a": [1, -0.0, 1e300, "\u00e9\U0001f600", None, True, (1, 2)], "b": {"c": {}}}
    expected = json.dumps(state, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    assert encode(state) == expected.encode("utf-8")
    assert encode("top-level string") == b'"top-level string"'


class Instant(datetime.datetime):
    pass


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"at": datetime.datetime(2026, 1, 2, 3, 4, 5)},
            "state.at is a datetime.datetime: JSON has no dates; "
            "store value.isoformat() or value.timestamp()",
        ),
        (
            {"at": [datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc)]},
            "state.at[0] is a datetime.datetime: JSON has no dates; "
            "store value.isoformat() or value.timestamp()",
        ),
        (
            {"day": datetime.date(2026, 1, 2)},
            "state.day is a datetime.date: JSON has no dates; store value.isoformat()",
        ),
        (
            {"t": datetime.time(12, 30)},
            "state.t is a datetime.time: JSON has no times; store value.isoformat()",
        ),
        (
            {"d": datetime.timedelta(seconds=3)},
            "state.d is a datetime.timedelta: JSON has no durations; store value.total_seconds()",
        ),
        (
            {"at": Instant(2026, 1, 2)},
            "state.at is a test_81_dialect_check.Instant: JSON has no dates; "
            "store value.isoformat() or value.timestamp()",
        ),
        ({"s": {1}}, "state.s is a set: JSON has no sets; convert it to a list"),
        ({"s": [frozenset()]}, "state.s[0] is a frozenset: JSON has no sets; convert it to a list"),
        (
            {"b": b"x"},
            "state.b is bytes: JSON has no bytes; "
            "store a str (value.decode() for text, base64 for binary data)",
        ),
        ({"m": memoryview(b"x")}, "state.m is bytes: JSON has no bytes"),
        ({"d": Decimal("1.5")}, "state.d is of unsupported type decimal.Decimal (E_ENCODE)"),
    ],
    ids=lambda item: item if isinstance(item, str) else "",
)
def test_refusals_of_common_types_say_what_to_store_instead(value, message):
    assert refusal(value).startswith(message)


def test_a_key_with_a_lone_surrogate_is_named_by_its_escape():
    # The message stays printable (valid Unicode): the surrogate is shown as \udfff.
    message = refusal({"ok": {'a\udfff"\n': 1}})
    assert message.startswith(
        'state.ok["a\\udfff\\"\\n"] is a string with a lone surrogate (not valid Unicode)'
    )
    message.encode("utf-8")


def test_items_that_are_not_pairs_are_refused():
    class Odd(dict):
        def items(self):
            return [("a", 1, 2)]

    assert refusal({"o": Odd(a=1)}).startswith(
        "state.o is of type Odd, whose items() yields something other than (key, value) pairs"
    )


class EmptyButItemsSaySomething(dict):
    def items(self):
        return [("a", float("nan"))]


class IterSaysOtherwise(list):
    def __iter__(self):
        return iter([1, "two"])


class OwnRepr(int):
    def __repr__(self):
        return "not a number"


class OwnFloatRepr(float):
    def __repr__(self):
        return "not a number"


class OwnStr(str):
    def __str__(self):
        return "not this"


@pytest.mark.parametrize(
    "value",
    [
        EmptyButItemsSaySomething(),  # json writes {} without asking items()
        MyDict(a=EmptyButItemsSaySomething()),
        IterSaysOtherwise([]),
        IterSaysOtherwise([9, 9, 9]),
        OwnRepr(5),
        OwnFloatRepr(2.5),
        OwnStr("text"),
        {OwnStr("key"): OwnRepr(-3)},
        Counter(a=2),
        defaultdict(list, k=[Colour.RED]),
        MyTuple((MyInt(1), MyFloat(-0.0))),
    ],
    ids=short_id,
)
def test_subclasses_encode_as_json_dumps_writes_them(value):
    assert encode(value) == json_encode(value)


def reference_path(steps: list[str | int]) -> str:
    """How a path is written (the Python definition the encoder replaced)."""
    parts = ["state"]
    for step in steps:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step.isidentifier() and step.isascii():
            parts.append(f".{step}")
        else:
            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


KEYS = [
    "a",
    "_b1",
    "B_",
    "1a",
    "",
    "a b",
    "a.b",
    "é",
    "ключ",
    '"q"',
    "back\\slash",
    "tab\t",
    "\x00",
]
BAD = [
    (float("nan"), "is NaN"),
    (2**60, "is 1152921504606846976, beyond the safe integer range +-(2^53-1)"),
    ({2: 1}, "has a non-string key 2 (int)"),
    (object(), "is of unsupported type object"),
    ("\ud800", "is a string with a lone surrogate (not valid Unicode)"),
]


def test_the_path_of_a_refusal_anywhere_in_a_random_state():
    rng = random.Random(64)
    for _ in range(500):
        steps: list[str | int] = []
        bad, reason = rng.choice(BAD)
        value: object = bad
        for _ in range(rng.randrange(6)):
            if rng.random() < 0.5:
                index = rng.randrange(3)
                items: list[object] = [rng.choice([1, "x", None, 2.5]) for _ in range(index)]
                wrapper = rng.choice([list, tuple, MyList])
                value = wrapper([*items, value, 0])
                steps.append(index)
            else:
                key = rng.choice(KEYS)
                wrapper = rng.choice([dict, OrderedDict, MyDict])
                value = wrapper({"before": 1, key: value} if key != "before" else {key: value})
                steps.append(key)
        expected = f"{reference_path(steps[::-1])} {reason} (E_ENCODE)"
        assert refusal(value) == expected


def test_a_state_changed_while_it_is_encoded_is_read_safely():
    # Code run by a subclass's __iter__ empties the containers above it: the encoder holds
    # what it walks and stops where the containers end now (no comparison with json,
    # which may read freed memory here).
    state: dict = {}

    class ClearsTheState(list):
        def __iter__(self):
            for value in state.values():
                if isinstance(value, list):
                    value.clear()
            state.clear()
            return iter([1])

    for _ in range(50):
        state.update(a=[ClearsTheState(), {"x": [1.5, "y"]}], b=[float("nan")], c=[2])
        assert encode(state) == b'{"a":[[1]]}'


def test_a_state_that_changes_between_the_two_passes_is_judged_by_the_second():
    # The first pass stops at the NaN; the careful pass, run to say why, meets a state
    # that no longer has it (iterating "a" the second time empties the state).
    state: dict = {}
    calls = []

    class ClearsTheSecondTime(list):
        def __iter__(self):
            calls.append(1)
            if len(calls) == 2:
                state["b"].clear()
                del state["b"]
            return iter([1])

    state.update(a=ClearsTheSecondTime(), b=[float("nan")])
    assert encode(state) == b'{"a":[1]}'
