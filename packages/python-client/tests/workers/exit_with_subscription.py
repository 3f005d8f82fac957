"""Worker: subscribes twice (two threads blocked in the segment wait) and exits
without stopping them; the atexit hook must end them so the exit is clean."""

import sys
import threading

from shmstate import Store

store = Store.open(sys.argv[1])
first = threading.Event()
store.subscribe(lambda change: first.set())
store.subscribe(lambda change: None, replay=False)
first.wait(5)
print("subscribed", flush=True)
