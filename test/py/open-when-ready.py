"""Waits up to 10 s for the store argv[1] (Store.open(name, wait=10)), prints "waiting"
first and then its first snapshot as one JSON line {"version", "state"}; with "hold" as
argv[2], keeps the store open until killed."""

import json
import sys
import time

from shmstate import Store

print("waiting", flush=True)
store = Store.open(sys.argv[1], wait=10)
snapshot = store.snapshot()
print(json.dumps({"version": snapshot.version, "state": snapshot.state}), flush=True)
if len(sys.argv) > 2 and sys.argv[2] == "hold":
    while True:
        time.sleep(1)
store.close()
