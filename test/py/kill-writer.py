"""A writer meant to be killed: opens the store, times its first commit (which includes
taking over a lock a killed writer may have left), prints "first <ms>", then commits
whole burst states continuously until it is killed."""

import sys
import time

from burst_state import burst_state
from shmstate import Store

store = Store.open(sys.argv[1])
seq = store.get()["seq"] + 1
started = time.perf_counter()
store.set(burst_state(seq))
print(f"first {(time.perf_counter() - started) * 1000:.3f}", flush=True)
while True:
    seq += 1
    store.set(burst_state(seq))
