"""Reads a store as fast as it can until stdin closes, checking that every state is whole
({"seq": n, "body": [n, n, ...]} with a length derived from n) and versions never go back.
Prints one JSON line: reads, violations, the first violation, the last version seen."""

import json
import sys
import threading

from shmstate import Store


def whole(state) -> bool:
    seq = state.get("seq")
    body = state.get("body", [])
    return seq == 0 or (len(body) == 8 + seq % 50 and all(x == seq for x in body))


stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
reads = violations = 0
first = None
last = 0
with Store.open(sys.argv[1]) as store:
    print("ready", flush=True)
    while not stop.is_set():
        snap = store.snapshot()
        reads += 1
        problem = None
        if snap.version < last:
            problem = f"version {snap.version} after {last}"
        elif not whole(snap.state):
            problem = f"torn state at version {snap.version}"
        if problem:
            violations += 1
            first = first or problem
        last = snap.version
print(json.dumps({"reads": reads, "violations": violations, "first": first, "last": last}))
