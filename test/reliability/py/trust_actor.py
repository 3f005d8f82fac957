"""One user's side of trusted-sharing.test.ts in Python. Started by root, it imports
everything first (the interpreter's own files may not be readable by the other user), then
drops to the uid, gid and supplementary groups it is given, and acts on the store.

Usage: trust_actor.py <uid> <gid> <groups,comma-separated> <name> <action> [json options]
  touch   Store.open(name, trust=..., read_only=...), read, try set(state)
  create  Store.create(name, initial, capacity=1024, mode=..., group=...)
Prints one JSON line per event: {"event", "uid", "code", ...}, code "ok" or the error code.
"""

import json
import os
import sys

from shmstate import ShmStateError, Store

uid, gid = int(sys.argv[1]), int(sys.argv[2])
groups = [int(g) for g in sys.argv[3].split(",") if g]
name, action = sys.argv[4], sys.argv[5]
options = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
os.setgroups(groups)
os.setresgid(gid, gid, gid)
os.setresuid(uid, uid, uid)


def say(**fields: object) -> None:
    print(json.dumps({"uid": os.geteuid(), **fields}), flush=True)


if action == "create":
    try:
        Store.create(
            name,
            options["initial"],
            capacity=1024,
            mode=options["mode"],
            group=options.get("group"),
        ).close()
        say(event="create", code="ok")
    except ShmStateError as err:
        say(event="create", code=err.code, message=str(err))
elif action == "touch":
    try:
        store = Store.open(
            name, trust=options.get("trust"), read_only=options.get("readOnly", False)
        )
    except ShmStateError as err:
        say(event="open", code=err.code, message=str(err))
        sys.exit(0)
    say(event="open", code="ok", readOnly=store.read_only, state=dict(store.get()))
    try:
        say(event="set", code="ok", version=store.set(options["state"]))
    except ShmStateError as err:
        say(event="set", code=err.code, message=str(err))
    store.close()
else:
    raise SystemExit(f"unknown action {action}")
