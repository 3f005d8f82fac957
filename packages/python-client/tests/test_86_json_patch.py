"""RFC 6902 JSON Patch (shmstate.json_patch.apply_patch): every example of RFC 6902
Appendix A, every op and error, structural sharing and read-only results, atomicity and
the encoded-size helper."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from shmstate import MAX_DEPTH, ShmStateEncodeError, ShmStatePatchError, encode
from shmstate.frozen import FrozenDict, FrozenList, freeze
from shmstate.json_patch import apply_patch, apply_patch_with_size, json_equal

# RFC 6902 Appendix A: (section, document, patch, expected result or None for an error).
APPENDIX_A: list[tuple[str, Any, Any, Any]] = [
    ("A.1", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
     {"baz": "qux", "foo": "bar"}),
    ("A.2", {"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
     {"foo": ["bar", "qux", "baz"]}),
    ("A.3", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ("A.4", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
     {"foo": ["bar", "baz"]}),
    ("A.5", {"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}],
     {"baz": "boo", "foo": "bar"}),
    ("A.6", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("A.7", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("A.8", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("A.9", {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], None),
    ("A.10", {"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("A.11", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
     {"foo": "bar", "baz": "qux"}),
    ("A.12", {"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], None),
    # A.13: a duplicate "op" member; read as JSON text the last one wins (remove), and
    # there is no /baz to remove, so the patch fails as the RFC requires.
    ("A.13", {"foo": "bar"}, '[{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}]',
     None),
    ("A.14", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}],
     {"/": 9, "~1": 10}),
    ("A.15", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], None),
    ("A.16", {"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
]  # fmt: skip


@pytest.mark.parametrize(("section", "doc", "patch", "expected"), APPENDIX_A)
def test_rfc_6902_appendix_a(section: str, doc: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy(doc)
    if expected is None:
        with pytest.raises(ShmStatePatchError):
            apply_patch(doc, patch)
    else:
        assert json_equal(apply_patch(doc, patch), expected), section
    assert doc == before  # never changed in place


def patched(doc: Any, *ops: dict[str, Any]) -> Any:
    return apply_patch(doc, list(ops))


def refused(doc: Any, *ops: dict[str, Any], match: str) -> ShmStatePatchError:
    with pytest.raises(ShmStatePatchError, match=match) as raised:
        apply_patch(doc, list(ops))
    assert raised.value.code == "E_PATCH"
    return raised.value


# -- each op ---------------------------------------------------------------------------


def test_add_replaces_an_existing_member() -> None:
    assert patched({"a": 1}, {"op": "add", "path": "/a", "value": 2}) == {"a": 2}


def test_add_at_the_root_replaces_the_state() -> None:
    assert patched({"a": 1}, {"op": "add", "path": "", "value": [1]}) == [1]


def test_add_with_dash_appends() -> None:
    assert patched([1, 2], {"op": "add", "path": "/-", "value": 3}) == [1, 2, 3]


def test_add_at_the_array_length_appends() -> None:
    assert patched([1, 2], {"op": "add", "path": "/2", "value": 3}) == [1, 2, 3]


def test_add_past_the_array_length_is_refused() -> None:
    refused([1, 2], {"op": "add", "path": "/3", "value": 3}, match="out of range")


def test_numeric_looking_keys_of_an_object_are_keys() -> None:
    doc = {"0": "zero", "01": "x"}
    assert patched(doc, {"op": "replace", "path": "/01", "value": "y"}) == {"0": "zero", "01": "y"}
    assert patched(doc, {"op": "add", "path": "/-", "value": 1})["-"] == 1


def test_escaped_keys_are_unescaped() -> None:
    doc = {"a/b": 1, "m~n": 2}
    assert patched(doc, {"op": "remove", "path": "/a~1b"}) == {"m~n": 2}
    assert patched(doc, {"op": "replace", "path": "/m~0n", "value": 3}) == {"a/b": 1, "m~n": 3}


def test_the_empty_key() -> None:
    assert patched({"": 1}, {"op": "replace", "path": "/", "value": 2}) == {"": 2}


def test_remove_from_an_array_shifts_the_rest() -> None:
    assert patched([1, 2, 3], {"op": "remove", "path": "/0"}) == [2, 3]


def test_remove_of_the_root_is_refused() -> None:
    refused({"a": 1}, {"op": "remove", "path": ""}, match="cannot remove the whole state")


def test_remove_of_a_missing_member_is_refused() -> None:
    refused({"a": 1}, {"op": "remove", "path": "/b"}, match="names nothing")


def test_remove_with_dash_is_refused() -> None:
    refused([1], {"op": "remove", "path": "/-"}, match='"-" names no item')


def test_replace_of_a_missing_member_is_refused() -> None:
    refused({"a": 1}, {"op": "replace", "path": "/b", "value": 1}, match="names nothing")


def test_replace_of_the_root() -> None:
    assert patched({"a": 1}, {"op": "replace", "path": "", "value": 5}) == 5


def test_replace_of_an_array_item() -> None:
    assert patched([1, 2], {"op": "replace", "path": "/1", "value": 9}) == [1, 9]


def test_move_to_the_same_path_is_a_no_op() -> None:
    doc = {"a": {"b": 1}}
    assert patched(doc, {"op": "move", "from": "/a", "path": "/a"}) == doc


def test_move_from_a_missing_location_is_refused() -> None:
    refused({"a": 1}, {"op": "move", "from": "/b", "path": "/c"}, match="names nothing")


def test_move_into_its_own_child_is_refused() -> None:
    refused({"a": {"b": {}}}, {"op": "move", "from": "/a", "path": "/a/b/c"}, match="own child")


def test_move_of_the_root_into_a_child_is_refused() -> None:
    refused({"a": {}}, {"op": "move", "from": "", "path": "/a/x"}, match="own child")


def test_move_to_a_sibling_with_a_common_prefix_is_allowed() -> None:
    assert patched({"a": 1}, {"op": "move", "from": "/a", "path": "/ab"}) == {"ab": 1}


def test_move_within_an_array() -> None:
    assert patched([1, 2, 3], {"op": "move", "from": "/0", "path": "/-"}) == [2, 3, 1]


def test_move_of_an_object_keeps_the_object() -> None:
    inner = {"x": [1]}
    result = patched({"a": inner, "b": {}}, {"op": "move", "from": "/a", "path": "/b/c"})
    assert result == {"b": {"c": {"x": [1]}}}
    assert result["b"]["c"] is inner


def test_copy_puts_the_same_value_in_two_places() -> None:
    result = patched({"a": {"x": 1}}, {"op": "copy", "from": "/a", "path": "/b"})
    assert result == {"a": {"x": 1}, "b": {"x": 1}}


def test_a_change_after_a_copy_does_not_show_in_the_other_copy() -> None:
    result = patched(
        {"a": {"x": {"y": 1}}},
        {"op": "add", "path": "/a/x/z", "value": 2},  # /a and /a/x are built by this patch
        {"op": "copy", "from": "/a", "path": "/b"},
        {"op": "replace", "path": "/b/x/y", "value": 3},
    )
    assert result == {"a": {"x": {"y": 1, "z": 2}}, "b": {"x": {"y": 3, "z": 2}}}


def test_copy_from_a_missing_location_is_refused() -> None:
    refused({"a": 1}, {"op": "copy", "from": "/b", "path": "/c"}, match="names nothing")


def test_test_compares_objects_regardless_of_member_order() -> None:
    doc = {"a": {"x": 1, "y": [1, 2]}}
    patched(doc, {"op": "test", "path": "/a", "value": {"y": [1, 2], "x": 1}})


def test_test_compares_arrays_item_by_item() -> None:
    patched({"a": [1, {"b": 2}]}, {"op": "test", "path": "/a", "value": [1, {"b": 2}]})
    refused({"a": [1, 2]}, {"op": "test", "path": "/a", "value": [2, 1]}, match="test failed")
    refused({"a": [1, 2]}, {"op": "test", "path": "/a", "value": [1, 2, 3]}, match="test failed")


def test_test_true_is_not_one() -> None:
    refused({"a": 1}, {"op": "test", "path": "/a", "value": True}, match="test failed")
    refused({"a": [True]}, {"op": "test", "path": "/a", "value": [1]}, match="test failed")


def test_test_one_equals_one_point_zero() -> None:
    patched({"a": 1}, {"op": "test", "path": "/a", "value": 1.0})


def test_test_null_is_not_missing() -> None:
    patched({"a": None}, {"op": "test", "path": "/a", "value": None})
    refused({"a": None}, {"op": "test", "path": "/b", "value": None}, match="names nothing")


def test_test_of_the_root() -> None:
    patched({"a": 1}, {"op": "test", "path": "", "value": {"a": 1}})


def test_json_equal_tuples_are_arrays() -> None:
    assert json_equal((1, 2), [1, 2])
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal("1", 1)
    assert not json_equal(None, False)


# -- malformed ops and the error message -------------------------------------------------


@pytest.mark.parametrize(
    ("op", "match"),
    [
        ({"path": "/a"}, 'no "op" member'),
        ({"op": "frob", "path": "/a"}, "unknown op"),
        ({"op": "add", "value": 1}, 'needs a "path" member'),
        ({"op": "add", "path": "/a"}, 'needs a "value" member'),
        ({"op": "replace", "path": "/a"}, 'needs a "value" member'),
        ({"op": "test", "path": "/a"}, 'needs a "value" member'),
        ({"op": "move", "path": "/a"}, 'needs a "from" member'),
        ({"op": "copy", "path": "/a"}, 'needs a "from" member'),
        ({"op": "add", "path": 3, "value": 1}, '"path" must be a string'),
        ({"op": "add", "path": "a", "value": 1}, 'starts with "/"'),
        ({"op": "add", "path": "/~2", "value": 1}, "not followed by 0 or 1"),
    ],
)
def test_a_malformed_op_is_refused(op: dict[str, Any], match: str) -> None:
    refused({"a": 1}, op, match=match)


def test_an_op_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ShmStatePatchError, match="an op is an object"):
        apply_patch({}, [["add", "/a", 1]])  # type: ignore[list-item]


def test_a_patch_that_is_not_an_array_is_refused() -> None:
    with pytest.raises(ShmStatePatchError, match="a patch is an array"):
        apply_patch({}, {"op": "add"})  # type: ignore[arg-type]


def test_a_patch_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(ShmStatePatchError, match="not JSON text"):
        apply_patch({}, "[{")


def test_a_patch_may_be_json_text() -> None:
    assert apply_patch({}, b'[{"op":"add","path":"/a","value":1}]') == {"a": 1}


def test_the_error_names_the_op_index_the_op_and_the_reason() -> None:
    error = refused(
        {"a": [1]},
        {"op": "test", "path": "/a/0", "value": 1},
        {"op": "add", "path": "/a/01", "value": 2},
        match="leading zero",
    )
    assert str(error).startswith('op 1 {"op":"add","path":"/a/01","value":2}: ')
    assert str(error).endswith("(E_PATCH)")


def test_a_pointer_through_a_scalar_names_nothing() -> None:
    refused({"a": 1}, {"op": "add", "path": "/a/b", "value": 2}, match="not a container")


def test_an_index_into_an_object_is_a_key() -> None:
    refused({"a": {}}, {"op": "remove", "path": "/a/0"}, match="no member '0'")


# -- the dialect ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), 2**53, {"a": {1, 2}}, [b"x"], "\ud800", {1: 2}]
)
def test_a_value_outside_the_dialect_is_e_encode_naming_the_op(value: Any) -> None:
    with pytest.raises(ShmStateEncodeError, match=r"^op 0 .*outside the JSON dialect") as raised:
        apply_patch({"a": 1}, [{"op": "add", "path": "/b", "value": value}])
    assert raised.value.code == "E_ENCODE"


def test_a_key_outside_the_dialect_is_e_encode() -> None:
    with pytest.raises(ShmStateEncodeError, match="key"):
        apply_patch({}, [{"op": "add", "path": "/\ud800", "value": 1}])


def nested(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


def test_a_value_nesting_too_deep_at_its_place_is_e_encode() -> None:
    doc = {"a": {"b": {}}}
    patched(doc, {"op": "add", "path": "/a/b/c", "value": nested(MAX_DEPTH - 3)})
    with pytest.raises(ShmStateEncodeError, match="deeper than 64"):
        patched(doc, {"op": "add", "path": "/a/b/c", "value": nested(MAX_DEPTH - 2)})


def test_a_move_too_deep_is_e_encode() -> None:
    doc = {"a": nested(MAX_DEPTH - 1), "b": {"c": {}}}
    with pytest.raises(ShmStateEncodeError, match="deeper than 64"):
        patched(doc, {"op": "move", "from": "/a", "path": "/b/c/d"})
    with pytest.raises(ShmStateEncodeError, match="deeper than 64"):
        patched(doc, {"op": "copy", "from": "/a", "path": "/b/c/d"})
    patched(doc, {"op": "copy", "from": "/a", "path": "/z"})


# -- atomicity ---------------------------------------------------------------------------


def test_a_failing_op_leaves_the_state_unchanged() -> None:
    doc = {"a": {"b": [1, 2]}, "c": 1}
    before = copy.deepcopy(doc)
    with pytest.raises(ShmStatePatchError, match=r"^op 2 "):
        apply_patch(
            doc,
            [
                {"op": "add", "path": "/a/b/-", "value": 3},
                {"op": "remove", "path": "/c"},
                {"op": "test", "path": "/a/b/0", "value": 9},
            ],
        )
    assert doc == before and encode(doc) == encode(before)


def test_the_input_state_is_never_changed() -> None:
    doc = freeze({"a": {"b": [1, 2]}})
    patched(doc, {"op": "remove", "path": "/a/b/0"}, {"op": "add", "path": "/a/c", "value": 1})
    assert doc == {"a": {"b": [1, 2]}}


def test_an_added_value_is_copied_not_shared_with_the_caller() -> None:
    value = {"x": [1]}
    result = patched({}, {"op": "add", "path": "/v", "value": value})
    value["x"].append(2)
    assert result == {"v": {"x": [1]}}


# -- structural sharing ------------------------------------------------------------------


def sample() -> Any:
    return freeze({"a": {"b": {"x": 1}, "s": [1, 2]}, "c": {"d": [3]}, "e": [{"f": 1}]})


def test_only_containers_on_the_path_are_copied() -> None:
    old = sample()
    new = patched(old, {"op": "replace", "path": "/a/b/x", "value": 2})
    assert new is not old and new["a"] is not old["a"] and new["a"]["b"] is not old["a"]["b"]
    assert new["a"]["s"] is old["a"]["s"]
    assert new["c"] is old["c"] and new["e"] is old["e"]
    assert old["a"]["b"]["x"] == 1 and new["a"]["b"]["x"] == 2


def test_every_new_container_is_frozen() -> None:
    new = patched(
        {"a": {"b": [1]}},  # plain, mutable input
        {"op": "add", "path": "/a/b/-", "value": {"v": [1, {"w": 2}]}},
    )
    assert type(new) is FrozenDict and type(new["a"]) is FrozenDict
    assert type(new["a"]["b"]) is FrozenList
    assert type(new["a"]["b"][1]) is FrozenDict and type(new["a"]["b"][1]["v"]) is FrozenList
    assert type(new["a"]["b"][1]["v"][1]) is FrozenDict


def test_mutating_a_patched_state_raises() -> None:
    # Shared subtrees are the input's: freeze() the state once, patches keep it frozen.
    new = patched(freeze({"a": {"b": [1]}}), {"op": "add", "path": "/a/c", "value": 1})
    with pytest.raises(TypeError):
        new["a"]["c"] = 2
    with pytest.raises(TypeError):
        new["a"]["b"].append(2)


def test_several_ops_on_one_container_copy_it_once() -> None:
    old = sample()
    new = patched(
        old,
        {"op": "add", "path": "/a/b/y", "value": 1},
        {"op": "add", "path": "/a/b/z", "value": 2},
    )
    assert new["a"]["b"] == {"x": 1, "y": 1, "z": 2}
    assert old["a"]["b"] == {"x": 1}


def test_an_empty_patch_returns_the_same_state() -> None:
    old = sample()
    assert apply_patch(old, []) is old


# -- encoded size ------------------------------------------------------------------------


SIZE_CASES: list[list[dict[str, Any]]] = [
    [{"op": "add", "path": "/new", "value": {"k": "é", "l": [1.5, None]}}],
    [{"op": "add", "path": "/a/b", "value": 1}],  # replaces a member
    [{"op": "add", "path": "/empty/k", "value": 1}],  # first member: no comma
    [{"op": "add", "path": "/list/0", "value": "x"}],
    [{"op": "add", "path": "/none/-", "value": "x"}],  # first item: no comma
    [{"op": "remove", "path": "/a/b"}],
    [{"op": "remove", "path": "/one/0"}],  # last item: no comma
    [{"op": "remove", "path": "/list/1"}],
    [{"op": "remove", "path": "/single/only"}],  # last member
    [{"op": "replace", "path": "/a/c", "value": [1, 2, 3]}],
    [{"op": "replace", "path": "", "value": "whole"}],
    [{"op": "move", "from": "/a/b", "path": "/moved~1key"}],
    [{"op": "move", "from": "/list/0", "path": "/none/0"}],
    [{"op": "copy", "from": "/a", "path": "/a2"}],
    [{"op": "test", "path": "/a/b", "value": {"z": "q"}}],
]


@pytest.mark.parametrize("ops", SIZE_CASES)
def test_size_delta_agrees_with_the_encoded_length(ops: list[dict[str, Any]]) -> None:
    doc = {
        "a": {"b": {"z": "q"}, "c": "ü"},
        "empty": {},
        "list": [1, "two", 3.5],
        "none": [],
        "one": [True],
        "single": {"only": -0.0},
    }
    new, delta = apply_patch_with_size(doc, ops)
    assert delta == len(encode(new)) - len(encode(doc))


def test_size_delta_of_a_whole_patch_is_the_sum() -> None:
    doc = {"a": [1, 2], "b": "x"}
    ops = [
        {"op": "add", "path": "/a/-", "value": 3},
        {"op": "remove", "path": "/b"},
        {"op": "add", "path": "/c", "value": {"d": "e"}},
    ]
    new, delta = apply_patch_with_size(doc, ops)
    assert delta == len(encode(new)) - len(encode(doc))
    assert json.loads(encode(new)) == {"a": [1, 2, 3], "c": {"d": "e"}}
