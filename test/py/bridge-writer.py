"""Creates store argv[1] ({"tick": 0, "pad": ...}) and prints "created", then waits for a
line on stdin and commits argv[2] versions, each a patch `replace /tick`, printing "half"
after half of them and then waiting for another line; prints "done <last version>"."""

import sys

from shmstate import Store

name, count = sys.argv[1], int(sys.argv[2])
with Store.create(name, {"tick": 0, "pad": "p" * 900}, capacity=1 << 16) as store:
    print("created", flush=True)
    sys.stdin.readline()
    for tick in range(1, count + 1):
        store.patch([{"op": "replace", "path": "/tick", "value": tick}])
        if tick == count // 2:
            print("half", flush=True)
            sys.stdin.readline()
    print(f"done {store.version}", flush=True)
    sys.stdin.readline()  # keep the store until the test has compared
