"""Watches a store until it sees version argv[2], then prints one JSON line (same fields
as test/children/subscribe-until.mjs). Prints "ready" once watching."""

import json
import sys

from burst_state import is_whole_burst_state
from shmstate import Store

name, final = sys.argv[1], int(sys.argv[2])
result = {
    "first": 0,
    "last": 0,
    "emissions": 0,
    "missed": 0,
    "increasing": True,
    "whole": True,
    "honest": True,
}

with Store.open(name) as store:
    # replay=True: the first change is the current state, so nothing falls between the
    # snapshot and the first wait.
    changes = store.watch(timeout=60, replay=True)
    current = next(changes)
    result.update(first=current.version, last=current.version, emissions=1)
    result["whole"] = is_whole_burst_state(current.state)
    print("ready", flush=True)
    if current.version < final:
        for change in changes:
            if change.version <= result["last"]:
                result["increasing"] = False
            elif change.missed != change.version - result["last"] - 1:
                result["honest"] = False
            if not is_whole_burst_state(change.state):
                result["whole"] = False
            result["emissions"] += 1
            result["missed"] += change.missed
            result["last"] = change.version
            if change.version >= final:
                break
print(json.dumps(result), flush=True)
