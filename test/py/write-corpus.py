"""Writes every entry of test/fixtures/corpus.json into its own store <base>-<index>
(created with a placeholder, then set(), so the value goes through a real commit) and
prints "done <count>"."""

import json
import pathlib
import sys

from shmstate import Store

corpus = json.loads(
    (pathlib.Path(__file__).parent.parent / "fixtures" / "corpus.json").read_text("utf-8")
)
base = sys.argv[1]
for index, entry in enumerate(corpus):
    with Store.create(f"{base}-{index}", initial=None, capacity=1 << 20) as store:
        store.set(entry["value"])
print(f"done {len(corpus)}", flush=True)
