"""Version and store-id steps of test/versions.any-to-any.test.ts, one per invocation:

create-at NAME VERSION   creates NAME at VERSION ({"n": 0}), prints {"version", "storeId"}
create-mirror NAME VERSION LEADER
                         creates NAME as a mirror of LEADER at VERSION ({"n": 0}), prints
                         {"version", "storeId"}
jump NAME VERSION        commits {"n": VERSION} at exactly VERSION (the mirror path),
                         prints {"version", "storeId"}
snapshot NAME            prints {"version", "state", "storeId"}
watch NAME FINAL         prints "ready", then {"version", "missed", "storeId"} per change
                         until FINAL
"""

import json
import sys

from shmstate import Store, _native, encode


def emit(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


step, name = sys.argv[1], sys.argv[2]
if step == "create-at":
    with Store.create(name, {"n": 0}, capacity=1024, version=int(sys.argv[3])) as store:
        emit(version=store.version, storeId=store.store_id)
elif step == "create-mirror":
    version, leader = int(sys.argv[3]), sys.argv[4]
    with Store.create(name, {"n": 0}, capacity=1024, version=version, mirror_of=leader) as store:
        emit(version=store.version, storeId=store.store_id)
elif step == "jump":
    target = int(sys.argv[3])
    segment = _native.Segment.open(name)
    try:
        version = segment.commit(encode({"n": target}), version=target)
    finally:
        segment.close()
    with Store.open(name) as store:
        emit(version=version, storeId=store.store_id)
elif step == "snapshot":
    with Store.open(name) as store:
        snapshot = store.snapshot()
    emit(version=snapshot.version, state=snapshot.state, storeId=snapshot.store_id)
elif step == "watch":
    final = int(sys.argv[3])
    with Store.open(name) as store:
        changes = store.watch(timeout=30, replay=True)
        first = next(changes)
        print("ready", flush=True)
        emit(version=first.version, missed=first.missed, storeId=first.store_id)
        if first.version < final:
            for change in changes:
                emit(version=change.version, missed=change.missed, storeId=change.store_id)
                if change.version >= final:
                    break
else:
    raise SystemExit(f"unknown step {step!r}")
