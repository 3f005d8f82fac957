"""Python writer cost of a small change (bench/deltas.mjs): creates a store holding the
robots state of bench/lib/delta_state.py (default patch ring), commits `commits` small
changes with Store.patch() flat out, and reports the CPU time of each commit (the process
CPU clock around the call) and, for the commits that wrote a checkpoint (stats'
checkpoint_version is the committed version), their wall time.

    python peers/delta_writer.py '{"name": ..., "size": ..., "commits": ..., "warmup": ...}'
Prints one JSON line: cpuUsPerCommit, commits, checkpointUs (list) and exits.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))
from delta_state import changed_path, make_robots, small_change

from shmstate import Store


def main(options):
    state = make_robots(options["size"])
    path = changed_path(state)
    store = Store.create(options["name"], state, capacity=max(4096, options["size"] * 2))
    cpu_ns = 0
    checkpoint_us = []
    try:
        for seq in range(options["warmup"] + options["commits"]):
            wall = time.perf_counter_ns()
            cpu = time.process_time_ns()
            version = store.patch(small_change(path, seq, seq))
            cpu = time.process_time_ns() - cpu
            wall = time.perf_counter_ns() - wall
            if seq < options["warmup"]:
                continue
            cpu_ns += cpu
            if store.stats()["checkpoint_version"] == version:
                checkpoint_us.append(wall / 1000)
    finally:
        store.close()
        Store.unlink(options["name"])
    result = {
        "cpuUsPerCommit": cpu_ns / 1000 / options["commits"],
        "commits": options["commits"],
        "checkpointUs": checkpoint_us,
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
