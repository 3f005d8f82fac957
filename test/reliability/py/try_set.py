"""Opens a store, sets its lock timeout and tries one set(); prints "ok <version>" or the
error code. Used to show another language's writer meets a stalled writer's lock."""

import sys

from shmstate import ShmStateError, Store

name, timeout_ms = sys.argv[1], int(sys.argv[2])
with Store.open(name) as store:
    store.set_lock_timeout(timeout_ms / 1000)
    try:
        print("ok", store.set({"n": "python"}))
    except ShmStateError as err:
        print(err.code)
