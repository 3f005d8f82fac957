"""The Python side of the latency ping-pong (bench/latency.mjs): each round stamps
CLOCK_MONOTONIC into the state right before publishing it through one transport, then
blocks until the Node subscriber acks (the ack is not measured) and sleeps a little so the
next round starts with the subscriber idle, as the C floor does.

    python peers/latency_publisher.py '{"transport": "shmstate", "rounds": ..., ...}'
"""

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from payload import encode, make_state

ACK_TIMEOUT = 10.0
# How long each publish call took (stamp -> call returned, ns): encoding + handing over,
# the publisher's share of the latency.
publish_ns = []


def published(seq, state, options):
    if seq >= options["warmup"]:
        publish_ns.append(time.clock_gettime_ns(time.CLOCK_MONOTONIC) - state["t"])


def rounds_of(options):
    state = make_state(options["size"])
    gap = options["gap_us"] / 1e6
    for seq in range(options["warmup"] + options["rounds"]):
        if gap:
            time.sleep(gap)
        state["seq"] = seq
        state["t"] = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        yield seq, state


def via_shmstate(options):
    from shmstate import Store

    store = Store.open(options["name"])
    ack = Store.open(options["ackName"])
    try:
        for seq, state in rounds_of(options):
            store.set(state)
            published(seq, state, options)
            # The ack store starts at version 1 and gains one version per round.
            ack.wait_for(seq + 2, timeout=ACK_TIMEOUT)
    finally:
        store.close()
        ack.close()


def via_unix_socket(options):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(options["socketPath"])
        sock.settimeout(ACK_TIMEOUT)
        for seq, state in rounds_of(options):
            sock.sendall(encode(state).encode() + b"\n")
            published(seq, state, options)
            if sock.recv(1) != b"\n":
                raise RuntimeError("the Unix socket server closed the connection")


def via_redis(options, get_after_notify):
    import redis

    client = redis.Redis(host="127.0.0.1", port=options["redisPort"])
    client.delete("bench-ack")
    pipeline = client.pipeline(transaction=False)
    for seq, state in rounds_of(options):
        if get_after_notify:
            # SET then PUBLISH in one round trip: the cheapest way to do it with Redis.
            pipeline.set("bench-state", encode(state))
            pipeline.publish("bench", str(seq))
            pipeline.execute()
            published(seq, state, options)
        else:
            client.publish("bench", encode(state))
            published(seq, state, options)
        if client.blpop(["bench-ack"], timeout=ACK_TIMEOUT) is None:
            raise RuntimeError("no ack from the Redis subscriber")
    client.close()


TRANSPORTS = {
    "shmstate": via_shmstate,
    "shmstate-abstract": via_shmstate,
    "unix": via_unix_socket,
    "redis-pubsub": lambda options: via_redis(options, False),
    "redis-get": lambda options: via_redis(options, True),
}

if __name__ == "__main__":
    opts = json.loads(sys.argv[1])
    TRANSPORTS[opts["transport"]](opts)
    publish_ns.sort()
    median = publish_ns[(len(publish_ns) + 1) // 2 - 1] / 1000
    print(json.dumps({"publishP50": median}), flush=True)
