"""Commits argv[2] random small edits to store argv[1] with store.patch() (seed argv[3]).
After each it reads the store afresh (a new handle: the checkpoint and the patches after
it) and prints "<version> <sha1 of that state's canonical form>", then "done"."""

import random
import sys

from random_edits import canonical, random_edit, state_hash
from shmstate import Store

name, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
out = []
with Store.open(name) as store:
    for _ in range(count):
        # An edit may change nothing (a value replaced by an equal one): edit again.
        before = version = store.version
        while version == before:
            state = store.get()
            ops = random_edit(rng, state, shrink=len(canonical(state)) > 12_000)
            version = store.patch(ops)
        with Store.open(name) as fresh:
            snapshot = fresh.snapshot()
        assert snapshot.version == version, (snapshot.version, version)
        out.append(f"{version} {state_hash(snapshot.state)}")
sys.stdout.write("\n".join(out) + "\ndone\n")
sys.stdout.flush()
