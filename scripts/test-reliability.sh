#!/usr/bin/env bash
# The reliability suite (docs/reliability.md), CI variant: under 10 minutes on 2 cores.
#   C:      stalled writer, permissions (second uid), exhaustion, counter wrap, 900 crash
#           iterations (ASan/UBSan), the threads harness under TSan
#   fuzz:   both libFuzzer targets: committed corpus replayed, then FUZZ_SECONDS each (60)
#   Node:   bad-input table, stalled writer, 50 Node-writer kills, soak (SOAK_SECONDS, 60),
#           (the 50 Python-writer kills of test/kill.python-to-node.test.ts run in the
#           cross-language step of scripts/test.sh)
#   Python: bad-input table
# Ends with "N passed, N failed" (test cases summed over every step); non-zero on failure.
# Longer runs: FUZZ_SECONDS=600 SOAK_SECONDS=3600 SHMSTATE_CRASH_ITERATIONS=10000 bash $0
# SKIP_SETUP=1 skips scripts/setup.sh (scripts/test.sh has run it already).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
export FUZZ_SECONDS="${FUZZ_SECONDS:-60}" SOAK_SECONDS="${SOAK_SECONDS:-60}"
csrc=packages/native/csrc
started_all=$SECONDS

# libFuzzer needs clang and its compiler-rt; a fresh machine has neither.
if ! command -v clang >/dev/null 2>&1; then
  log "installing clang (libFuzzer)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq clang >/dev/null
fi
major="$(clang -dumpversion 2>/dev/null | cut -d. -f1)"
if ! ls /usr/lib/llvm-"$major"/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "libclang-rt-$major-dev" >/dev/null ||
    echo "cannot install libclang-rt-$major-dev: the fuzz step will fail to build"
fi
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
failed_steps=()
# Runs a step with a watchdog, shows its output, and adds its test counts to the totals
# (from its closing line: "N passed, M failed", ava's "N tests passed/failed", pytest's).
step() {
  local name="$1"
  shift
  log "$name"
  local started=$SECONDS out rc p f
  out="$(mktemp)"
  timeout --kill-after=10 "${STEP_TIMEOUT:-400}" "$@" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  p="$(grep -aoE '([0-9]+) (tests? )?passed' "$out" | tail -n 1 | grep -oE '^[0-9]+' || true)"
  f="$(grep -aoE '([0-9]+) (tests? )?failed' "$out" | tail -n 1 | grep -oE '^[0-9]+' || true)"
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  rm -f "$out"
  if [ "$rc" -eq 0 ]; then
    echo "-- $name: ok, $p passed ($((SECONDS - started)) s)"
  else
    failed_steps+=("$name")
    echo "-- $name: FAILED, $f failed ($((SECONDS - started)) s)"
  fi
}

step "C reliability tests (ASan/UBSan, TSan)" make -s -C "$csrc" reliability-tests
step "fuzzing: corpus replay + ${FUZZ_SECONDS} s per target" make -s -C "$csrc" fuzz FUZZ_SECONDS="$FUZZ_SECONDS"
step "Node reliability tests (soak ${SOAK_SECONDS} s)" \
  bash -c 'cd test && "$@" exec ava --timeout=10m "reliability/**/*.test.ts" ' _ "${PNPM[@]}"
step "Python reliability tests" "$PY" -m pytest -q -p no:cacheprovider packages/python-client/tests/reliability
step "no segment left in /dev/shm" bash -c \
  'left=$(ls /dev/shm | grep -E "^shmstate\.(t[0-9]+_|fuzz_|rel-|pytest-)" || true); if [ -n "$left" ]; then echo "$left"; echo "0 passed, 1 failed"; exit 1; fi; echo "1 passed, 0 failed"'

echo
[ "${#failed_steps[@]}" -ne 0 ] && printf 'failed steps: %s\n' "${failed_steps[*]}"
echo "reliability suite: $((SECONDS - started_all)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#failed_steps[@]}" -eq 0 ]
