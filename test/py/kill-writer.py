"""A writer meant to be killed: opens the store, times its first commit (which includes
taking over a lock a killed writer may have left), prints "first <ms>", then commits
burst states continuously until it is killed: mostly as patches (patch(), which the ring
checkpoints every few versions), every seventh as a whole state (set() of a state that
shares nothing with the last, so it goes whole), so that kills land at every store of a
patch commit, of a checkpoint and of a whole-state commit."""

import sys
import time

from burst_state import burst_state
from shmstate import Store

store = Store.open(sys.argv[1])


def commit(seq: int) -> None:
    if seq % 7 == 0:
        store.set(burst_state(seq))
        return
    whole = burst_state(seq)
    store.patch([{"op": "add", "path": f"/{key}", "value": value} for key, value in whole.items()])


seq = store.get()["seq"] + 1
started = time.perf_counter()
commit(seq)
print(f"first {(time.perf_counter() - started) * 1000:.3f}", flush=True)
while True:
    seq += 1
    commit(seq)
