#!/usr/bin/env bash
# Installs and builds everything the demo and the tests need, idempotently:
#   Node dependencies (pnpm), the native addon and the TypeScript packages,
#   a project-local Python virtual environment (.venv) with the shmstate package.
# Nothing is installed outside the repository.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

log "node dependencies"
"${PNPM[@]}" install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE '^(Progress|Packages):' || true

log "build: native addon and TypeScript packages"
"${PNPM[@]}" --filter @shmstate/native run build
"${PNPM[@]}" --filter @shmstate/core run build

log "python environment (.venv)"
if [ ! -x "$PY" ]; then
  python3 -m venv "$VENV"
fi
# Install the development requirements again whenever their list changes.
dev_stamp="$VENV/.shmstate-dev-requirements"
dev_hash="$(sha256sum "$repo_root/scripts/requirements-dev.txt" | cut -d' ' -f1)"
if [ ! -f "$dev_stamp" ] || [ "$(cat "$dev_stamp")" != "$dev_hash" ] ||
  ! "$PY" -c 'import setuptools, wheel, pytest, pytest_timeout, ruff, clang_format, mypy' 2>/dev/null; then
  pip_install "$PY" -r "$repo_root/scripts/requirements-dev.txt"
  echo "$dev_hash" >"$dev_stamp"
fi
# The optional fast decoder (the package's `fast` extra). Not every interpreter has an
# orjson wheel on every index; without it shmstate decodes with the standard library.
if ! "$PY" -c 'import orjson' 2>/dev/null; then
  pip_install "$PY" -r "$repo_root/scripts/requirements-fast.txt" ||
    echo "python: orjson is not available for this interpreter; decoding uses the standard library's json"
fi
# Rebuild the extension only when its sources changed.
stamp="$VENV/.shmstate-build-stamp"
sources_hash="$( (echo "werror=${SHMSTATE_WERROR:-0}"; cat packages/native/csrc/*.c packages/native/csrc/*.h \
  packages/native/csrc/*.def packages/native/csrc/warnings.flags \
  packages/native/csrc/include/*.h packages/python-client/setup.py packages/python-client/pyproject.toml \
  packages/python-client/src/shmstate/*.c packages/python-client/src/shmstate/*.h \
  packages/python-client/src/shmstate/_codec/*.c packages/python-client/src/shmstate/_codec/*.h \
  2>/dev/null) | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sources_hash" ] || ! "$PY" -c 'import shmstate._native' 2>/dev/null; then
  pip_install "$PY" --no-build-isolation -e packages/python-client
  echo "$sources_hash" >"$stamp"
fi
# The bridge (packages/bridge: shmstate-bridge, `shmstate mirror`) and its NATS client.
if ! "$PY" -c 'import nats, shmstate_bridge' 2>/dev/null; then
  pip_install "$PY" -r "$repo_root/scripts/requirements-bridge.txt"
  pip_install "$PY" --no-build-isolation --no-deps -e packages/bridge
fi
"$PY" -c 'import shmstate; print("python: shmstate", shmstate.__version__, "ready")'
