"""The Python side of bench/breakdown.mjs: the latency ping-pong of latency_publisher.py,
with set() taken apart into its two steps so each is timed: encode (shmstate.encode, the
dialect check and JSON) and the commit of the encoded bytes (the segment's commit: the
seqlock write, the futex bump and the doorbell rings), which together are set().

    python peers/breakdown_publisher.py '{"name": ..., "ackName": ..., "size": ..., ...}'
Prints one JSON line: per measured round, ns from the stamp to "encoded" and to
"committed" (the stamp is the state's "t", CLOCK_MONOTONIC, taken before encoding).
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from payload import make_state

from shmstate import Store, _native, encode

ACK_TIMEOUT = 10.0


def main(options):
    state = make_state(options["size"])
    gap = options["gap_us"] / 1e6
    segment = _native.Segment.open(options["name"])
    ack = Store.open(options["ackName"])
    encoded_ns, committed_ns = [], []
    try:
        for seq in range(options["warmup"] + options["rounds"]):
            time.sleep(gap)
            state["seq"] = seq
            stamp = state["t"] = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            data = encode(state)
            encoded = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            segment.commit(data)
            committed = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
            if seq >= options["warmup"]:
                encoded_ns.append(encoded - stamp)
                committed_ns.append(committed - stamp)
            # The ack store starts at version 1 and gains one version per round.
            ack.wait_for(seq + 2, timeout=ACK_TIMEOUT)
    finally:
        segment.close()
        ack.close()
    print(json.dumps({"encodedNs": encoded_ns, "committedNs": committed_ns}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
