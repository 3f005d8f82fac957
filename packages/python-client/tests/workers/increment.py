"""Worker: opens a store, says "ready", waits for version 2 (the go signal), then
increments state["n"] COUNT times with update()."""

import sys

from shmstate import Store

name, count = sys.argv[1], int(sys.argv[2])
with Store.open(name) as store:
    print("ready", flush=True)
    store.wait_for(2, timeout=30)
    for _ in range(count):
        store.update(lambda state: {**state, "n": state["n"] + 1})
