"""Runs a function in a forked child that first becomes another user or lowers its
descriptor limit, and brings back what the function returned (or the code of the
shmstate error it raised). Forking after ``import shmstate`` means the child needs no
access to the interpreter's or the repository's files once it has switched users."""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Callable
from typing import Any

from shmstate import ShmStateError

OTHER_UID = 65534
OTHER_GID = 65534


def become_other_user() -> None:
    """uid/gid 65534 ("nobody"), no supplementary groups: real, effective and saved, so
    the child cannot switch back."""
    os.setgroups([])
    os.setresgid(OTHER_GID, OTHER_GID, OTHER_GID)
    os.setresuid(OTHER_UID, OTHER_UID, OTHER_UID)


def limit_descriptors(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def run_in_child(setup: Callable[[], None], fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Forks; the child runs ``setup()`` then ``fn()`` and reports a dict: fn's result with
    ``code`` "ok", or ``code``/``message`` of the ShmStateError it raised. Any other
    failure in the child is raised here with its traceback text."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            setup()
            try:
                report = {"code": "ok", **fn()}
            except ShmStateError as err:
                report = {"code": err.code, "message": str(err)}
            report["uid"] = os.geteuid()
        except BaseException as err:  # reported to the parent, which raises it
            report = {"code": "child failed", "message": f"{type(err).__name__}: {err}"}
        os.write(write_end, json.dumps(report).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        data = reader.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"child exited with status {status}"
    report = json.loads(data)
    if report["code"] == "child failed":
        raise AssertionError(f"the child failed: {report['message']}")
    return report
