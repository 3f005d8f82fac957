"""Worker: blocks with no timeout until a signal ends it, in the wait named by argv[2]:
"watch" (the default) or "wait_for"."""

import sys

from shmstate import Store

how = sys.argv[2] if len(sys.argv) > 2 else "watch"
with Store.open(sys.argv[1]) as store:
    print("watching", flush=True)
    if how == "watch":
        for _ in store.watch():
            pass
    else:
        store.wait_for(store.version + 1_000_000)
