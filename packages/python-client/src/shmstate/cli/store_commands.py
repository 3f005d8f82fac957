"""``get``, ``watch``, ``set``, ``update``, ``patch`` and ``rm``: commands that use a store
through the library, with its dialect checks and errors. They attach like any process
(a reader for ``get``, a subscriber for ``watch``, a writer for the writes), so while one
runs it is listed, and a store is never called orphaned under it."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from .. import _native
from ..codec import MAX_DEPTH
from ..json_pointer import array_index, parse_pointer, pointer_error
from ..store import Store
from . import exits, survey
from .output import emit_json, emit_pretty, iso

#: Digits past which an integer literal is refused before Python converts it (past
#: sys.get_int_max_str_digits() it would raise ValueError): far beyond the dialect's
#: +-(2^53-1), which has 16 digits.
_INT_DIGITS_MAX = 100


def parse_json(text: str, what: str) -> Any:
    """JSON text from the command line; E_INVALID naming where it fails. NaN and Infinity,
    which json accepts, are left for the dialect check (E_ENCODE) like any other value;
    so are nesting and integers too large for Python's parser, refused here with the
    E_ENCODE the library gives any value outside the dialect."""

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > _INT_DIGITS_MAX:
            raise exits.fail(
                "E_ENCODE",
                f"{what} holds an integer of {len(digits.lstrip('-'))} digits: "
                f"beyond +-(2^53-1), outside the shmstate JSON dialect",
            )
        return int(digits)

    try:
        return json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as error:
        raise exits.fail("E_INVALID", f"{what} is not valid JSON: {error}") from None
    except RecursionError:
        raise exits.fail(
            "E_ENCODE",
            f"{what} nests arrays and objects deeper than the shmstate JSON dialect's "
            f"{MAX_DEPTH} levels",
        ) from None


def resolve(state: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer; E_PATCH when it names nothing."""
    node = state
    for token in parse_pointer(pointer):
        if isinstance(node, dict):
            if token not in node:
                raise pointer_error(pointer, f"no member {token!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[array_index(pointer, token, len(node), end_ok=False)]
        else:
            raise pointer_error(pointer, f"{token!r} names nothing inside a {type(node).__name__}")
    return node


def cmd_get(args: argparse.Namespace) -> int:
    with Store.open(args.name) as store:
        snapshot = store.snapshot()
    value = resolve(snapshot.state, args.pointer)
    (emit_json if args.json else emit_pretty)(value)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Until Ctrl-C, ``--count`` changes, or ``--timeout`` seconds without a change (an
    error only when a count was asked for and not reached)."""
    seen = 0
    if args.count == 0:
        return 0
    with Store.open(args.name) as store:
        for change in store.watch(timeout=args.timeout, every=args.every):
            seen += 1
            record = {
                "version": change.version,
                "missed": change.missed,
                "time": iso(time.time()),
                "last_commit": iso(store.stats()["last_commit_ns"] / 1e9),
                "patches": change.patches,
            }
            if args.json:
                emit_json(record)
            else:
                patches = "whole state" if change.patches is None else json.dumps(change.patches)
                missed = f" (missed {change.missed})" if change.missed else ""
                print(f"{record['time']}  v{change.version}{missed}  {patches}")
            print(end="", flush=True)
            if args.count is not None and seen >= args.count:
                return 0
    if args.count is not None:
        message = f"{seen} of {args.count} changes; none within {args.timeout} s after the last"
        raise exits.fail("E_TIMEOUT", message)
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    state = parse_json(args.state, "the state")
    with Store.open(args.name) as store:
        version = store.set(state)
    return _done(args, version)


def cmd_update(args: argparse.Namespace) -> int:
    value = parse_json(args.value, "the value")
    parse_pointer(args.pointer)  # a malformed pointer is E_PATCH before anything is opened
    with Store.open(args.name) as store:
        ops = [{"op": "replace", "path": args.pointer, "value": value}]
        version = store.patch(ops) if args.pointer else store.set(value)
    return _done(args, version)


def cmd_patch(args: argparse.Namespace) -> int:
    ops = parse_json(args.ops, "the patch")
    if not isinstance(ops, list):
        raise exits.fail("E_PATCH", "a JSON Patch is an array of operations")
    with Store.open(args.name) as store:
        version = store.patch(ops)
    return _done(args, version)


def cmd_rm(args: argparse.Namespace) -> int:
    found = survey.look(args.name)
    if found.live and not args.force:
        raise exits.fail(
            "E_BUSY",
            f'store "{args.name}" has {found.live} live attached processes;'
            " --force removes it anyway",
            exits.IN_USE,
        )
    _native.Segment.unlink(args.name)
    if args.json:
        emit_json({"removed": args.name, "live": found.live})
    else:
        print(
            f"removed {args.name}"
            + (f" ({found.live} live processes keep their mapping)" if found.live else "")
        )
    return 0


def _done(args: argparse.Namespace, version: int) -> int:
    if args.json:
        emit_json({"version": version})
    else:
        print(f"version {version}")
    return 0
