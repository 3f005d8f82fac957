"""The Python side of bench/flood.mjs: publishes states as fast as it can for a while,
then prints one JSON line: commits, seconds, the last seq.
    python peers/flood_publisher.py '{"transport": "shmstate"|"unix", "seconds": ..., ...}'"""

import json
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from payload import encode, make_state


def flood(options, publish):
    state = make_state(options["size"])
    deadline = time.monotonic() + options["seconds"]
    start = time.perf_counter()
    seq = 0
    while time.monotonic() < deadline:
        for _ in range(16):
            state["seq"] = seq
            state["t"] = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            publish(state)
            seq += 1
    return {"commits": seq, "seconds": time.perf_counter() - start, "lastSeq": seq - 1}


def via_shmstate(options):
    from shmstate import Store

    with Store.open(options["name"]) as store:
        return flood(options, store.set)


def via_unix_socket(options):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(options["socketPath"])
        return flood(options, lambda state: sock.sendall(encode(state).encode() + b"\n"))


if __name__ == "__main__":
    opts = json.loads(sys.argv[1])
    result = via_shmstate(opts) if opts["transport"] == "shmstate" else via_unix_socket(opts)
    print(json.dumps(result), flush=True)
