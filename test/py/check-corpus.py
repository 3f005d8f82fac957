"""Reads stores <base>-<index> written by Node and compares each with the corpus entry as
Python's json module reads it. Prints one JSON line: {"checked": n, "mismatches": [...]}.
Python equality treats 1 == 1.0 and -0.0 == 0, which is the documented contract: Node
writes integral floats as integers and -0 as 0."""

import json
import pathlib
import sys

from shmstate import Store

corpus = json.loads(
    (pathlib.Path(__file__).parent.parent / "fixtures" / "corpus.json").read_text("utf-8")
)
base = sys.argv[1]
mismatches = []
for index, entry in enumerate(corpus):
    with Store.open(f"{base}-{index}") as store:
        state = store.get()
    if state != entry["value"]:
        mismatches.append(entry["name"])
print(json.dumps({"checked": len(corpus), "mismatches": mismatches}), flush=True)
