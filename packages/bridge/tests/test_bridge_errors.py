"""The bridge's failures: a command line that can never work fails at once, before any
connection, in one line ``shmstate: <message> (<code>)`` with the shmstate CLI's exit
status; `python -m shmstate_bridge` and `shmstate mirror` say the same; a permanent
refusal by the server or the local host ends the command the same way; --trust opens
other users' stores; a deliberate exit logs no reconnect warning."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Servers, converged, wait_for
from shmstate import Store

#: Nothing listens there: a check that waited for a connection would time out the test.
NOWHERE = ["--server", "nats://127.0.0.1:1"]


def bridge(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shmstate_bridge", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )


def one_line(out: subprocess.CompletedProcess[str], status: int, code: str) -> str:
    lines = out.stderr.strip().splitlines()
    assert out.returncode == status, out.stderr
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("shmstate: ") and lines[0].endswith(f"({code})")
    return lines[0]


BAD_COMMAND_LINES = [
    (["publish", "x", "--checkpoint-every", "0"], "E_INVALID", "--checkpoint-every is 0;"),
    (["publish", "x", "--checkpoint-every", "64"], "E_INVALID", "must be in [1, 63]"),
    (["publish", "x", "--replicas", "0"], "E_INVALID", "--replicas is 0;"),
    (["publish", "x", "--replicas", "9"], "E_INVALID", "must be in [1, 5]"),
    (["follow", "x", "--capacity", "10"], "E_INVALID", "--capacity is 10; it must be in [64,"),
    (["follow", "x", "--capacity", "-5"], "E_INVALID", "--capacity is -5;"),
    (["publish", "x", "--bucket", "bad bucket"], "E_INVALID", '--bucket "bad bucket"'),
    (["publish", "x", "--server", "notaurl"], "E_INVALID", '--server "notaurl" is not'),
    (["publish", "x", "--server", "nats://h:99999"], "E_INVALID", "is not a NATS server URL"),
    (["publish", "x", "--server", "nats://u:pw@"], "E_INVALID", "(a URL with credentials)"),
    (["publish", "bad name"], "E_NAME", '"bad name"'),
    (["follow", "x:bad name"], "E_NAME", '"bad name"'),
    (["follow", "x:a."], "E_INVALID", 'store name "a." cannot be bridged'),
    (["publish", "x", "--trust", "bogus"], "E_INVALID", '--trust "bogus"'),
    (["publish", "x", "--creds", "/nonexistent"], "E_INVALID", "--creds /nonexistent: No such"),
    (["follow", "x", "--tls-ca", "/nonexistent"], "E_INVALID", "--tls-ca /nonexistent: No such"),
    (["follow", "x", "--tls-ca", "/etc/hostname"], "E_INVALID", "not a CA certificate file"),
]


@pytest.mark.parametrize(("args", "code", "text"), BAD_COMMAND_LINES)
def test_a_bad_command_line_fails_at_once_in_one_line(
    args: list[str], code: str, text: str
) -> None:
    line = one_line(bridge(*args, *NOWHERE), 4, code)
    assert text in line
    assert "u:pw" not in line


def test_creds_without_the_nkeys_package_is_one_coded_line(tmp_path: Path) -> None:
    creds = tmp_path / "user.creds"
    creds.write_text("not read: the nkeys package is checked first\n")
    out = bridge("publish", "x", "--creds", str(creds), *NOWHERE)
    if importlib.util.find_spec("nkeys") is None:
        assert "needs the Python package nkeys" in one_line(out, 4, "E_INVALID")
    else:  # nats-py can use the file: the check lets it through (and the connect waits)
        assert "nkeys" not in out.stderr


def test_a_malformed_shmstate_trust_names_the_variable() -> None:
    env = {**os.environ, "SHMSTATE_TRUST": "uid:abc"}
    line = one_line(bridge("follow", "x", *NOWHERE, env=env), 4, "E_INVALID")
    assert "SHMSTATE_TRUST" in line and "--trust" not in line


def test_both_commands_say_the_same() -> None:
    direct = bridge("publish", "bad name", *NOWHERE)
    via_cli = subprocess.run(
        [sys.executable, "-m", "shmstate", "mirror", "publish", "bad name", *NOWHERE],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (direct.returncode, direct.stderr) == (via_cli.returncode, via_cli.stderr)
    one_line(direct, 4, "E_NAME")


def test_following_into_a_store_that_is_not_a_mirror_is_e_exists(names) -> None:
    local = names("local")
    with Store.create(local, {"mine": True}) as store:
        line = one_line(bridge("follow", f"x:{local}", *NOWHERE), 7, "E_EXISTS")
        assert f"local store '{local}' exists and is not a mirror" in line
        assert store.get() == {"mine": True} and store.version == 1


def test_replicas_the_server_cannot_keep_end_the_publisher(nats: Servers, names) -> None:
    server = nats.single()
    out = bridge("publish", names("a"), "--server", server.url, "--replicas", "3")
    line = one_line(out, 4, "E_INVALID")
    assert "refused to create bucket shmstate" in line and "10074" in line


def test_trust_opens_another_users_store(nats: Servers, bridges, names) -> None:
    server = nats.single()
    leader_name, mirror_name = names("a"), names("b")
    create = f"from shmstate import Store; Store.create({leader_name!r}, {{'n': 7}}).close()"
    subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            create,
        ],
        check=True,
        timeout=30,
    )
    env = {k: v for k, v in os.environ.items() if k != "SHMSTATE_TRUST"}
    untrusted = bridge("publish", leader_name, "--server", server.url, env=env)
    assert "not trusted" in one_line(untrusted, 5, "E_PERM")
    bridges("publish", leader_name, "--server", server.url, "--trust", "uid:65534")
    bridges("follow", f"{leader_name}:{mirror_name}", "--server", server.url)
    with Store.open(leader_name, trust="uid:65534") as leader:
        wait_for("the mirror", converged(leader, mirror_name))


def test_an_interrupted_bridge_exits_130_without_a_reconnect_warning(
    nats: Servers, bridges, names
) -> None:
    server = nats.single()
    leader_name, mirror_name = names("a"), names("b")
    with Store.create(leader_name, {"n": 1}) as leader:
        publisher = bridges("publish", leader_name, "--server", server.url, "-v")
        follower = bridges("follow", f"{leader_name}:{mirror_name}", "--server", server.url)
        wait_for("the mirror", converged(leader, mirror_name))
        for process in (publisher, follower):
            assert process.process is not None
            process.process.send_signal(signal.SIGINT)
            assert process.process.wait(30) == 130
        assert "publishing store id" in publisher.output()
        for process in (publisher, follower):
            assert "connection lost" not in process.output()
            assert "Traceback" not in process.output()
