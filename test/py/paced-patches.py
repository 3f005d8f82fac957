"""Commits small patches to store argv[1] at argv[2] versions per second for argv[3]
seconds, each `replace /tick` with the next number (paced against the clock: a burst
catches up when the process was descheduled). Prints "started" at the first commit, then
"done <versions committed> <last version> <achieved rate>"."""

import sys
import time

from shmstate import Store

name, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
committed = 0
with Store.open(name) as store:
    tick = store.get()["tick"]
    started = time.monotonic()
    print("started", flush=True)
    version = store.version
    while True:
        elapsed = time.monotonic() - started
        if elapsed >= seconds:
            break
        due = int(elapsed * rate)
        if committed >= due:
            time.sleep(0.0002)
            continue
        while committed < due:
            tick += 1
            version = store.patch([{"op": "replace", "path": "/tick", "value": tick}])
            committed += 1
    achieved = committed / (time.monotonic() - started)
print(f"done {committed} {version} {achieved:.0f}", flush=True)
