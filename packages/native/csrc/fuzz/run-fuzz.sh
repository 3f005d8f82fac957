#!/bin/sh
# Replays every committed input of both fuzz targets (seeds and past findings), then
# fuzzes each for FUZZ_SECONDS (default 60) from a scratch copy of its corpus. A crash,
# leak, UB report or hang (> 10 s on one input) fails the target, and its input is
# copied into fuzz/corpus/<target>/ so that every later run replays it: commit it with
# the fix. Prints "N passed, M failed" (two cases per target: replay, fuzz).
#   sh fuzz/run-fuzz.sh [bin dir]          from packages/native/csrc
#   FUZZ_MERGE=1 ...                       also merge new coverage into the committed corpus
here=$(cd "$(dirname "$0")" && pwd)
bins=${1:-$here/../test/bin/fuzz}
seconds=${FUZZ_SECONDS:-60}
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

record() { # name status
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
    echo "  ok   fuzz: $1"
  else
    failed=$((failed + 1))
    echo "  FAIL fuzz: $1 (exit status $2)"
  fi
}

for target in segment_bytes mutate_between_reads; do
  bin="$bins/fuzz_$target"
  corpus="$here/corpus/$target"
  case $target in
    segment_bytes) max_len=32768 ;; # the largest seed segment is 24 KiB
    *) max_len=4096 ;;
  esac
  opts="-max_len=$max_len -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
  count=$(ls "$corpus" | wc -l)
  start=$(date +%s)
  "$bin" $opts -runs=0 "$corpus" >"$scratch/replay.log" 2>&1
  status=$?
  tail -n 3 "$scratch/replay.log" | sed 's/^/    /'
  record "$target: replay of $count committed inputs ($(($(date +%s) - start)) s)" $status

  mkdir -p "$scratch/$target" "$scratch/artifacts-$target"
  cp "$corpus"/* "$scratch/$target"/
  start=$(date +%s)
  "$bin" $opts -max_total_time="$seconds" -artifact_prefix="$scratch/artifacts-$target/" \
    "$scratch/$target" "$corpus" >"$scratch/fuzz.log" 2>&1
  status=$?
  grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|^#[0-9]+.*DONE' \
    "$scratch/fuzz.log" | sed 's/^/    /'
  found=$(ls "$scratch/artifacts-$target" | wc -l)
  if [ "$found" -gt 0 ]; then
    cp "$scratch/artifacts-$target"/* "$corpus"/
    echo "    $found finding(s) kept in fuzz/corpus/$target/:"
    ls "$scratch/artifacts-$target" | sed 's/^/      /'
    grep -E 'ERROR|SUMMARY|runtime error|gave' "$scratch/fuzz.log" | head -n 10 | sed 's/^/    /'
    [ "$status" -eq 0 ] && status=1
  fi
  if [ "$status" -ne 0 ] && [ "$found" -eq 0 ]; then tail -n 30 "$scratch/fuzz.log"; fi
  record "$target: ${seconds} s of fuzzing, $found finding(s) ($(($(date +%s) - start)) s)" $status
  if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$status" -eq 0 ]; then
    "$bin" $opts -merge=1 "$corpus" "$scratch/$target" >/dev/null 2>&1
    echo "    corpus now $(ls "$corpus" | wc -l) inputs"
  fi
  # A crashed run cannot unlink its segment: remove whatever the fuzzer processes left.
  rm -f /dev/shm/shmstate.fuzz_bytes_* /dev/shm/shmstate.fuzz_mutate_*
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
