"""Question: how do the costs of a commit and of a read grow with the state, 1 KiB to
4 MiB? (Python; bench/scaling.mjs answers it for Node.)
    .venv/bin/python bench/scaling_python.py [--quick]"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from benchlib import pick, print_table, record_section, size_label
from store_costs import measure_store_costs

SIZES = pick([1024, 65536, 1 << 20], [1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20])
SECONDS = pick(0.05, 0.5)

rows = [
    measure_store_costs(f"bench-scaling-py-{os.getpid()}-{i}", s, SECONDS)
    for i, s in enumerate(SIZES)
]
print_table(
    "Python cost per commit and per read by state size (us per call)",
    [
        "size",
        "encode",
        "set()",
        "_native commit",
        "update()",
        "cached get",
        "_native read",
        "read+decode",
        "commit GB/s",
    ],
    [
        [
            size_label(r["size"]),
            r["encodeNs"] / 1e3,
            r["setNs"] / 1e3,
            r["commitNs"] / 1e3,
            r["updateNs"] / 1e3,
            r["cachedGetNs"] / 1e3,
            r["readNs"] / 1e3,
            r["readDecodeNs"] / 1e3,
            r["bytes"] / r["commitNs"],
        ]
        for r in rows
    ],
)
record_section("scalingPython", {"seconds": SECONDS, "rows": rows})
