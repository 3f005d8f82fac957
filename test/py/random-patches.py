"""Commits argv[2] random small edits to store argv[1] with store.patch() (seed argv[3]).
After each it reads the store afresh, through its own raw segment handle (the checkpoint
and the patches after it, as any fresh reader does), and prints "<version> <sha1 of that
state's canonical form>", then "done"."""

import random
import sys

from random_edits import canonical, random_edit, state_hash
from shmstate import Store, _native
from shmstate.codec import decode
from shmstate.json_patch import apply_patch

name, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
out = []
fresh = _native.Segment.open(name)


def read_afresh() -> tuple[int, object]:
    version, checkpoint, state_bytes, patches = fresh.read_delta()
    state = decode(state_bytes, checkpoint)
    for patch in patches:
        state = apply_patch(state, decode(patch))
    return version, state


with Store.open(name) as store:
    for _ in range(count):
        # An edit may change nothing (a value replaced by an equal one): edit again.
        before = version = store.version
        while version == before:
            state = store.get()
            ops = random_edit(rng, state, shrink=len(canonical(state)) > 12_000)
            version = store.patch(ops)
        read_version, state = read_afresh()
        assert read_version == version, (read_version, version)
        out.append(f"{version} {state_hash(state)}")
fresh.close()
sys.stdout.write("\n".join(out) + "\ndone\n")
sys.stdout.flush()
