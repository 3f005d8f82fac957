#!/usr/bin/env bash
# The packages as a user gets them, outside the repository: the npm tarballs installed into
# a fresh npm project (scripts/check-npm-pack.sh), the Python sdist and an abi3 wheel built
# from it, each installed into a fresh venv (scripts/check-python-sdist.sh); then a Python
# writer running from the wheel's venv and a Node subscriber running from the npm project
# exchange states through one store: the subscriber receives the writer's patches. About
# 70 s (the addon compiles once, the extension twice).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d /tmp/shmstate-packages.XXXXXX)"
trap 'rm -rf "$work"' EXIT
SHMSTATE_PACK_DIR="$work/npm" bash "$repo_root/scripts/check-npm-pack.sh"
SHMSTATE_SDIST_DIR="$work/python" bash "$repo_root/scripts/check-python-sdist.sh"

log "a Python writer from the wheel, a Node subscriber from the tarballs"
name="packages-check-$$"
cd "$work/npm/app"
cat >subscriber.mjs <<'JS'
// Creates the store, prints "ready", and prints each change's version and patches until
// the writer's last one (tick 3).
import { SharedStore } from '@shmstate/core';
const store = SharedStore.create(process.argv[2], { initial: { tick: 0, log: [] } });
store.changes$.subscribe(({ version, state, patches }) => {
  if (version === 1) return console.log('ready');
  console.log(`version ${version} tick ${state.tick} patches ${JSON.stringify(patches)}`);
  if (state.tick === 3) store.close();
});
JS
node subscriber.mjs "$name" >subscriber.out 2>&1 &
subscriber_pid=$!
for _ in $(seq 300); do
  grep -q '^ready$' subscriber.out 2>/dev/null && break
  kill -0 "$subscriber_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q '^ready$' subscriber.out || { echo "the subscriber did not start:"; cat subscriber.out; exit 1; }
"$work/python/wheel-venv/bin/python" - "$name" <<'PY'
import sys
import time

from shmstate import Store

with Store.open(sys.argv[1]) as store:
    for tick in (1, 2, 3):
        store.patch(
            [
                {"op": "replace", "path": "/tick", "value": tick},
                {"op": "add", "path": "/log/-", "value": f"from python {tick}"},
            ]
        )
        time.sleep(0.05)
PY
timeout 30 tail --pid="$subscriber_pid" -f /dev/null || { echo "the subscriber did not end"; exit 1; }
wait "$subscriber_pid" || { echo "the subscriber failed:"; cat subscriber.out; exit 1; }
sed 's/^/node: /' subscriber.out
node -e "require('@shmstate/core').SharedStore.unlink(process.argv[1])" "$name"
last="$(tail -n 1 subscriber.out)"
[[ "$last" == "version 4 tick 3 patches "*'"path":"/log/-","value":"from python 3"'* ]] ||
  { echo "the subscriber did not receive the writer's patches: $last"; exit 1; }
echo "packages ok: a wheel's writer and the tarballs' subscriber exchanged patches"
