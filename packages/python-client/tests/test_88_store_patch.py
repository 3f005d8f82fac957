"""Store.patch(): RFC 6902 through a store. Every case states the result or the error, and
that a failed patch leaves version and state alone."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from shmstate import (
    ShmStateEncodeError,
    ShmStatePatchError,
    Store,
)

# RFC 6902 Appendix A and a case or more for every op and error, shared with the Node
# tests (packages/core/test/patch.test.ts): test/fixtures/json-patch-cases.json. Each case
# has a document, a patch (or patchText, JSON text kept as written: A.13 has a duplicate
# member, which a Python dict cannot hold) and the state after or the error's code.
_CASES_FILE = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "json-patch-cases.json"
CASES: list[dict[str, Any]] = json.loads(_CASES_FILE.read_text(encoding="utf-8"))["cases"]
_ERRORS = {"E_PATCH": ShmStatePatchError}


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


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_json_patch_cases_through_the_store(name, case):
    document = case["doc"]
    ops = json.loads(case["patchText"]) if "patchText" in case else case["patch"]
    with Store.create(name, document) as store, Store.open(name) as reader:
        if "error" in case:
            assert_refused(store, ops, _ERRORS[case["error"]])
            assert reader.get() == document
            return
        version = store.patch(ops)
        assert store.get() == case["expected"]
        assert reader.snapshot() == (version, case["expected"])


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
