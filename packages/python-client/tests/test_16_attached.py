"""Who is attached: every Store handle is listed (a Python reader until it commits or
watches), close frees its entry, Segment.inspect() opens without being listed, and a
killed process reads dead at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from shmstate import Attachment, ShmStateClosed, Store, _native


def test_a_created_store_lists_itself_as_a_live_python_reader(name):
    before = time.time()
    with Store.create(name, initial={}) as store:
        (entry,) = store.attached()
        assert isinstance(entry, Attachment)
        assert (entry.role, entry.language, entry.pid) == ("reader", "python", os.getpid())
        assert entry.alive and entry.self
        assert before - 60 < entry.start_time <= time.time() + 1


def test_the_first_commit_makes_a_store_a_writer(name):
    with Store.create(name, initial={"n": 0}) as store:
        store.set({"n": 1})
        assert [a.role for a in store.attached()] == ["writer"]
        for _ in store.watch(timeout=0.01, replay=True):
            break
        assert [a.role for a in store.attached()] == ["writer"], "a writer stays one"


def test_a_patch_makes_a_store_a_writer(name):
    with Store.create(name, initial={"n": 0}), Store.open(name) as other:
        other.patch([{"op": "replace", "path": "/n", "value": 1}])
        roles = {a.self: a.role for a in other.attached()}
        assert roles == {True: "writer", False: "reader"}


def test_watching_makes_a_reader_a_subscriber_in_place(name):
    with Store.create(name, initial={"n": 0}) as store:
        (before,) = store.attached()
        with store.subscribe(lambda change: None):
            (after,) = store.attached()
        assert after.role == "subscriber"
        assert (after.index, after.start_time) == (before.index, before.start_time)


def test_close_frees_the_entry_and_attached_after_close_is_e_closed(name):
    with Store.create(name, initial={}) as store:
        other = Store.open(name)
        assert len(store.attached()) == 2
        other.close()
        assert len(store.attached()) == 1
        with pytest.raises(ShmStateClosed):
            other.attached()


def test_inspect_opens_without_being_listed(name):
    with Store.create(name, initial={}):
        seg = _native.Segment.inspect(name)
        try:
            assert [entry[6] for entry in seg.attached()] == [False]
        finally:
            seg.close()


def test_a_killed_process_reads_dead_at_once(name):
    code = (
        "import sys, time\n"
        "from shmstate import Store\n"
        f"s = Store.open({name!r})\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    with Store.create(name, initial={}) as store:
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            other = [a for a in store.attached() if not a.self]
            assert [(a.pid, a.alive) for a in other] == [(child.pid, True)]
            child.send_signal(signal.SIGKILL)
            child.wait()
            other = [a for a in store.attached() if not a.self]
            assert [(a.pid, a.alive) for a in other] == [(child.pid, False)]
        finally:
            child.kill()
            child.wait()


def test_stats_report_the_last_commit_time(name):
    with Store.create(name, initial={}) as store:
        created = store.stats()["last_commit_ns"]
        assert abs(created / 1e9 - time.time()) < 60
        store.set({"a": 1})
        assert store.stats()["last_commit_ns"] >= created
