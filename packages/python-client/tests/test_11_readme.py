"""The README's first Python example ("Python publishes") runs twice in a row: its store is
self-cleaning, so the second run does not meet the first one's store (E_EXISTS), and
nothing is left in /dev/shm afterwards. The example runs as written, with time.sleep made
instant so that its 1000 updates take no 10 s."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import shm_path

README = Path(__file__).resolve().parents[3] / "README.md"
PRELUDE = "import time\ntime.sleep = lambda seconds: None\n"


def first_python_example() -> str:
    section = README.read_text().split("## Python publishes", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "no python block under 'Python publishes'"
    return match.group(1)


def test_the_first_python_example_runs_twice_in_a_row() -> None:
    if shm_path("robot").exists():
        pytest.skip("a store named robot exists on this host")
    code = PRELUDE + first_python_example()
    for run in (1, 2):
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"run {run}: {done.stderr}"
        assert not shm_path("robot").exists(), f"run {run} left its store behind"
