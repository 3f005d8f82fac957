"""The error table: one class per code of errors.def, the same codes as the core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import shmstate
from shmstate import CLASS_FOR_CODE, ShmStateError, _native, code_meaning, error_codes
from shmstate.errors import error_for

ERRORS_DEF = Path(__file__).parents[2] / "native" / "csrc" / "errors.def"


def errors_def_rows() -> dict[str, str]:
    rows = re.findall(r'^X\((\w+), \d+, "([^"]*)"\)', ERRORS_DEF.read_text(), re.MULTILINE)
    return {name: meaning for name, meaning in rows if name != "OK"}


def test_native_codes_are_the_rows_of_errors_def():
    assert _native.codes() == list(errors_def_rows())
    assert error_codes() == _native.codes()


def test_every_code_maps_to_its_own_class():
    assert set(CLASS_FOR_CODE) == set(_native.codes())
    for code, cls in CLASS_FOR_CODE.items():
        assert issubclass(cls, ShmStateError)
        assert cls.code == code


def test_code_meaning_reads_errors_def():
    for code, meaning in errors_def_rows().items():
        assert code_meaning(code) == meaning
    with pytest.raises(ValueError):
        code_meaning("E_NOPE")


@pytest.mark.parametrize(
    ("code", "standard"),
    [
        ("E_TIMEOUT", TimeoutError),
        ("E_EXISTS", FileExistsError),
        ("E_NOENT", FileNotFoundError),
        ("E_PERM", PermissionError),
        ("E_NAME", ValueError),
        ("E_ENCODE", ValueError),
        ("E_INVALID", ValueError),
        ("E_NOMEM", MemoryError),
        ("E_SYSTEM", OSError),
    ],
)
def test_errors_are_also_the_standard_exception_they_mean(code, standard):
    error = error_for(code, "what went wrong", 0)
    assert isinstance(error, standard)
    assert error.code == code


def test_messages_end_with_the_code_once():
    assert str(error_for("E_BUSY", "reader overtaken")) == "reader overtaken (E_BUSY)"
    assert str(error_for("E_BUSY", "reader overtaken (E_BUSY)")) == "reader overtaken (E_BUSY)"


def test_the_errno_behind_a_failure_is_kept():
    error = error_for("E_SYSTEM", "mmap failed", 12)
    assert error.sys_errno == 12
    assert isinstance(error, OSError) and error.errno == 12


def test_every_class_has_a_pep_8_name_ending_in_error():
    for cls in CLASS_FOR_CODE.values():
        assert cls.__name__.startswith("ShmState") and cls.__name__.endswith("Error")
        assert getattr(shmstate, cls.__name__) is cls
        assert cls.__name__ in shmstate.__all__


OLD_NAMES = {
    "ShmStateCorrupt": "ShmStateCorruptError",
    "ShmStateConflict": "ShmStateConflictError",
    "ShmStateBusy": "ShmStateBusyError",
    "ShmStateTimeout": "ShmStateTimeoutError",
    "ShmStateExists": "ShmStateExistsError",
    "ShmStateNotFound": "ShmStateNotFoundError",
    "ShmStatePermission": "ShmStatePermissionError",
    "ShmStateClosed": "ShmStateClosedError",
    "ShmStateNoSpace": "ShmStateNoSpaceError",
    "ShmStateInterrupted": "ShmStateInterruptedError",
    "ShmStateInvalid": "ShmStateInvalidError",
    "ShmStateNoMemory": "ShmStateNoMemoryError",
    "ShmStateLimit": "ShmStateLimitError",
}


@pytest.mark.parametrize(("old", "new"), sorted(OLD_NAMES.items()))
def test_the_old_names_are_aliases_of_the_new_classes(old, new):
    assert getattr(shmstate, old) is getattr(shmstate, new)
    assert old in shmstate.__all__
    with pytest.raises(getattr(shmstate, old)):
        raise error_for(getattr(shmstate, new).code, "caught by the old name")


def test_invalid_is_also_a_type_error():
    error = error_for("E_INVALID", "capacity must be an int, got '1'")
    assert isinstance(error, ValueError) and isinstance(error, TypeError)
