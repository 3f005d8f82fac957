"""Watches store argv[1] (latest wins) until it sees version argv[2]. For each change it
checks that the patches it carries, applied to the previous state, give the new state,
and prints one JSON line {"v", "h" (sha1 of the canonical state), "patched", "ok"}.
Prints "ready" once watching and "done" at the end."""

import json
import sys

from random_edits import canonical, text_hash
from shmstate import Store
from shmstate.json_patch import apply_patch

name, final = sys.argv[1], int(sys.argv[2])
lines = []
with Store.open(name) as store:
    changes = store.watch(timeout=60, replay=True)
    previous = next(changes)
    print("ready", flush=True)
    for change in changes:
        text = canonical(change.state)
        ok = True
        if change.patches is not None:
            ok = canonical(apply_patch(previous.state, change.patches)) == text
        line = {"v": change.version, "h": text_hash(text), "ok": ok}
        line["patched"] = change.patches is not None
        lines.append(json.dumps(line))
        previous = change
        if change.version >= final:
            break
sys.stdout.write("\n".join(lines) + "\ndone\n")
sys.stdout.flush()
