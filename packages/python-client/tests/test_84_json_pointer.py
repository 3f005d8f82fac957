"""RFC 6901 JSON Pointers (shmstate.json_pointer): parse and format, escapes, array indices."""

from __future__ import annotations

import pytest

from shmstate import ShmStatePatchError
from shmstate.json_pointer import array_index, format_pointer, parse_pointer


def test_the_empty_pointer_is_the_root() -> None:
    assert parse_pointer("") == []
    assert format_pointer([]) == ""


def test_a_slash_alone_names_the_empty_key() -> None:
    assert parse_pointer("/") == [""]
    assert parse_pointer("//") == ["", ""]


def test_tilde_escapes_decode_one_before_zero() -> None:
    assert parse_pointer("/a~1b/m~0n") == ["a/b", "m~n"]
    assert parse_pointer("/~01") == ["~1"]  # not "/"
    assert parse_pointer("/~10") == ["/0"]


def test_format_escapes_tilde_before_slash() -> None:
    assert format_pointer(["a/b", "m~n", "~1", 3]) == "/a~1b/m~0n/~01/3"


@pytest.mark.parametrize("tokens", [["a"], ["", "x"], ["~", "/", "~/~1"], ["0", "-", "é"]])
def test_format_and_parse_round_trip(tokens: list[str]) -> None:
    assert parse_pointer(format_pointer(tokens)) == tokens


@pytest.mark.parametrize("pointer", ["a", "a/b", "#/a"])
def test_a_pointer_must_start_with_a_slash(pointer: str) -> None:
    with pytest.raises(ShmStatePatchError, match=f'pointer "{pointer}"') as raised:
        parse_pointer(pointer)
    assert raised.value.code == "E_PATCH"


@pytest.mark.parametrize("pointer", ["/~", "/a~2", "/~a", "/x/~"])
def test_a_tilde_must_be_followed_by_zero_or_one(pointer: str) -> None:
    with pytest.raises(ShmStatePatchError, match="not followed by 0 or 1"):
        parse_pointer(pointer)


def test_a_pointer_must_be_a_string() -> None:
    with pytest.raises(ShmStatePatchError):
        parse_pointer(3)  # type: ignore[arg-type]


def test_array_index_accepts_digits_within_range() -> None:
    assert array_index("/0", "0", 3, end_ok=False) == 0
    assert array_index("/2", "2", 3, end_ok=False) == 2


def test_array_index_end_only_for_add() -> None:
    assert array_index("/-", "-", 3, end_ok=True) == 3
    assert array_index("/3", "3", 3, end_ok=True) == 3
    with pytest.raises(ShmStatePatchError, match="out of range"):
        array_index("/3", "3", 3, end_ok=False)
    with pytest.raises(ShmStatePatchError, match='"-" names no item'):
        array_index("/-", "-", 3, end_ok=False)


@pytest.mark.parametrize("token", ["01", "00"])
def test_array_index_refuses_leading_zeros(token: str) -> None:
    with pytest.raises(ShmStatePatchError, match="leading zero"):
        array_index("/" + token, token, 5, end_ok=True)


@pytest.mark.parametrize("token", ["-1", "+1", "1.0", "a", "", " 1", "\u0661"])
def test_array_index_refuses_non_digits(token: str) -> None:
    with pytest.raises(ShmStatePatchError, match="not an array index"):
        array_index("/" + token, token, 5, end_ok=True)
