#!/usr/bin/env bash
# Static checks: strict TypeScript, ESLint, Prettier, clang-format for C/C++, ruff (one
# configuration: ruff.toml) and mypy --strict (packages/python-client/pyproject.toml) for
# Python.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
status=0
run() {
  echo "-- $*"
  "$@" || status=1
}
for project in packages/native packages/core test bench examples; do
  [ -f "$project/tsconfig.json" ] && run npx --no-install tsc -p "$project/tsconfig.json" --noEmit
done
run npx --no-install eslint --max-warnings 0 .
run npx --no-install prettier --check --log-level warn .
mapfile -t c_files < <(git ls-files -co --exclude-standard -- 'packages/native/csrc/*.c' 'packages/native/csrc/*.h' \
  'packages/native/csrc/**/*.c' 'packages/native/csrc/**/*.h' 'packages/native/addon/*.cc' 'packages/native/addon/*.h' \
  'packages/python-client/src/shmstate/*.c' 'packages/python-client/src/shmstate/*.h' 'bench/**/*.c')
run "$VENV/bin/clang-format" --dry-run -Werror "${c_files[@]}"
run "$VENV/bin/ruff" check packages/python-client packages/bridge test bench examples
run "$VENV/bin/ruff" format --check packages/python-client packages/bridge test bench examples
run bash -c 'cd packages/python-client && exec "$0"' "$VENV/bin/mypy"
run bash -c 'cd packages/bridge && exec "$0"' "$VENV/bin/mypy"
exit "$status"
