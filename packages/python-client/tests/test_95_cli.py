"""The shmstate command, run as a user runs it (python -m shmstate in a subprocess), against
stores written by Python and Node processes: every command's output and exit status, bad
input to every command (one line with the code, a distinct status, nothing changed), and
who counts as attached (killed processes read dead; a subscriber in its own PID
namespace is alive and its store is never cleaned)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import poke, shm_path
from shmstate import ShmStateRetiredError, Store

REPO = Path(__file__).resolve().parents[3]
NOBODY = 65534  # the uid of "nobody": a second user for the ownership tests
SETPRIV_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
CORE = REPO / "packages" / "core" / "dist" / "index.js"


def cli(
    *args: str, timeout: float = 30, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shmstate", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def cli_json(*args: str) -> Any:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def held(argv: list[str]) -> subprocess.Popen[str]:
    """A process that prints 'ready' once attached, then waits to be killed."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def python_holder(name: str, action: str) -> subprocess.Popen[str]:
    code = (
        "import sys, time\nfrom shmstate import Store\n"
        f"s = Store.open({name!r})\n{action}\nprint('ready', flush=True)\ntime.sleep(120)\n"
    )
    return held([sys.executable, "-c", code])


def node_subscriber(name: str, inside: list[str] | None = None) -> subprocess.Popen[str]:
    code = (
        f"const {{ SharedStore }} = require({str(CORE)!r});"
        f"const s = SharedStore.open({name!r});"
        "s.state$.subscribe(() => {}); console.log('ready'); setInterval(() => {}, 1000);"
    )
    return held([*(inside or []), "node", "-e", code])


def stop(procs: list[subprocess.Popen[str]]) -> None:
    for p in procs:
        p.kill()
        p.wait()


def content(name: str) -> tuple[Any, ...]:
    """What a command could have changed: the state, its version and the commit count (the
    attach table changes with every process that opens the store, by design)."""
    with Store.open(name) as store:
        return (store.get(), store.version, store.stats()["commits"])


@pytest.fixture
def robot(name: str) -> str:
    Store.create(name, initial={"pose": {"x": 1, "y": 2}, "tick": 0}).close()
    return name


def test_every_command_has_help():
    for command in ["ls", "info", "get", "watch", "set", "update", "patch", "rm", "doctor", "top"]:
        done = cli(command, "--help")
        assert done.returncode == 0 and "--json" in done.stdout, command


def test_get_prints_the_state_or_the_value_at_a_pointer(robot):
    assert json.loads(cli("get", robot).stdout) == {"pose": {"x": 1, "y": 2}, "tick": 0}
    assert cli("get", robot, "/pose/x", "--json").stdout == "1\n"


def test_set_update_and_patch_commit_through_the_library(robot):
    assert cli_json("set", robot, '{"tick": 1}') == {"version": 2}
    assert cli_json("update", robot, "/tick", "5") == {"version": 3}
    assert cli_json("patch", robot, '[{"op": "add", "path": "/a", "value": [1]}]') == {"version": 4}
    assert cli_json("get", robot) == {"tick": 5, "a": [1]}


def test_a_store_written_by_node_reads_and_lists(name):
    script = (
        f"const {{ SharedStore }} = require({str(CORE)!r});"
        f"const s = SharedStore.create({name!r}, {{ initial: {{ n: 0 }} }});"
        "s.set({ n: 1 }); s.update((d) => { d.n = 2; }); s.close();"
    )
    subprocess.run(["node", "-e", script], check=True, timeout=30)
    assert cli_json("get", name) == {"n": 2}
    (row,) = [r for r in cli_json("ls") if r["name"] == name]
    assert row["version"] == 3 and row["live"] == 0 and row["last_commit"] is not None


def test_watch_prints_each_change_with_its_patches_until_the_count(robot):
    watcher = subprocess.Popen(
        [sys.executable, "-m", "shmstate", "watch", robot, "--count", "2", "--every", "--json"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)  # the watcher starts after the current version
    with Store.open(robot) as store:
        store.patch([{"op": "replace", "path": "/tick", "value": 1}])
        store.set({"whole": True})
    out, _ = watcher.communicate(timeout=30)
    assert watcher.returncode == 0
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["version"] == 2 and first["missed"] == 0
    assert first["patches"] == [{"op": "replace", "path": "/tick", "value": 1}]
    assert second["version"] == 3 and first["time"] and first["last_commit"]


def test_watch_with_a_count_not_reached_in_time_is_e_timeout(robot):
    done = cli("watch", robot, "--count", "1", "--timeout", "0.2")
    assert done.returncode == 7 and done.stderr.strip().endswith("(E_TIMEOUT)")


def test_top_draws_a_bounded_number_of_tables(robot):
    done = cli("top", "--iterations", "2", "--interval", "0.1")
    assert done.returncode == 0 and done.stdout.count("\x1b[2J") == 2 and robot in done.stdout
    frames = [
        json.loads(line)
        for line in cli(
            "top", "--iterations", "2", "--interval", "0.1", "--json"
        ).stdout.splitlines()
    ]
    assert len(frames) == 2 and any(s["name"] == robot for s in frames[1]["stores"])


def test_info_lists_exactly_who_is_attached_and_kill_9_shows_them_dead(robot):
    procs = [
        node_subscriber(robot),
        node_subscriber(robot),
        python_holder(robot, "s.set({'tick': 1})"),
        python_holder(robot, "s.get()"),
    ]
    try:
        info = cli_json("info", robot)
        seen = sorted((a["language"], a["role"], a["pid"]) for a in info["attached"])
        want = [("node", "subscriber", procs[0].pid), ("node", "subscriber", procs[1].pid)]
        want += [("python", "reader", procs[3].pid), ("python", "writer", procs[2].pid)]
        assert seen == sorted(want)
        assert all(a["alive"] for a in info["attached"]) and info["live"] == 4
        for p in procs[1:3]:
            p.send_signal(signal.SIGKILL)
            p.wait()
        info = cli_json("info", robot)
        dead = sorted(a["pid"] for a in info["attached"] if not a["alive"])
        assert dead == sorted([procs[1].pid, procs[2].pid])
        (row,) = [r for r in cli_json("ls") if r["name"] == robot]
        assert (row["live"], row["dead"], row["orphaned"]) == (2, 2, False)
        done = cli("rm", robot)
        assert done.returncode == 8 and "(E_BUSY)" in done.stderr and shm_path(robot).exists()
    finally:
        stop(procs)


def test_doctor_clean_removes_a_store_whose_every_process_was_killed(robot):
    procs = [python_holder(robot, "s.set({'tick': 1})"), node_subscriber(robot)]
    stop(procs)
    report = cli_json("doctor", robot, "--idle", "0", "--clean")
    assert report["removed"] == [robot] and not shm_path(robot).exists()


def doorbell_files(store_id: int) -> list[Path]:
    return sorted(Path("/dev/shm").glob(f"shmstate-bell.{store_id:016x}.*"))


def test_info_lists_each_doorbell_with_its_socket_kind_and_rings(robot):
    sub = node_subscriber(robot)
    try:
        deadline = time.monotonic() + 5
        while cli_json("info", robot)["doorbells"][:1] == [] and time.monotonic() < deadline:
            time.sleep(0.01)
        (entry,) = cli_json("info", robot)["doorbells"]
        assert (entry["pid"], entry["socket"], entry["rings"]) == (sub.pid, "path", 0)
        cli("set", robot, '{"tick": 1}')
        (entry,) = cli_json("info", robot)["doorbells"]
        assert entry["rings"] == 1
        assert "SOCKET" in cli("info", robot).stdout
    finally:
        stop([sub])


def test_doctor_reports_a_killed_subscribers_socket_file_and_clean_removes_it(robot):
    store_id = cli_json("info", robot)["stats"]["store_id"]
    sub = node_subscriber(robot)
    stop([sub])  # SIGKILL, and no commit since: nobody has found it dead yet
    (left,) = doorbell_files(store_id)
    report = cli_json("doctor", robot, "--idle", "3600")
    assert report["doorbell_sockets"]["dead"] >= 1 and left.exists()
    assert any("dead doorbell socket files" in p for f in report["findings"] for p in f["problems"])
    report = cli_json("doctor", robot, "--idle", "3600", "--clean")
    assert report["doorbell_sockets"]["removed"] >= 1 and report["removed"] == []
    assert doorbell_files(store_id) == [] and shm_path(robot).exists()


def as_user(uid: int, code: str) -> subprocess.Popen[str]:
    """A Python process running ``code`` as ``uid`` (a real second user: setpriv), which
    prints 'ready' and waits to be killed."""
    argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable]
    code = f"import time\nfrom shmstate import Store\n{code}\nprint('ready', flush=True)\n"
    return held([*argv, "-c", code + "time.sleep(120)\n"])


@pytest.mark.skipif(
    shutil.which("setpriv") is None or os.geteuid() != 0, reason="needs setpriv and root"
)
def test_doctor_clean_never_removes_an_orphan_owned_by_another_user(name):
    # Made by "nobody", attached to by its creator only, who is then killed: an orphan
    # in every respect but its owner.
    try:
        creator = as_user(NOBODY, f"s = Store.create({name!r}, initial={{'by': 'nobody'}})")
    except (AssertionError, OSError):
        pytest.skip("cannot run a process as another user here")
    stop([creator])
    assert shm_path(name).stat().st_uid == NOBODY
    # (Named: a doctor --clean over the whole host would judge other tests' stores too.)
    report = cli_json("doctor", name, "--idle", "0", "--clean")
    assert report["removed"] == [] and shm_path(name).exists()
    # (Only this store's finding: dead doorbell socket files anywhere in /dev/shm are one too.)
    (finding,) = [f for f in report["findings"] if f["name"] == name]
    assert finding["orphaned"] is False  # another user's store is never judged an orphan
    # The same store as its owner sees it is an orphan, and its owner's doctor removes it.
    doctor = [sys.executable, "-m", "shmstate", "doctor", name, "--idle", "0", "--clean"]
    owner = subprocess.run(
        [*SETPRIV_NOBODY, *doctor, "--json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert owner.returncode == 0, owner.stderr
    assert json.loads(owner.stdout)["removed"] == [name]
    assert not shm_path(name).exists()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_subscriber_in_its_own_pid_namespace_is_alive_and_its_store_stays(robot):
    try:
        sub = node_subscriber(robot, ["unshare", "--pid", "--fork", "--kill-child"])
    except (AssertionError, OSError):
        pytest.skip("cannot make a PID namespace here")
    try:
        info = cli_json("info", robot)
        assert [(a["role"], a["alive"]) for a in info["attached"]] == [("subscriber", True)]
        report = cli_json("doctor", robot, "--idle", "0", "--clean")
        assert report["removed"] == [] and shm_path(robot).exists()
    finally:
        stop([sub])


def test_rm_removes_a_store_nobody_uses(robot):
    assert cli_json("rm", robot) == {"removed": robot, "live": 0}
    assert not shm_path(robot).exists()


def test_rm_force_retires_the_store_so_its_watchers_end(robot):
    with Store.open(robot) as store:
        watched = store.watch(timeout=10)
        done = cli("rm", robot, "--force")
        assert done.returncode == 0, done.stderr
        with pytest.raises(ShmStateRetiredError):
            next(watched)
        assert store.get()["tick"] == 0  # the last state stays readable


def test_watch_of_a_store_rm_removes_ends_with_e_retired_status_3(robot):
    argv = [sys.executable, "-m", "shmstate", "watch", robot, "--timeout", "20"]
    watcher = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with Store.open(robot) as store:
            while store.stats()["waiters"] == 0:  # the watch is blocked in its wait
                time.sleep(0.01)
        assert cli("rm", robot, "--force").returncode == 0
        _, stderr = watcher.communicate(timeout=20)
        assert watcher.returncode == 3 and "(E_RETIRED)" in stderr
    finally:
        stop([watcher])


def test_ls_removes_a_retired_store_left_under_its_name(robot):
    poke(robot, 832, (4).to_bytes(8, "little"))  # flags bit 2: an unlinker died midway
    done = cli("ls")
    assert done.returncode == 0, done.stderr
    assert f"removed {robot}: retired" in done.stderr
    assert not shm_path(robot).exists()


@pytest.mark.parametrize(
    ("args", "status", "code"),
    [
        (["get", "{name}-missing"], 3, "E_NOENT"),
        (["info", "{name}-missing"], 3, "E_NOENT"),
        (["watch", "{name}-missing", "--timeout", "0.1"], 3, "E_NOENT"),
        (["rm", "{name}-missing"], 3, "E_NOENT"),
        (["doctor", "{name}-missing"], 3, "E_NOENT"),
        (["get", "bad name"], 4, "E_NAME"),
        (["set", "bad/name", "{}"], 4, "E_NAME"),
        (["set", "{name}", "{bad"], 4, "E_INVALID"),
        (["set", "{name}", '{"a": NaN}'], 4, "E_ENCODE"),
        (["set", "{name}", "9007199254740993"], 4, "E_ENCODE"),
        (["update", "{name}", "/tick", "[1,"], 4, "E_INVALID"),
        (["update", "{name}", "/nothing/here", "1"], 4, "E_PATCH"),
        (["update", "{name}", "tick", "1"], 4, "E_PATCH"),
        (["patch", "{name}", '{"op": "add"}'], 4, "E_PATCH"),
        (["patch", "{name}", '[{"op": "remove", "path": "/zz"}]'], 4, "E_PATCH"),
        (["get", "{name}", "/pose/z"], 4, "E_PATCH"),
        (["set", "{name}", "[" * 10000 + "]" * 10000], 4, "E_ENCODE"),
        (["update", "{name}", "/tick", "[" * 10000 + "]" * 10000], 4, "E_ENCODE"),
        (
            [
                "patch",
                "{name}",
                '[{"op": "add", "path": "/a", "value": ' + "[" * 9999 + "]" * 9999 + "}]",
            ],
            4,
            "E_ENCODE",
        ),
        (["set", "{name}", "1" * 5000], 4, "E_ENCODE"),
        (["set", "{name}", '{"a": -' + "9" * 5000 + "}"], 4, "E_ENCODE"),
        (["ls", "--trust", "bogus"], 4, "E_INVALID"),
        (["doctor", "--trust", "uid:abc"], 4, "E_INVALID"),
        (["get", "{name}", "--trust", "group, uid:1"], 4, "E_INVALID"),
        (["ls", "--idle", "-5"], 4, "E_INVALID"),
        (["ls", "--idle", "nan"], 4, "E_INVALID"),
        (["info", "{name}", "--idle", "-1"], 4, "E_INVALID"),
        (["doctor", "--clean", "--idle", "-100"], 4, "E_INVALID"),
        (["doctor", "{name}", "--clean", "--idle", "nan"], 4, "E_INVALID"),
        (["watch", "{name}", "--count", "-1", "--timeout", "0.3"], 4, "E_INVALID"),
        (["watch", "{name}", "--timeout", "nan"], 4, "E_INVALID"),
        (["watch", "{name}", "--timeout", "-1"], 4, "E_INVALID"),
        (["top", "--iterations", "-1"], 4, "E_INVALID"),
        (["top", "--interval", "-1", "--iterations", "2"], 4, "E_INVALID"),
        (["top", "--interval", "nan", "--iterations", "2"], 4, "E_INVALID"),
        (["top", "--interval", "inf", "--iterations", "2"], 4, "E_INVALID"),
        (["top", "--interval", "1e300", "--iterations", "2"], 4, "E_INVALID"),
    ],
)
def test_bad_input_is_one_line_with_the_code_and_changes_nothing(robot, args, status, code):
    before = content(robot)
    done = cli(*(a.replace("{name}", robot) for a in args))
    assert done.returncode == status, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("shmstate: ") and lines[0].endswith(f"({code})")
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert content(robot) == before


def test_a_malformed_trust_is_refused_once_naming_where_it_came_from(robot):
    given = cli("get", robot, "--trust", "uid:abc")
    assert given.returncode == 4
    assert given.stderr.startswith('shmstate: --trust "uid:abc": ')
    assert "environment" not in given.stderr and given.stderr.count("\n") == 1
    from_env = cli("ls", env={"SHMSTATE_TRUST": "everyone"})
    assert from_env.returncode == 4 and from_env.stdout == ""
    assert from_env.stderr.startswith(
        'shmstate: the environment variable SHMSTATE_TRUST "everyone": '
    )
    assert from_env.stderr.rstrip().endswith("(E_INVALID)")
    # --trust overrides the variable, as it does for the library's opens.
    assert cli("get", robot, "--trust", "", env={"SHMSTATE_TRUST": "everyone"}).returncode == 0


def test_numeric_options_take_their_limits(robot):
    assert cli("watch", robot, "--count", "0").returncode == 0
    assert cli("top", "--iterations", "0").returncode == 0
    assert cli("top", "--iterations", "2", "--interval", "0").returncode == 0
    (row,) = [r for r in cli_json("ls", "--idle", "inf") if r["name"] == robot]
    assert row["orphaned"] is False
    (row,) = [r for r in cli_json("ls", "--idle", "0") if r["name"] == robot]
    assert row["orphaned"] is True


def test_a_corrupt_segment_is_e_corrupt_for_every_reading_command(robot):
    poke(robot, 16, b"\xff" * 8)  # the capacity, under the header checksum
    for args in (["get", robot], ["info", robot], ["set", robot, "{}"], ["watch", robot]):
        done = cli(*args)
        assert done.returncode == 6 and done.stderr.strip().endswith("(E_CORRUPT)"), args
    (row,) = [r for r in cli_json("ls") if r["name"] == robot]
    assert row["error"] == "E_CORRUPT" and row["orphaned"] is False
