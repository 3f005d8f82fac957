"""The bridge's commands: `python -m shmstate_bridge` and `shmstate mirror` run the same
code; without the bridge installed `shmstate mirror` says so in one line with a code;
credentials are passed through to the server and never written to the log or the
mirror's leader description."""

from __future__ import annotations

import subprocess
import sys

from conftest import Servers, converged, wait_for
from shmstate import Store


def test_shmstate_mirror_is_the_bridge_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shmstate", "mirror", "follow", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: shmstate mirror follow" in out.stdout and "--tls-ca" in out.stdout


def test_shmstate_mirror_without_the_bridge_fails_in_one_line_with_a_code() -> None:
    code = (
        "import sys; sys.modules['shmstate_bridge'] = None\n"
        "from shmstate.cli import main; sys.exit(main(['mirror', 'publish', 'x']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 4
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "shmstate-bridge" in lines[0] and lines[0].endswith("(E_INVALID)")


def test_credentials_pass_through_and_never_show(nats: Servers, bridges, names) -> None:
    server = nats.single('authorization { user: "bridge", password: "s3cret-pw" }\n')
    leader_name, mirror_name = names("a"), names("b")
    with Store.create(leader_name, {"n": 1}) as leader:
        publisher = bridges(
            "publish",
            leader_name,
            "--server",
            server.url,
            "--user",
            "bridge",
            "--password",
            "s3cret-pw",
            "-v",
        )
        url_with_secret = server.url.replace("nats://", "nats://bridge:s3cret-pw@")
        follower = bridges("follow", f"{leader_name}:{mirror_name}", "--server", url_with_secret)
        wait_for("the mirror", converged(leader, mirror_name))
        with Store.open(mirror_name) as mirror:
            leader_text = mirror.stats()["leader"] or ""
        assert leader_text.startswith(f"{server.url} bucket shmstate key {leader_name}")
        for text in (publisher.output(), follower.output(), leader_text):
            assert "s3cret-pw" not in text
