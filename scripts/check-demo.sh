#!/usr/bin/env bash
# Runs the README's demo for two seconds and checks it reaches its summary with no segment
# left behind.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
out="$(DEMO_SECONDS=2 timeout 60 node examples/demo.mjs 2>&1)"
status=$?
echo "$out" | tail -6
if [ "$status" -ne 0 ] || ! grep -q '^summary:' <<<"$out" || ! grep -q 'publish -> emit latency' <<<"$out"; then
  echo "the demo did not reach its summary (exit $status)"
  exit 1
fi
if ls /dev/shm | grep -q '^shmstate\.demo-fleet-'; then
  echo "the demo left its segment behind"
  exit 1
fi
echo "demo ok"
