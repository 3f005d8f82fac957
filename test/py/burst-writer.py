"""Commits argv[2] whole burst states as fast as it can, then prints "done <last version>"."""

import sys

from burst_state import burst_state
from shmstate import Store

name, count = sys.argv[1], int(sys.argv[2])
with Store.open(name) as store:
    version = 0
    for seq in range(1, count + 1):
        version = store.set(burst_state(seq))
print(f"done {version}", flush=True)
