"""Commits {"step": i} for i in 1..argv[2] and prints "done <version>"."""

import sys

from shmstate import Store

with Store.open(sys.argv[1]) as store:
    version = 0
    for step in range(1, int(sys.argv[2]) + 1):
        version = store.set({"step": step})
print(f"done {version}", flush=True)
