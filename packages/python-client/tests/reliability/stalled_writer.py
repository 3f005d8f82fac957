"""The C core's stalled-writer tool: a writer that stops itself (SIGSTOP) inside a commit
while it holds the writer lock. Built on demand with make (packages/native/csrc)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

CSRC = Path(__file__).resolve().parents[3] / "native" / "csrc"
TOOL = CSRC / "test" / "bin" / "test_stall"


def _stopped(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].startswith("T")


def start(name: str, payload: str) -> subprocess.Popen[str]:
    """Starts the tool on ``name`` and returns once it is stopped holding the lock."""
    if not TOOL.exists():
        subprocess.run(
            ["make", "-C", str(CSRC), "test/bin/test_stall"], check=True, capture_output=True
        )
    proc = subprocess.Popen(
        [str(TOOL), "--stall-writer", name, payload],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 10
    while not _stopped(proc.pid):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the stalled writer did not stop: {proc.stderr.read()}")
        time.sleep(0.005)
    return proc
