#!/usr/bin/env bash
# Fails if the suite left a shmstate segment in /dev/shm, or any process it started (by its
# command line in this repository) still runs. Segments listed in $1 (those that existed
# before the suite started, e.g. another program's) do not count. Doorbell socket files of
# subscribers the tests SIGKILLed with no commit after (docs/deploy.md, "Containers and
# network namespaces": such a file waits for the next commit, claimer or doctor) are removed
# here the way `shmstate doctor --clean` does, and counted.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
status=0
before="${1:-/dev/null}"
left="$(ls /dev/shm 2>/dev/null | grep '^shmstate\.' | grep -vxF -f "$before" || true)"
if [ -n "$left" ]; then
  echo "segments left behind in /dev/shm:"
  echo "$left"
  status=1
fi
swept="$("$PY" -c 'from shmstate import _native; print(_native.doorbell_sockets(True)["removed"])' 2>&1)"
echo "dead doorbell socket files removed: $swept"
procs="$(pgrep -af "$repo_root/(packages|test|examples|bench)/" | grep -v -e pgrep -e check-no-leftovers || true)"
if [ -n "$procs" ]; then
  echo "processes left running:"
  echo "$procs"
  status=1
fi
[ "$status" -eq 0 ] && echo "no segments or processes left behind"
exit "$status"
