"""What a read-only handle learns on its own: a blocking wait finds a segment file removed
by hand although nobody commits (its wait slices check the name), and attached() lists the
table of a trusted store this user may only read (the lister's descriptor is read-only).
The cross-user case runs a child as another uid through setpriv, so it needs root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from helpers import shm_path
from shmstate import ShmStateRetiredError, Store

READER_UID = 12345
OTHER_UID = 65534  # owns the store; the reader is a member of its group


def test_a_read_only_watch_ends_when_the_file_is_removed_by_hand(name):
    writer = Store.create(name, {"n": 1}, capacity=1024)
    with Store.open(name, read_only=True) as reader:
        threading.Timer(0.05, lambda: os.unlink(shm_path(name))).start()
        # Nobody commits: only the wait's own slices can find the name gone (well within 5 s).
        with pytest.raises(ShmStateRetiredError):
            for _ in reader.watch(timeout=5):
                pass
    writer.close()


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="running a child as another uid needs root and setpriv",
)
def test_attached_lists_a_trusted_store_this_user_may_only_read(name):
    writer = Store.create(name, {"n": 1}, capacity=1024, mode=0o640)
    writer.set({"n": 2})  # attached as a writer
    os.chown(shm_path(name), OTHER_UID, OTHER_UID)
    child = (
        "import json, sys\n"
        "from shmstate import Store\n"
        "with Store.open(sys.argv[1], trust='group') as s:\n"
        "    print(json.dumps({'read_only': s.read_only, 'attached': [\n"
        "        [a.role, a.alive, a.self] for a in s.attached()]}))\n"
    )
    ran = subprocess.run(
        [
            *("setpriv", f"--reuid={READER_UID}", f"--regid={READER_UID}"),
            *(f"--groups={OTHER_UID}", sys.executable, "-c", child, name),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    writer.close()
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert seen == {"read_only": True, "attached": [["writer", True, False]]}
