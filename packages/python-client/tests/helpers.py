"""The one helper module of the Python tests: segment names, paths, and every way a test
starts another process (a worker script, a Python snippet, the C core's stalled writer,
a forked child that becomes another user). Free of pytest, so the plain smoke script
(tests/smoke.py, run where pytest is not installed) uses it too."""

from __future__ import annotations

import itertools
import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from shmstate import ShmStateError, _native

TESTS = Path(__file__).resolve().parent
WORKERS = TESTS / "workers"
CSRC = TESTS.parents[1] / "native" / "csrc"
STALL_TOOL = CSRC / "test" / "bin" / "test_stall"

OTHER_UID = 65534
OTHER_GID = 65534

_counter = itertools.count()


# ---- segment names ---------------------------------------------------------------------


def unique_name(prefix: str = "pytest") -> str:
    """A segment name no other test (nor another run of this one) uses. The default
    prefix is the one scripts/test-reliability.sh looks for when it checks that no
    segment was left behind."""
    return f"{prefix}-{os.getpid()}-{next(_counter)}-{secrets.token_hex(4)}"


def shm_path(name: str) -> Path:
    """The file of segment ``name`` in /dev/shm."""
    return Path("/dev/shm") / f"shmstate.{name}"


def poke(name: str, offset: int, data: bytes) -> None:
    """Overwrites bytes of segment ``name``'s file, as a buggy or hostile process would."""
    with open(shm_path(name), "r+b") as f:
        f.seek(offset)
        f.write(data)


def peek(name: str, offset: int, size: int) -> bytes:
    with open(shm_path(name), "rb") as f:
        f.seek(offset)
        return f.read(size)


# Where a creator lays out the doorbell table today (layout.h): 64 entries of 32 bytes,
# each starting with its control word (generation << 2 | state, pid << 32); the count of
# registered entries is a u32 in the header.
DOORBELL_TABLE = 2048
DOORBELL_ENTRY = 32
DOORBELL_COUNT = 768


def doorbell_controls(name: str) -> list[int]:
    """The control words of segment ``name``'s 64 doorbell entries."""
    table = peek(name, DOORBELL_TABLE, 64 * DOORBELL_ENTRY)
    return [
        int.from_bytes(table[i : i + 8], "little") for i in range(0, len(table), DOORBELL_ENTRY)
    ]


def take_doorbell_entry_away(name: str, pid: int) -> None:
    """Frees the doorbell entry of process ``pid`` as a writer does when it cannot reach
    the subscriber's socket (an older build's writer, or another network namespace for an
    abstract socket): the subscriber's next arm reports E_CLOSED."""
    for index, control in enumerate(doorbell_controls(name)):
        if control & 3 and control >> 32 == pid:
            free = control & 0xFFFFFFFC  # the generation kept, no pid, state free
            poke(name, DOORBELL_TABLE + index * DOORBELL_ENTRY, free.to_bytes(8, "little"))
            count = int.from_bytes(peek(name, DOORBELL_COUNT, 4), "little")
            poke(name, DOORBELL_COUNT, (count - 1).to_bytes(4, "little"))
            return
    raise AssertionError(f"no doorbell entry of process {pid}")


def ring_doorbell_socket(fd: int) -> None:
    """Sends one byte to the doorbell socket ``fd`` from another socket, as any process of
    may that can write the socket (a spurious wake-up)."""
    with socket.socket(fileno=os.dup(fd)) as bound:
        address = bound.getsockname()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"\0", address)


# ---- other threads -----------------------------------------------------------------------


def commit_at_later(name: str, version: int, data: bytes, delay: float = 0.05) -> threading.Thread:
    """After ``delay`` seconds, commits ``data`` as exactly ``version`` through a raw segment
    of its own, as a mirror jumping ahead would; join the returned thread."""

    def run() -> None:
        time.sleep(delay)
        segment = _native.Segment.open(name)
        try:
            segment.commit(data, version=version)
        finally:
            segment.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


# ---- other processes ---------------------------------------------------------------------


def start_worker(script: str, *args: str) -> subprocess.Popen[str]:
    """Runs tests/workers/<script> in a fresh interpreter (the one running the tests),
    with pipes for its stdout and stderr."""
    return subprocess.Popen(
        [sys.executable, str(WORKERS / script), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_python(
    code: str, *, inside: Sequence[str] = (), timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter and waits for it. ``inside`` is a command
    that ends by running its arguments, e.g. ``["unshare", "-m", "sh", "-c", '... && exec
    "$@"', "sh"]``: the interpreter then runs inside it."""
    return subprocess.run(
        [*inside, sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _stopped(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].startswith("T")


def start_stalled_writer(name: str, payload: str) -> subprocess.Popen[str]:
    """The C core's stalled-writer tool: a writer that stops itself (SIGSTOP) inside a
    commit of ``payload`` to ``name`` while it holds the writer lock. Returns once it is
    stopped holding the lock; send it SIGCONT to let it finish. Built on demand with make
    (packages/native/csrc)."""
    if not STALL_TOOL.exists():
        subprocess.run(
            ["make", "-C", str(CSRC), "test/bin/test_stall"], check=True, capture_output=True
        )
    proc = subprocess.Popen(
        [str(STALL_TOOL), "--stall-writer", name, payload],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not _stopped(proc.pid):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            stderr = proc.stderr.read() if proc.stderr else ""
            raise RuntimeError(f"the stalled writer did not stop: {stderr}")
        time.sleep(0.005)
    return proc


def continue_stalled_writer(proc: subprocess.Popen[str]) -> None:
    """Lets a stalled writer finish, if it is still stopped. Only then: the tool is built
    with the sanitizers, whose leak check at exit traces the process, and a SIGCONT that
    lands then can leave it spinning."""
    if proc.poll() is None and _stopped(proc.pid):
        proc.send_signal(signal.SIGCONT)


def become_other_user() -> None:
    """uid/gid 65534 ("nobody"), no supplementary groups: real, effective and saved, so
    the process cannot switch back."""
    os.setgroups([])
    os.setresgid(OTHER_GID, OTHER_GID, OTHER_GID)
    os.setresuid(OTHER_UID, OTHER_UID, OTHER_UID)


def limit_descriptors(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


def run_in_child(setup: Callable[[], None], fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Forks; the child runs ``setup()`` then ``fn()`` and reports a dict: fn's result with
    ``code`` "ok", or ``code``/``message`` of the ShmStateError it raised, and its ``uid``.
    Any other failure in the child is raised here with its text. Forking after ``import
    shmstate`` means the child needs no access to the interpreter's or the repository's
    files (it may have become another user)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller
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
    report: dict[str, Any] = json.loads(data)
    if report["code"] == "child failed":
        raise AssertionError(f"the child failed: {report['message']}")
    return report
