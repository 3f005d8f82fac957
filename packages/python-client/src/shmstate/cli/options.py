"""The command line's own values, checked once before a command runs: counts, seconds and
the trust value. argparse only checks that a number is a number ("-1", "nan" and "inf"
pass it); a value a command cannot use is E_INVALID (status 4) naming the option, worded
as the library words a bad argument, before anything is opened."""

from __future__ import annotations

import argparse
import math
import os

from .. import _native
from ..errors import ShmStateError
from . import exits

TRUST_ENV = "SHMSTATE_TRUST"
#: The longest pause between two redraws of ``top``: a day (time.sleep overflows far above).
INTERVAL_MAX = 86400.0


def _count(args: argparse.Namespace, attribute: str, option: str) -> None:
    value = getattr(args, attribute, None)
    if value is not None and value < 0:
        raise exits.fail("E_INVALID", f"{option} is {value}; it must be an int >= 0")


def _seconds(args: argparse.Namespace, attribute: str, option: str, high: float) -> None:
    """Seconds in [0, high]; ``high`` is math.inf where infinity means "no limit"."""
    value = getattr(args, attribute, None)
    if value is not None and not 0 <= value <= high:  # negative, NaN, or too long
        raise exits.fail("E_INVALID", f"{option} is {value}; it must be in [0, {high:g}] seconds")


def check_trust(args: argparse.Namespace) -> None:
    """--trust (or else the environment variable) in the core's grammar; E_INVALID naming
    where the bad value came from. --trust is then handed to the core through the variable,
    so that every open of the command honours it alike. (Also the bridge's, for its
    publish and follow.)"""
    text, source = getattr(args, "trust", None), "--trust"
    if text is None:
        text, source = os.environ.get(TRUST_ENV), f"the environment variable {TRUST_ENV}"
    if text is None:
        return
    try:
        _native.check_trust(text)
    except ShmStateError as error:
        # The core words it 'trust "<value>": <why>'; say which trust that was.
        message = str(error).removeprefix("trust ")
        raise exits.fail(error.code, f"{source} {message}") from None
    os.environ[TRUST_ENV] = text


def check(args: argparse.Namespace) -> None:
    """Every option value of ``args`` a command would misuse: E_INVALID (CommandError)."""
    _count(args, "count", "--count")
    _count(args, "iterations", "--iterations")
    _seconds(args, "idle", "--idle", math.inf)  # inf: no store is ever idle long enough
    _seconds(args, "timeout", "--timeout", math.inf)  # inf: no limit, as with no --timeout
    _seconds(args, "interval", "--interval", INTERVAL_MAX)
    check_trust(args)
