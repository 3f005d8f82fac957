"""What a read-only handle learns on its own: a blocking wait finds a segment file removed
by hand although nobody commits (its wait slices check the name), and attached() lists the
table of a trusted store this user may only read (the lister's descriptor is read-only).
The cross-user case forks a child that becomes another uid, so it needs root."""

from __future__ import annotations

import os
import threading

import pytest

from helpers import run_in_child, shm_path
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


@pytest.mark.skipif(os.geteuid() != 0, reason="becoming another uid needs root")
def test_attached_lists_a_trusted_store_this_user_may_only_read(name):
    writer = Store.create(name, {"n": 1}, capacity=1024, mode=0o640)
    writer.set({"n": 2})  # attached as a writer
    os.chown(shm_path(name), OTHER_UID, OTHER_UID)

    def reader_of_the_group() -> None:
        # After the imports (a fork of this process): the child needs no access to the
        # interpreter's files, which another uid may not read (pyenv under /root).
        os.setgroups([OTHER_UID])
        os.setresgid(READER_UID, READER_UID, READER_UID)
        os.setresuid(READER_UID, READER_UID, READER_UID)

    def look() -> dict[str, object]:
        with Store.open(name, trust="group") as s:
            return {
                "read_only": s.read_only,
                "attached": [[a.role, a.alive, a.self] for a in s.attached()],
            }

    try:
        seen = run_in_child(reader_of_the_group, look)
    finally:
        writer.close()
    assert (seen["code"], seen["uid"]) == ("ok", READER_UID), seen
    del seen["code"], seen["uid"]
    assert seen == {"read_only": True, "attached": [["writer", True, False]]}
