"""A Python writer that replaces its store, for the retirement tests. Creates the store
argv[1] holding {"gen": 1, "n": 0} and prints "created"; then, per line on stdin:
  restart  Store.unlink(name) (prints {"unlinked": <CLOCK_MONOTONIC ns>} just before it),
           then Store.create(name) with {"gen": 2, "n": 0} and 3 more versions (n = 1..3);
           prints "written"
  set      commits {"gen": <gen>, "n": n + 1} through the store it holds; prints "ok" or
           the error's code
At end of input it closes its store."""

import json
import sys
import time

from shmstate import ShmStateError, Store

name = sys.argv[1]
store = Store.create(name, initial={"gen": 1, "n": 0}, capacity=4096)
print("created", flush=True)
for line in sys.stdin:
    command = line.strip()
    if command == "restart":
        print(json.dumps({"unlinked": time.monotonic_ns()}), flush=True)
        Store.unlink(name)
        store.close()
        store = Store.create(name, initial={"gen": 2, "n": 0}, capacity=4096)
        for n in range(1, 4):
            store.set({"gen": 2, "n": n})
        print("written", flush=True)
    elif command == "set":
        try:
            state = store.get()
            store.set({"gen": state["gen"], "n": state["n"] + 1})
            print("ok", flush=True)
        except ShmStateError as error:
            print(error.code, flush=True)
store.close()
