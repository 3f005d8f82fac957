"""Opens a store and prints its snapshot as one JSON line: {"version", "state"}."""

import json
import sys

from shmstate import Store

with Store.open(sys.argv[1]) as store:
    snapshot = store.snapshot()
print(json.dumps({"version": snapshot.version, "state": snapshot.state}), flush=True)
