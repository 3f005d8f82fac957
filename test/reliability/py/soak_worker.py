"""One long-lived Python process of the soak: a subscriber thread, reads and compare-and-set
updates for <seconds>, then a report. Prints "warm <rssKiB> <fds>" after the warm-up and
"end <rssKiB> <fds> <updates> <reads> <emissions>" at the end."""

import gc
import os
import random
import sys
import time

from shmstate import Store

name, seconds, warm_seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        # Anonymous RSS: the segment's shared pages (RssShmem) are bounded by its size and
        # become resident as the patch ring is first written around, not a leak.
        return next(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))


def fds() -> int:
    """Descriptors that stay open (not the listing's own, gone by the time it is read)."""
    return sum(1 for fd in os.listdir("/proc/self/fd") if os.path.exists(f"/proc/self/fd/{fd}"))


emissions = 0


def on_change(change) -> None:
    global emissions
    emissions += 1
    assert isinstance(change.state["total"], int)


def bump(state):
    state["total"] += 1
    state["python"] = state.get("python", 0) + 1
    state["blob"] = "p" * random.randrange(2000)
    return state


with Store.open(name) as store:
    handle = store.subscribe(on_change)
    updates = reads = 0
    started = time.monotonic()
    warm = False
    while time.monotonic() - started < seconds:
        for _ in range(20):
            store.update(bump)
            updates += 1
            assert store.get()["total"] >= 1
            reads += 1
        time.sleep(0.001)
        if not warm and time.monotonic() - started >= warm_seconds:
            warm = True
            gc.collect()
            print("warm", rss_kib(), fds(), flush=True)
    gc.collect()
    print("end", rss_kib(), fds(), updates, reads, emissions, flush=True)
    handle.stop()
