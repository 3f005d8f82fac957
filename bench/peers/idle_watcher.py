"""An idle Python watcher for bench/idle.mjs: iterates store.watch() on an existing store
while nothing is committed. Prints "ready", then blocks until killed.
    python peers/idle_watcher.py <segment name>"""

import sys

from shmstate import Store

with Store.open(sys.argv[1]) as store:
    changes = store.watch()
    print("ready", flush=True)
    for _change in changes:
        pass
