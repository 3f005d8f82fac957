"""Watches the store argv[1] and prints one JSON line per change {"version", "state",
"missed", "replaced"}; "ready" once the watch has begun. With "reopen" as argv[2] the store
follows its replacement (Store.open(reopen=True)) and the script ends after the state
{"gen": 2, "n": 3}; without it the watch ends with an error, printed as {"error": <code>,
"at": <CLOCK_MONOTONIC ns>}."""

import json
import sys
import time

from shmstate import ShmStateError, Store

reopen = len(sys.argv) > 2 and sys.argv[2] == "reopen"
store = Store.open(sys.argv[1], reopen=reopen)
changes = store.watch(timeout=30, replay=True)
print("ready", flush=True)
try:
    for change in changes:
        line = {"version": change.version, "state": change.state, "missed": change.missed}
        print(json.dumps({**line, "replaced": change.replaced}), flush=True)
        if change.state == {"gen": 2, "n": 3}:
            break
except ShmStateError as error:
    print(json.dumps({"error": error.code, "at": time.monotonic_ns()}), flush=True)
store.close()
