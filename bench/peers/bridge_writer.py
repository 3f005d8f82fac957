"""The leader side of bench/bridge.mjs: one state of about SIZE bytes ({"t", "seq", "pad"}),
then COUNT versions, each a patch replacing /t (CLOCK_MONOTONIC ns at the commit, the
clock Node's process.hrtime reads) and /seq, at RATE versions/s (0: flat out).

    bridge_writer.py store NAME SIZE COUNT RATE      commits to the shmstate store NAME
    bridge_writer.py redis PORT SIZE COUNT RATE      publishes to Redis channel "bench-bridge":
                                                     the state, then the same patches

Prints "ready" once the store exists (or Redis answers), waits for a line on stdin, runs,
and prints {"last": <last version or seq>}."""

import json
import sys
import time

import redis

from shmstate import Store

mode, target, size, count, rate = (
    sys.argv[1],
    sys.argv[2],
    int(sys.argv[3]),
    int(sys.argv[4]),
    float(sys.argv[5]),
)
state = {"t": 0, "seq": 0, "pad": "x" * max(0, size - 40)}


def now() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def paced(send) -> int:
    start = time.monotonic()
    last = 0
    for seq in range(1, count + 1):
        if rate > 0:
            ahead = seq / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
        last = send(
            [
                {"op": "replace", "path": "/t", "value": now()},
                {"op": "replace", "path": "/seq", "value": seq},
            ],
            seq,
        )
    return last


if mode == "store":
    with Store.create(target, state, capacity=max(4096, 2 * size)) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        last = paced(lambda ops, seq: store.patch(ops))
        print(json.dumps({"last": last}), flush=True)
        sys.stdin.readline()  # the follower keeps reading the leader until the script ends
else:
    client = redis.Redis(host="127.0.0.1", port=int(target))
    client.ping()
    print("ready", flush=True)
    sys.stdin.readline()
    client.publish("bench-bridge", json.dumps({"state": state}, separators=(",", ":")))

    def publish(ops, seq):
        client.publish("bench-bridge", json.dumps({"patch": ops}, separators=(",", ":")))
        return seq

    last = paced(publish)
    print(json.dumps({"last": last}), flush=True)
