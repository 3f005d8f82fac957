"""Bad arguments, reported alike in Python and Node: ShmStateInvalidError (E_INVALID, also
a ValueError and a TypeError). The binding checks types and representability
("<argument> must be <kind>, got <value>"); ranges are the core's, in its words
("capacity is 10; it must be in [64, 1073741824]"); ranges only the binding knows read
"<argument> is <value>; it must be in [<min>, <max>]"."""

from __future__ import annotations

import math
import stat

import pytest

from helpers import shm_path
from shmstate import ShmStateInvalid, ShmStateInvalidError, Store

U64 = 2**64


def invalid(call) -> ShmStateInvalidError:
    with pytest.raises(ShmStateInvalidError) as caught:
        call()
    error = caught.value
    assert error.code == "E_INVALID"
    assert isinstance(error, ValueError)
    assert isinstance(error, TypeError)
    return error


def test_the_old_name_is_the_same_class():
    assert ShmStateInvalid is ShmStateInvalidError


CREATE_CASES = [
    # the core's ranges, in the core's words
    ({"capacity": 10}, "capacity is 10; it must be in [64, 1073741824]"),
    ({"capacity": 2**30 + 1}, "capacity is 1073741825; it must be in [64, 1073741824]"),
    ({"capacity": U64}, f"capacity is {U64}; it must be in [64, 1073741824]"),
    ({"mode": 0o400}, "mode is 0400; the owner needs read and write (0600)"),
    ({"mode": 0o200}, "mode is 0200; the owner needs read and write (0600)"),
    ({"mode": 0o666}, "mode is 0666; world-writable segments are refused at open"),
    ({"mode": 0o602}, "mode is 0602; world-writable segments are refused at open"),
    ({"mode": 0o1600}, "mode is 01600; only permission bits 0777 are allowed"),
    ({"mode": 0o4600}, "mode is 04600; only permission bits 0777 are allowed"),
    ({"mode": 2**32}, "mode is 040000000000; only permission bits 0777 are allowed"),
    ({"version": 0}, "initial version is 0; versions start at 1 or later"),
    # the binding's range
    ({"version": 2**53}, "version is 9007199254740992; it must be in [1, 9007199254740991]"),
    # types and representability
    ({"capacity": -1}, "capacity must be an int >= 0, got -1"),
    ({"capacity": "4096"}, "capacity must be an int, got '4096'"),
    ({"capacity": 4096.0}, "capacity must be an int, got 4096.0"),
    ({"capacity": True}, "capacity must be an int, got True"),
    ({"mode": -1}, "mode must be an int >= 0, got -1"),
    ({"mode": "600"}, "mode must be an int, got '600'"),
    ({"mode": False}, "mode must be an int, got False"),
    ({"version": None}, "version must be an int, got None"),
]


@pytest.mark.parametrize(("options", "message"), CREATE_CASES, ids=[m for _, m in CREATE_CASES])
@pytest.mark.parametrize("how", ["create", "open_or_create"])
def test_create_refuses_a_bad_argument_with_its_message_and_creates_nothing(
    name, how, options, message
):
    error = invalid(lambda: getattr(Store, how)(name, {}, **options))
    assert str(error) == f"{message} (E_INVALID)"
    assert not shm_path(name).exists()


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o644, 0o660, 0o664, 0o700, 0o750, 0o755])
def test_every_mode_the_core_accepts_is_accepted_and_exact(name, mode):
    Store.create(name, mode=mode).close()
    assert stat.S_IMODE(shm_path(name).stat().st_mode) == mode


def test_mode_0_is_the_core_default_0600(name):
    Store.create(name, mode=0).close()
    assert stat.S_IMODE(shm_path(name).stat().st_mode) == 0o600


@pytest.mark.parametrize("bad", [b"x", None, 3])
def test_a_name_that_is_not_a_str_is_invalid(bad):
    for call in (Store.create, Store.open, Store.open_or_create, Store.unlink):
        error = invalid(lambda call=call: call(bad))
        assert str(error) == f"name must be a str, got {bad!r} (E_INVALID)"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (-1, "max_retries is -1; it must be in [0, 9007199254740991]"),
        (2**53, "max_retries is 9007199254740992; it must be in [0, 9007199254740991]"),
        (True, "max_retries must be an int, got True"),
        (1.5, "max_retries must be an int, got 1.5"),
        ("3", "max_retries must be an int, got '3'"),
    ],
)
def test_update_refuses_a_bad_retry_bound(store, bad, message):
    error = invalid(lambda: store.update(lambda s: s, max_retries=bad))
    assert str(error) == f"{message} (E_INVALID)"
    assert store.version == 1


def test_update_refuses_a_function_that_is_not_callable(store):
    error = invalid(lambda: store.update(3))
    assert str(error) == "fn must be callable, got 3 (E_INVALID)"


def test_subscribe_refuses_a_callback_that_is_not_callable(store):
    error = invalid(lambda: store.subscribe("print"))
    assert str(error) == "callback must be callable, got 'print' (E_INVALID)"
    error = invalid(lambda: store.subscribe(print, on_error=1))
    assert str(error) == "on_error must be callable, got 1 (E_INVALID)"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (-1, "timeout is -1; it must be in [0, inf]"),
        (-0.5, "timeout is -0.5; it must be in [0, inf]"),
        (math.nan, "timeout is nan; it must be in [0, inf]"),
        ("1", "timeout must be a number of seconds or None, got '1'"),
        (True, "timeout must be a number of seconds or None, got True"),
    ],
)
def test_watch_and_wait_for_refuse_a_bad_timeout(store, bad, message):
    assert str(invalid(lambda: store.watch(timeout=bad))) == f"{message} (E_INVALID)"
    assert str(invalid(lambda: store.wait_for(2, timeout=bad))) == f"{message} (E_INVALID)"


def test_an_infinite_timeout_is_no_limit(store):
    changes = store.watch(timeout=math.inf)
    store.set({"n": 1})
    assert next(changes).version == 2
    assert store.wait_for(2, timeout=math.inf).version == 2


def test_wait_for_refuses_a_version_that_is_not_an_int(store):
    error = invalid(lambda: store.wait_for("2"))
    assert str(error) == "version must be an int, got '2' (E_INVALID)"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (-1, "lock timeout is -1; it must be in [0, 4294967.295]"),
        (5e6, "lock timeout is 5000000.0; it must be in [0, 4294967.295]"),
        (None, "lock timeout must be a number of seconds, got None"),
        (True, "lock timeout must be a number of seconds, got True"),
    ],
)
def test_set_lock_timeout_refuses_a_bad_value(store, bad, message):
    assert str(invalid(lambda: store.set_lock_timeout(bad))) == f"{message} (E_INVALID)"
