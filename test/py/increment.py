"""Runs argv[2] compare-and-set increments of state["n"], then prints "done"."""

import sys

from shmstate import Store

name, count = sys.argv[1], int(sys.argv[2])
with Store.open(name) as store:
    for _ in range(count):
        store.update(lambda state: {**state, "n": state["n"] + 1})
print("done", flush=True)
