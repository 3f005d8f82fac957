#!/usr/bin/env bash
# Runs every benchmark, one question per script, each printing its table and adding its
# figures to the results JSON; then draws the latency chart from that JSON.
#   bash bench/run.sh            full run  -> bench/results/latest.json, docs/benchmarks-latency.svg
#   bash bench/run.sh --quick    a short check that every script works (< 2 minutes)
#                                -> bench/results/tmp/quick.json, bench/results/tmp/quick.svg
# Expects the packages built and .venv made (`bash scripts/setup.sh`, which `pnpm bench` runs).
# Set BENCH_PIN=1 to pin publishers to CPU 0 and subscribers to CPU 1 (nothing is pinned by default).
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
bench="$repo_root/bench"
cd "$repo_root"

mode=full
for arg in "$@"; do
  case "$arg" in
    --quick) mode=quick ;;
    --) ;;
    *) echo "unknown argument: $arg (use --quick)" >&2; exit 2 ;;
  esac
done
# BENCH_PYTHON picks another interpreter that has shmstate installed (default: the project .venv).
PY="${BENCH_PYTHON:-$PY}"
export BENCH_MODE="$mode" BENCH_PYTHON="$PY"
if [ "$mode" = quick ]; then
  export BENCH_RESULTS="$bench/results/tmp/quick.json"
  chart="$bench/results/tmp/quick.svg"
else
  export BENCH_RESULTS="$bench/results/latest.json"
  chart="$repo_root/docs/benchmarks-latency.svg"
fi

# Every script removes its own segments and children, even on failure; this is the last
# net: segments of this run that are somehow still there are removed on the way out.
mkdir -p "$bench/results/tmp"
marker="$(mktemp "$bench/results/tmp/run-started.XXXXXX")"
cleanup() {
  find /dev/shm -maxdepth 1 -name 'shmstate.bench-*' -newer "$marker" -print -delete 2>/dev/null |
    sed 's/^/removed leftover segment: /' >&2 || true
  rm -f "$marker"
}
trap cleanup EXIT

if [ ! -x "$PY" ] || ! "$PY" -c 'import shmstate' 2>/dev/null; then
  echo "$PY cannot import shmstate: run 'bash scripts/setup.sh' first (pnpm bench does)" >&2
  exit 1
fi
if ! "$PY" -c 'import redis, hiredis' 2>/dev/null; then
  log "python: installing bench/requirements.txt into .venv"
  "$PY" -m pip install --quiet -r "$bench/requirements.txt"
fi

rm -f "$BENCH_RESULTS"
node "$bench/lib/machine.mjs"
started=$SECONDS
run() {
  local script="$1"
  shift
  log "$script ($mode)"
  local t0=$SECONDS
  "$@" "$bench/$script"
  echo "($script: $((SECONDS - t0)) s)"
}
run latency.mjs node
run breakdown.mjs node
run throughput-node.mjs node
run throughput_python.py "$PY"
run codec_python.py "$PY"
run scaling.mjs node
run scaling_python.py "$PY"
run fanout.mjs node
run flood.mjs node
run idle.mjs node
run deltas.mjs node
run bridge.mjs node
# Prints figures only (records nothing); not in the quick check.
if [ "$mode" = full ]; then run json-patch-apply.mjs node; fi
node "$bench/chart.mjs" "$BENCH_RESULTS" "$chart"
log "all benchmarks passed ($mode) in $((SECONDS - started)) s; results: ${BENCH_RESULTS#"$repo_root"/}"
