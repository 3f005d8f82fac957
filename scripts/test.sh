#!/usr/bin/env bash
# The project's whole test suite: what `pnpm test` runs and what CI runs.
# Every step runs even if an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

# Every C warning is an error in the test command (csrc/warnings.flags, read by the
# Makefile, binding.gyp and the Python setup.py alike).
export SHMSTATE_WERROR=1

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

# Segments that exist before the suite starts are not the suite's to account for.
segments_before="$(mktemp)"
trap 'rm -f "$segments_before"' EXIT
ls /dev/shm 2>/dev/null | grep '^shmstate\.' >"$segments_before" || true

passed=0
failed=0
failed_steps=()
step() {
  local name="$1"
  shift
  log "$name"
  local started=$SECONDS
  # A watchdog per step: a hung test fails the run instead of stalling it.
  if timeout --kill-after=10 "${STEP_TIMEOUT:-900}" "$@"; then
    passed=$((passed + 1))
    echo "-- $name: ok ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    failed_steps+=("$name")
    echo "-- $name: FAILED ($((SECONDS - started)) s)"
  fi
}

step "lint and typecheck" bash scripts/lint.sh
step "C core tests (ASan+UBSan, stress, crash, corruption)" make -j2 -C packages/native/csrc test
step "@shmstate/native tests" "${PNPM[@]}" --filter @shmstate/native test
step "@shmstate/core tests" "${PNPM[@]}" --filter @shmstate/core test
step "python tests (3.11)" "$PY" -m pytest -q -p no:cacheprovider packages/python-client/tests --ignore=packages/python-client/tests/reliability
step "python 3.10/3.12/3.13" bash scripts/test-python-versions.sh
step "bridge through a real nats-server (acceptance, faults, cluster)" bash scripts/test-bridge.sh
step "cross-language tests" bash -c 'cd test && exec npx --no-install ava "*.test.ts" "!bridge.*.test.ts"'
step "the README's demo reaches its summary" bash scripts/check-demo.sh
step "packages install outside the repository (npm tarballs, Python sdist and wheel, an exchange)" \
  bash scripts/check-packages.sh
step "reliability suite (fuzzing, crash loops, soak, permissions)" env SKIP_SETUP=1 bash scripts/test-reliability.sh
step "benchmarks, quick mode (the scripts run; figures are not checked)" bash bench/run.sh --quick
step "no segment left in /dev/shm" bash scripts/check-no-leftovers.sh "$segments_before"

echo
if [ "$failed" -ne 0 ]; then
  printf 'failed steps: %s\n' "${failed_steps[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
