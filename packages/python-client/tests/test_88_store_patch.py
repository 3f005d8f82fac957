"""Store.patch(): RFC 6902 through a store. Every case states the result or the error, and
that a failed patch leaves version and state alone."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shmstate import (
    ShmStateEncodeError,
    ShmStatePatchError,
    Store,
)

# RFC 6902 Appendix A: (section, document, patch, expected state or None for an error).
APPENDIX_A: list[tuple[str, Any, list[dict[str, Any]], Any]] = [
    (
        "A.1 adding an object member",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (
        "A.2 adding an array element",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (
        "A.3 removing an object member",
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (
        "A.4 removing an array element",
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (
        "A.5 replacing a value",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6 moving a value",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7 moving an array element",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8 testing a value: success",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.9 testing a value: error",
        {"baz": "qux"},
        [{"op": "test", "path": "/baz", "value": "bar"}],
        None,
    ),
    (
        "A.10 adding a nested member object",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11 ignoring unrecognized elements",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (
        "A.12 adding to a nonexistent target",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz/bat", "value": "qux"}],
        None,
    ),
    (
        # The document repeats "op"; Python's json (like JSON.parse) keeps the last, so the
        # op is a "remove" of a member that is not there: an error either way.
        "A.13 invalid JSON patch document",
        {"foo": "bar"},
        [{"op": "remove", "path": "/baz", "value": "qux"}],
        None,
    ),
    (
        "A.14 ~ escape ordering",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (
        "A.15 comparing strings and numbers",
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": "10"}],
        None,
    ),
    (
        "A.16 adding an array value",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
]


def assert_refused(store: Store[Any], ops: Any, error: type[Exception], *words: str) -> None:
    """``ops`` raise ``error`` naming ``words``, and version and state stay as they were."""
    version, state = store.snapshot()
    commits = store.stats()["commits"]
    with pytest.raises(error) as caught:
        store.patch(ops)
    for word in words:
        assert word in str(caught.value)
    assert store.snapshot() == (version, state)
    assert store.stats()["commits"] == commits


@pytest.mark.parametrize(
    ("document", "ops", "expected"),
    [case[1:] for case in APPENDIX_A],
    ids=[case[0] for case in APPENDIX_A],
)
def test_rfc_6902_appendix_a_through_the_store(name, document, ops, expected):
    with Store.create(name, document) as store, Store.open(name) as reader:
        if expected is None:
            assert_refused(store, ops, ShmStatePatchError, "op 0")
            assert reader.get() == document
            return
        version = store.patch(ops)
        assert store.get() == expected
        assert reader.snapshot() == (version, expected)


def test_each_op_changes_the_state_as_rfc_6902_says(name):
    with Store.create(name, {"a": {"b": 1}, "list": [1, 2, 3]}) as store:
        assert store.patch([{"op": "add", "path": "/a/c", "value": [True, None]}]) == 2
        assert store.patch([{"op": "remove", "path": "/list/0"}]) == 3
        assert store.patch([{"op": "replace", "path": "/a/b", "value": 1.5}]) == 4
        assert store.patch([{"op": "copy", "from": "/a", "path": "/copied"}]) == 5
        assert store.patch([{"op": "move", "from": "/list", "path": "/a/moved"}]) == 6
        assert store.get() == {
            "a": {"b": 1.5, "c": [True, None], "moved": [2, 3]},
            "copied": {"b": 1.5, "c": [True, None]},
        }


def test_pointer_escapes_name_slashes_and_tildes(name):
    with Store.create(name, {"a/b": 1, "m~n": 2}) as store:
        store.patch(
            [
                {"op": "replace", "path": "/a~1b", "value": 10},
                {"op": "replace", "path": "/m~0n", "value": 20},
                {"op": "add", "path": "/~1~0", "value": 30},
            ]
        )
        assert store.get() == {"a/b": 10, "m~n": 20, "/~": 30}
        assert_refused(store, [{"op": "add", "path": "/~2", "value": 1}], ShmStatePatchError, "~")


def test_dash_appends_to_an_array_and_names_no_item_elsewhere(name):
    with Store.create(name, {"list": [1]}) as store:
        store.patch([{"op": "add", "path": "/list/-", "value": 2}])
        assert store.get() == {"list": [1, 2]}
        assert_refused(store, [{"op": "remove", "path": "/list/-"}], ShmStatePatchError, '"-"')
        assert_refused(
            store, [{"op": "replace", "path": "/list/-", "value": 0}], ShmStatePatchError, '"-"'
        )


def test_test_compares_arrays_and_objects_as_json(name):
    with Store.create(name, {"o": {"x": 1, "y": [1, 2.0]}, "b": True}) as store:
        # Member order does not matter; 2 and 2.0 are one number.
        ok = [{"op": "test", "path": "/o", "value": {"y": [1, 2], "x": 1.0}}]
        assert store.patch(ok) == 1
        assert_refused(
            store, [{"op": "test", "path": "/o/y", "value": [1, 2, 3]}], ShmStatePatchError
        )
        assert_refused(store, [{"op": "test", "path": "/b", "value": 1}], ShmStatePatchError)
        assert_refused(
            store, [{"op": "test", "path": "/o", "value": {"x": 1}}], ShmStatePatchError, "test"
        )


def test_a_patch_that_changes_nothing_commits_nothing(name):
    with Store.create(name, {"n": 1}) as store:
        assert store.patch([{"op": "test", "path": "/n", "value": 1}]) == 1
        assert store.patch([{"op": "replace", "path": "/n", "value": 1.0}]) == 1
        assert store.patch([]) == 1
        assert store.stats()["commits"] == 1


def test_moving_a_value_into_its_own_child_is_refused(name):
    with Store.create(name, {"a": {"b": {}}}) as store:
        assert_refused(
            store, [{"op": "move", "from": "/a", "path": "/a/b/c"}], ShmStatePatchError, "child"
        )


@pytest.mark.parametrize(
    ("ops", "words"),
    [
        ([{"path": "/a"}], 'no "op"'),
        ([{"op": "frobnicate", "path": "/a"}], "unknown op"),
        ([{"op": "add", "value": 1}], '"path"'),
        ([{"op": "add", "path": 3, "value": 1}], '"path" must be a string'),
        ([{"op": "add", "path": "/x"}], '"value"'),
        ([{"op": "move", "path": "/x"}], '"from"'),
        (["add"], "an op is an object"),
        ({"op": "add", "path": "/x", "value": 1}, "a list of ops"),
        ("[]", "a list of ops"),
        ([{"op": "add", "path": "a", "value": 1}], 'starts with "/"'),
        ([{"op": "remove", "path": ""}], "whole state"),
        ([{"op": "add", "path": "/list/01", "value": 1}], "leading zero"),
        ([{"op": "add", "path": "/list/9", "value": 1}], "out of range"),
    ],
    ids=[
        "no op",
        "unknown op",
        "no path",
        "path not a string",
        "no value",
        "no from",
        "op not an object",
        "not a list",
        "text",
        "pointer without slash",
        "remove the root",
        "leading zero",
        "index out of range",
    ],
)
def test_malformed_patches_are_refused_naming_the_op(name, ops, words):
    with Store.create(name, {"list": [0]}) as store:
        assert_refused(store, ops, ShmStatePatchError, words)


def test_the_error_names_the_failing_op_by_index(name):
    with Store.create(name, {"n": 0}) as store:
        ops = [
            {"op": "replace", "path": "/n", "value": 1},
            {"op": "remove", "path": "/missing"},
        ]
        assert_refused(store, ops, ShmStatePatchError, "op 1", "/missing")


@pytest.mark.parametrize(
    "value",
    [math.nan, {1, 2}, {"k": b"bytes"}, {1: "int key"}, 2**53],
    ids=["NaN", "set", "bytes", "int key", "unsafe int"],
)
def test_values_outside_the_dialect_are_refused_naming_the_op(name, value):
    with Store.create(name, {"n": 0}) as store:
        ops = [{"op": "add", "path": "/v", "value": value}]
        assert_refused(store, ops, ShmStateEncodeError, "op 0", "dialect")


def test_a_value_nested_past_the_limit_at_its_place_is_refused(name):
    deep: Any = 0
    for _ in range(64):  # 64 levels: the most a state may nest
        deep = [deep]
    with Store.create(name, {"n": 0}) as store:
        assert_refused(
            store, [{"op": "add", "path": "/deep", "value": deep}], ShmStateEncodeError, "op 0"
        )
        # At the root it fits (its patch text would nest too deep: a whole state goes).
        version = store.patch([{"op": "replace", "path": "", "value": deep}])
        with Store.open(name) as reader:
            assert reader.snapshot() == (version, deep)
