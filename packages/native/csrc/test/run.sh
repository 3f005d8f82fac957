#!/bin/sh
# Runs every test binary given, then prints the sum of their "N passed, M failed" lines.
# Exit status is non-zero if any binary failed or reported a failure.
total_passed=0
total_failed=0
status=0
for bin in "$@"; do
  echo "== $(basename "$bin")"
  out=$("$bin" 2>&1)
  rc=$?
  printf '%s\n' "$out"
  summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
  if [ -z "$summary" ]; then
    echo "$(basename "$bin"): no summary line (exit status $rc)"
    total_failed=$((total_failed + 1))
    status=1
    continue
  fi
  passed=${summary%% passed*}
  failed=${summary#*, }
  failed=${failed%% failed}
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  [ "$rc" -ne 0 ] && status=1
done
[ "$total_failed" -ne 0 ] && status=1
echo "$total_passed passed, $total_failed failed"
exit $status
