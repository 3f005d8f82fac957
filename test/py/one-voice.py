"""The Python half of test/one-voice.any.test.ts: runs the table of calls named in argv[2:]
against store names prefixed argv[1] and prints one JSON line per case:
{"case", "code", "message"} for a failure, {"case", "ok": ...} for a success."""

import json
import math
import os
import stat
import sys

from shmstate import ShmStateError, Store

prefix = sys.argv[1]
counter = 0


def fresh() -> str:
    global counter
    counter += 1
    return f"{prefix}-py{counter}"


def made() -> Store:
    return Store.create(fresh(), {"n": 0}, capacity=1024)


def run(case: str) -> object:
    if case == "name-not-a-string":
        return Store.create(123, {})  # type: ignore[arg-type]
    if case == "name-with-a-slash":
        return Store.create("a/b", {})
    if case == "capacity-too-small":
        return Store.create(fresh(), {}, capacity=10)
    if case == "capacity-fractional":
        return Store.create(fresh(), {}, capacity=1.5)  # type: ignore[arg-type]
    if case == "capacity-negative":
        return Store.create(fresh(), {}, capacity=-1)
    if case == "mode-beyond-permission-bits":
        return Store.create(fresh(), {}, mode=0o1777)
    if case == "mode-owner-cannot-write":
        return Store.create(fresh(), {}, mode=0o400)
    if case == "mode-world-writable":
        return Store.create(fresh(), {}, mode=0o666)
    if case == "version-zero":
        return Store.create(fresh(), {}, version=0)
    if case == "version-beyond-2^53":
        return Store.create(fresh(), {}, version=2**53)
    if case == "initial-nan":
        return Store.create(fresh(), {"x": math.nan})
    if case == "initial-beyond-capacity":
        return Store.create(fresh(), {"s": "x" * 100}, capacity=64)
    if case == "open-empty-name":
        return Store.open("")
    if case == "open-missing":
        return Store.open(fresh())
    if case == "update-not-a-function":
        with made() as store:
            return store.update(42)  # type: ignore[arg-type]
    if case == "update-negative-retries":
        with made() as store:
            return store.update(lambda s: s, max_retries=-1)
    if case == "wait-for-version-not-a-number":
        with made() as store:
            return store.wait_for("x", 0.1)  # type: ignore[arg-type]
    if case == "wait-for-negative-timeout":
        with made() as store:
            return store.wait_for(5, -1)
    if case == "lock-timeout-negative":
        with made() as store:
            return store.set_lock_timeout(-5)
    if case == "set-after-close":
        store = made()
        store.close()
        return store.set({"n": 1})
    if case == "defaults":
        with Store.create(fresh(), {"n": 0}) as store:
            mode = stat.S_IMODE(os.stat(f"/dev/shm/shmstate.{store.name}").st_mode)
            return {"capacity": store.stats()["capacity"], "mode": mode}
    if case == "stats-fields":
        with made() as store:
            return sorted(store.stats())
    if case == "update-without-change":
        with made() as store:
            before = store.version
            returned = store.update(lambda s: s)
            return {"returned": returned - before, "version": store.version - before}
    raise SystemExit(f"unknown case {case!r}")


for case in sys.argv[2:]:
    try:
        result = run(case)
    except ShmStateError as err:
        print(json.dumps({"case": case, "code": err.code, "message": str(err)}), flush=True)
    else:
        print(json.dumps({"case": case, "ok": result}), flush=True)
