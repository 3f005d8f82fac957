"""The Python side of the delta ping-pong (bench/deltas.mjs): each round stamps
CLOCK_MONOTONIC and makes the small change of bench/lib/delta_state.py (the middle robot's
x and the stamp) through one writer, then blocks until the Node subscriber acks (not
measured) and sleeps `gap_us` so the next round starts with the subscriber idle.

    python peers/delta_publisher.py '{"writer": "patch", "path": "/robots/r5/pose/x", ...}'

writers: patch (Store.patch), update (Store.update), set (the whole state, to a store
without a ring), unix and redis-pubsub (the same ops as JSON Patch text, one message each).
Prints one JSON line: the publish call's p50 (us).
"""

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from delta_state import make_robots, robot_at, small_change

ACK_TIMEOUT = 10.0
publish_ns = []


def rounds_of(options):
    gap = options["gap_us"] / 1e6
    for seq in range(options["warmup"] + options["rounds"]):
        if gap:
            time.sleep(gap)
        yield seq, time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def published(seq, t, options):
    if seq >= options["warmup"]:
        publish_ns.append(time.clock_gettime_ns(time.CLOCK_MONOTONIC) - t)


def via_store(options):
    from shmstate import Store

    store = Store.open(options["name"])
    ack = Store.open(options["ackName"])
    path = options["path"]
    writer = options["writer"]
    whole = make_robots(options["size"]) if writer == "set" else None

    def move(draft, seq, t):
        robot_at(draft, path)["pose"]["x"] = seq + 0.5
        draft["t"] = t

    try:
        for seq, t in rounds_of(options):
            if writer == "patch":
                store.patch(small_change(path, seq, t))
            elif writer == "update":
                store.update(lambda draft, seq=seq, t=t: move(draft, seq, t))
            else:
                move(whole, seq, t)
                store.set(whole)
            published(seq, t, options)
            # The ack store starts at version 1 and gains one version per round.
            ack.wait_for(seq + 2, timeout=ACK_TIMEOUT)
    finally:
        store.close()
        ack.close()


def via_unix_socket(options):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(options["socketPath"])
        sock.settimeout(ACK_TIMEOUT)
        for seq, t in rounds_of(options):
            text = json.dumps(small_change(options["path"], seq, t), separators=(",", ":"))
            sock.sendall(text.encode() + b"\n")
            published(seq, t, options)
            if sock.recv(1) != b"\n":
                raise RuntimeError("the Unix socket server closed the connection")


def via_redis(options):
    import redis

    client = redis.Redis(host="127.0.0.1", port=options["redisPort"])
    client.delete("bench-ack")
    for seq, t in rounds_of(options):
        text = json.dumps(small_change(options["path"], seq, t), separators=(",", ":"))
        client.publish("bench", text)
        published(seq, t, options)
        if client.blpop(["bench-ack"], timeout=ACK_TIMEOUT) is None:
            raise RuntimeError("no ack from the Redis subscriber")
    client.close()


WRITERS = {
    "patch": via_store,
    "update": via_store,
    "set": via_store,
    "unix": via_unix_socket,
    "redis-pubsub": via_redis,
}

if __name__ == "__main__":
    opts = json.loads(sys.argv[1])
    WRITERS[opts["writer"]](opts)
    publish_ns.sort()
    median = publish_ns[(len(publish_ns) + 1) // 2 - 1] / 1000
    print(json.dumps({"publishP50": median}), flush=True)
