"""Helpers for the Python scripts: mode, percentiles, tables and the results JSON, computed
and printed the same way as bench/lib/*.mjs."""

import json
import math
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
QUICK = "--quick" in sys.argv or os.environ.get("BENCH_MODE") == "quick"
RESULTS = Path(
    os.environ.get("BENCH_RESULTS")
    or BENCH_DIR / "results" / ("tmp/quick.json" if QUICK else "latest.json")
)


def pick(quick_value, full_value):
    return quick_value if QUICK else full_value


def now_ns():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    rank = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[rank]


def time_loop(fn, seconds, batch=64):
    """Calls fn in batches until `seconds` pass; returns (ns per call, calls per second).
    A warm-up of a fifth of the time (at least 20 ms) runs first, as in stats.mjs."""
    _run_for(fn, max(0.02, seconds / 5), batch)
    return _run_for(fn, seconds, batch)


def time_interleaved(fns, seconds, batch=64, slices=15):
    """Times several functions against each other, as timeInterleaved in stats.mjs:
    `slices` rounds of each in turn, then the median ns per call of each. Returns one
    (ns per call, calls per second) per function."""
    for fn in fns:
        _run_for(fn, max(0.02, seconds / 5 / len(fns)), batch)
    samples = [[] for _ in fns]
    for _ in range(slices):
        for index, fn in enumerate(fns):
            samples[index].append(_run_for(fn, seconds / slices / len(fns), batch)[0])
    results = []
    for values in samples:
        values.sort()
        middle = len(values) // 2
        ns = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        results.append((ns, 1e9 / ns))
    return results


def _run_for(fn, seconds, batch):
    budget = int(seconds * 1e9)
    calls = 0
    start = time.perf_counter_ns()
    while True:
        for _ in range(batch):
            fn()
        calls += batch
        elapsed = time.perf_counter_ns() - start
        if elapsed >= budget:
            break
    ns = elapsed / calls
    return ns, 1e9 / ns


def format_cell(value):
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    if isinstance(value, int) and magnitude < 1000:
        return str(value)
    if magnitude >= 1000:
        return f"{round(value):,}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.2g}"


def print_table(title, headers, rows):
    cells = [[format_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(row):
        return "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |"

    out = [
        f"\n### {title}\n",
        line(headers),
        "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|",
    ]
    out += [line(r) for r in cells]
    print("\n".join(out), flush=True)


def size_label(size):
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    if size >= 1024:
        return f"{size >> 10} KiB"
    return f"{size} B"


def record_section(section, figures):
    """Merges one section into the results JSON (scripts run one after another)."""
    try:
        results = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        results = {}
    results.setdefault("mode", "quick" if QUICK else "full")
    results.setdefault("sections", {})
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["sections"][section] = {"recordedAt": stamp, **figures}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
