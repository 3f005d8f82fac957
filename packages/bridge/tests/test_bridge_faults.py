"""Faults the bridge survives, each against real nats-server processes: the server
restarting mid-stream, either bridge killed with SIGKILL and restarted, the network path
cut for a while, one server of a three-server cluster (replicated bucket) killed, the
leader store unlinked and made again, a corrupt value put by another client, a state over
the server's max_payload. Each ends with the mirror on the leader's final version and
state, and no version of one mirror store going backwards."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Any

import nats

from conftest import Bridge, Sampler, Servers, Writer, converged, wait_for
from proxy import Proxy
from shmstate import Store

STATE = {"tick": 0, "pad": "p" * 500}


def leader_store(name: str) -> Store[Any]:
    return Store.create(name, STATE, capacity=1 << 16)


def run_faulted(
    nats_servers: list[str],
    bridges: Callable[..., Bridge],
    names: Callable[[str], str],
    fault: Callable[[dict[str, Bridge]], None],
    count: int = 3000,
    rate: float = 1500,
    publish_servers: list[str] | None = None,
    extra: tuple[str, ...] = (),
) -> Sampler:
    """A writer, a publisher and a follower; `fault` runs a third of the way through.
    Returns the sampler, after convergence."""
    leader_name, mirror_name = names("a"), names("b")
    servers = [arg for url in nats_servers for arg in ("--server", url)]
    pub_servers = [arg for url in (publish_servers or nats_servers) for arg in ("--server", url)]
    with leader_store(leader_name) as leader:
        procs = {
            "publish": bridges("publish", leader_name, *pub_servers, *extra),
            "follow": bridges("follow", f"{leader_name}:{mirror_name}", *servers),
        }
        wait_for("the mirror", converged(leader, mirror_name))
        sampler = Sampler(mirror_name)
        sampler.start()
        writer = Writer(leader, count, rate)
        writer.start()
        wait_for("a third of the versions", lambda: writer.written >= count // 3)
        fault(procs)
        writer.join(120)
        wait_for("the mirror to converge", converged(leader, mirror_name), 60)
        assert leader.version == count + 1
        wait_for("the sampler to see it", lambda: sampler.last() == count + 1)
        assert sampler.backwards() == []
        return sampler


def test_nats_server_restarting_mid_stream(nats: Servers, bridges, names) -> None:
    server = nats.single()

    def restart(_: dict[str, Bridge]) -> None:
        server.stop()
        time.sleep(1.0)
        server.start()

    run_faulted([server.url], bridges, names, restart)


def test_publisher_killed_and_restarted(nats: Servers, bridges, names) -> None:
    server = nats.single()

    def kill_publisher(procs: dict[str, Bridge]) -> None:
        procs["publish"].kill()
        time.sleep(1.0)
        procs["publish"].start()

    run_faulted([server.url], bridges, names, kill_publisher)


def test_follower_killed_and_restarted(nats: Servers, bridges, names) -> None:
    server = nats.single()

    def kill_follower(procs: dict[str, Bridge]) -> None:
        procs["follow"].kill()
        time.sleep(1.0)
        procs["follow"].start()

    run_faulted([server.url], bridges, names, kill_follower)


def test_network_path_dropping_for_a_while(nats: Servers, bridges, names) -> None:
    server = nats.single()
    with Proxy(server.port) as proxy:

        def partition(_: dict[str, Bridge]) -> None:
            proxy.cut()
            time.sleep(3.0)
            proxy.restore()

        # The follower reaches the server only through the proxy: it is the partitioned side.
        leader_name, mirror_name = names("a"), names("b")
        with leader_store(leader_name) as leader:
            bridges("publish", leader_name, "--server", server.url)
            bridges("follow", f"{leader_name}:{mirror_name}", "--server", proxy.url)
            wait_for("the mirror", converged(leader, mirror_name))
            sampler = Sampler(mirror_name)
            sampler.start()
            writer = Writer(leader, 3000, 1500)
            writer.start()
            wait_for("a third of the versions", lambda: writer.written >= 1000)
            partition({})
            writer.join(120)
            wait_for("the mirror to converge", converged(leader, mirror_name), 60)
            assert sampler.backwards() == []


def test_cluster_of_three_with_one_server_killed(nats: Servers, bridges, names) -> None:
    cluster = nats.cluster(3)
    urls = [server.url for server in cluster]

    def kill_one(_: dict[str, Bridge]) -> None:
        # The server the most bridges are connected to: at least one of them must fail over.
        busiest = max(cluster, key=lambda server: server.clients())
        assert busiest.clients() > 0
        busiest.stop(signal.SIGKILL)

    # The publisher creates the bucket with 3 replicas; wait for JetStream to have a leader.
    time.sleep(2.0)
    run_faulted(urls, bridges, names, kill_one, extra=("--replicas", "3"))


def test_leader_made_again_is_followed_as_a_new_store(nats: Servers, bridges, names) -> None:
    server = nats.single()
    leader_name, mirror_name = names("a"), names("b")
    with leader_store(leader_name) as first:
        bridges("publish", leader_name, "--server", server.url)
        bridges("follow", f"{leader_name}:{mirror_name}", "--server", server.url)
        for tick in range(1, 501):
            first.patch([{"op": "replace", "path": "/tick", "value": tick}])
        wait_for("the mirror of the first leader", converged(first, mirror_name))
        with Store.open(mirror_name) as mirror:
            first_mirror_id = mirror.store_id
            assert first.store_id in (mirror.stats()["leader"] or "")
        Store.unlink(leader_name)
    with Store.create(leader_name, {"tick": -1, "second": True}, capacity=1 << 16) as second:
        sampler = Sampler(mirror_name)
        sampler.start()
        for tick in range(1, 201):
            second.patch([{"op": "replace", "path": "/tick", "value": tick}])
        wait_for("the mirror of the new leader", converged(second, mirror_name), 60)
        with Store.open(mirror_name) as mirror:
            assert mirror.store_id != first_mirror_id
            assert second.store_id in (mirror.stats()["leader"] or "")
            assert mirror.version == 201
        wait_for("the sampler to see it", lambda: sampler.last() == 201)
        assert sampler.backwards() == []
        # Within the new mirror store, only the new leader's versions (1..201).
        new_versions = [v for sid, v in sampler.samples if sid != first_mirror_id]
        assert new_versions and max(new_versions) == 201


async def put_raw(url: str, key: str, value: bytes) -> None:
    nc = await nats.connect(url)
    try:
        kv = await nc.jetstream().key_value("shmstate")
        await kv.put(key, value)
    finally:
        await nc.close()


def test_a_corrupt_value_is_refused_and_skipped(nats: Servers, bridges, names) -> None:
    server = nats.single()
    leader_name, mirror_name = names("a"), names("b")
    with leader_store(leader_name) as leader:
        bridges("publish", leader_name, "--server", server.url)
        follower = bridges("follow", f"{leader_name}:{mirror_name}", "--server", server.url)
        for tick in range(1, 101):
            leader.patch([{"op": "replace", "path": "/tick", "value": tick}])
        wait_for("the mirror", converged(leader, mirror_name))
        garbage = [
            (f"{leader_name}.state", b"not a shmstate value"),
            (
                f"{leader_name}.state",
                b'{"shmstate":"state","store_id":"%s","version":999999}\n{bad'
                % leader.store_id.encode(),
            ),
            (
                f"{leader_name}.patches",
                b'{"shmstate":"patches","store_id":"%s","from":%d,"to":%d}'
                b'\n[{"op":"remove","path":"/nothing"}]'
                % (leader.store_id.encode(), leader.version + 1, leader.version + 1),
            ),
            (f"{leader_name}.patches", b"\xff\xfe\n\x00"),
        ]
        for key, value in garbage:
            asyncio.run(put_raw(server.url, key, value))
        time.sleep(1.5)
        with Store.open(mirror_name) as mirror:
            assert mirror.version == leader.version == 101
            assert mirror.get() == leader.get()
        assert follower.process is not None and follower.process.poll() is None
        assert "refused the value" in follower.output()
        for tick in range(101, 201):
            leader.patch([{"op": "replace", "path": "/tick", "value": tick}])
        wait_for("the mirror after the corrupt values", converged(leader, mirror_name))


def test_a_state_over_max_payload_is_refused_naming_the_setting(nats: Servers, bridges, names):
    server = nats.single("max_payload: 65536\n")
    leader_name, mirror_name = names("a"), names("b")
    with Store.create(leader_name, {"tick": 0, "pad": ""}, capacity=1 << 18) as leader:
        publisher = bridges("publish", leader_name, "--server", server.url)
        bridges("follow", f"{leader_name}:{mirror_name}", "--server", server.url)
        wait_for("the mirror", converged(leader, mirror_name))
        leader.set({"tick": 1, "pad": "x" * 100_000})
        wait_for("the error", lambda: "max_payload" in publisher.output(), 10)
        assert "65536" in publisher.output()
        leader.set({"tick": 2, "pad": ""})
        wait_for("the mirror after the state shrank", converged(leader, mirror_name))
