"""Worker: blocks in watch() with no timeout until a signal ends it."""

import sys

from shmstate import Store

with Store.open(sys.argv[1]) as store:
    changes = store.watch()
    print("watching", flush=True)
    for _ in changes:
        pass
