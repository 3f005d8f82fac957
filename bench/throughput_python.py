"""Question: how many commits and reads per second from Python, by state size, and what
does a commit cost beyond encoding the state?
    .venv/bin/python bench/throughput_python.py [--quick]"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from benchlib import pick, print_table, record_section, size_label
from store_costs import measure_store_costs

SIZES = [64, 1024, 65536]
SECONDS = pick(0.05, 1.0)

rows = [
    measure_store_costs(f"bench-throughput-py-{os.getpid()}-{i}", s, SECONDS)
    for i, s in enumerate(SIZES)
]
print_table(
    "Python commits/s and reads/s (one process, no subscribers)",
    [
        "size",
        "set/s",
        "update/s",
        "_native commit/s",
        "cached get/s",
        "_native read/s (uncached)",
        "read+decode/s",
    ],
    [
        [
            size_label(r["size"]),
            r["setPerSecond"],
            r["updatePerSecond"],
            r["commitPerSecond"],
            r["cachedGetPerSecond"],
            r["readPerSecond"],
            r["readDecodePerSecond"],
        ]
        for r in rows
    ],
)
print_table(
    "Python commit cost beyond encoding (ns per call)",
    ["size", "encode", "set()", "set() - encode", "_native commit (pre-encoded)"],
    [
        [size_label(r["size"]), r["encodeNs"], r["setNs"], r["overheadNs"], r["commitNs"]]
        for r in rows
    ],
)
record_section("throughputPython", {"seconds": SECONDS, "rows": rows})
