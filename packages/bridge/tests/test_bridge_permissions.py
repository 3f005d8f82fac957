"""The NATS permissions docs/bridge.md lists are enough: a publisher and a follower, each
a user limited to them, mirror a store, and the server logs no permission violation."""

from __future__ import annotations

from conftest import Servers, converged, wait_for
from shmstate import Store

PERMISSIONS = """
authorization {
  users: [
    { user: "publisher", password: "pub-pw", permissions: {
        publish: { allow: ["$KV.shmstate.>", "$JS.API.INFO", "$JS.API.STREAM.INFO.KV_shmstate",
                           "$JS.API.STREAM.CREATE.KV_shmstate"] },
        subscribe: { allow: ["_INBOX.>"] } } },
    { user: "follower", password: "fol-pw", permissions: {
        publish: { allow: ["$JS.API.INFO", "$JS.API.STREAM.INFO.KV_shmstate",
                           "$JS.API.CONSUMER.CREATE.KV_shmstate",
                           "$JS.API.CONSUMER.CREATE.KV_shmstate.>",
                           "$JS.API.CONSUMER.INFO.KV_shmstate.>",
                           "$JS.API.CONSUMER.DELETE.KV_shmstate.>",
                           "$JS.API.DIRECT.GET.KV_shmstate.>", "$JS.API.STREAM.MSG.GET.KV_shmstate",
                           "$JS.FC.KV_shmstate.>"] },
        subscribe: { allow: ["_INBOX.>"] } } }
  ]
}
"""


def test_the_documented_permissions_are_enough(nats: Servers, bridges, names) -> None:
    server = nats.single(PERMISSIONS)
    leader_name, mirror_name = names("a"), names("b")
    with Store.create(leader_name, {"n": 0}) as leader:
        publisher = bridges(
            "publish",
            leader_name,
            "--server",
            server.url,
            "--user",
            "publisher",
            "--password",
            "pub-pw",
        )
        follower = bridges(
            "follow",
            f"{leader_name}:{mirror_name}",
            "--server",
            server.url,
            "--user",
            "follower",
            "--password",
            "fol-pw",
        )
        wait_for("the mirror", converged(leader, mirror_name))
        for n in range(1, 301):
            leader.patch([{"op": "replace", "path": "/n", "value": n}])
        wait_for("the mirror to follow", converged(leader, mirror_name))
        violations = [line for line in server.log().splitlines() if "Violation" in line]
        assert violations == []
        assert "Violation" not in publisher.output() + follower.output()
