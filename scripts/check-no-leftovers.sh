#!/usr/bin/env bash
# Fails if any shmstate segment is left in /dev/shm, or any process the suite started
# (by its command line in this repository) still runs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
status=0
left="$(ls /dev/shm 2>/dev/null | grep '^shmstate\.' || true)"
if [ -n "$left" ]; then
  echo "segments left behind in /dev/shm:"
  echo "$left"
  status=1
fi
procs="$(pgrep -af "$repo_root/(packages|test|examples|bench)/" | grep -v -e pgrep -e check-no-leftovers || true)"
if [ -n "$procs" ]; then
  echo "processes left running:"
  echo "$procs"
  status=1
fi
[ "$status" -eq 0 ] && echo "no segments or processes left behind"
exit "$status"
