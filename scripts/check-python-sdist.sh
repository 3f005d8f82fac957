#!/usr/bin/env bash
# Checks that the Python package installs outside the repository: in a fresh virtual
# environment in a temporary directory (setuptools and wheel from the configured indexes),
# builds the package's sdist (which carries the C core in csrc/, see
# packages/python-client/setup.py), copies it out of the checkout, installs it from there
# (--no-build-isolation) and runs a create/set/get/unlink smoke test; then builds an abi3
# wheel from that sdist, outside the checkout, installs it into a second fresh venv and
# runs the same test. Takes about 30 s (the extension compiles twice).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root/packages/python-client"

# SHMSTATE_SDIST_DIR: work there and keep it (scripts/check-packages.sh uses the venv the
# wheel is installed in, $SHMSTATE_SDIST_DIR/wheel-venv, afterwards).
if [ -n "${SHMSTATE_SDIST_DIR:-}" ]; then
  work="$SHMSTATE_SDIST_DIR"
  mkdir -p "$work"
else
  work="$(mktemp -d /tmp/shmstate-sdist.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi

log "a fresh venv in $work"
python3 -m venv "$work/venv"
pip_install "$work/venv/bin/python" setuptools wheel

log "building the sdist"
"$work/venv/bin/python" setup.py -q sdist --dist-dir "$work/dist" 2>&1 | grep -v -e '_BetaConfiguration' -e 'warnings.warn' || true
sdist=("$work"/dist/shmstate-*.tar.gz)
[ -f "${sdist[0]}" ] || { echo "no sdist was built"; exit 1; }
ls -l "${sdist[0]}"
if tar tzf "${sdist[0]}" | grep -q -e '/\.\./' -e '/csrc/test/' -e '/csrc/fuzz/'; then
  echo "the sdist holds paths outside the package or the core's tests"
  exit 1
fi
cp "${sdist[0]}" "$work/"

log "installing it from $work"
cd "$work"
pip_install "$work/venv/bin/python" --no-build-isolation --no-deps "$work/$(basename "${sdist[0]}")"

smoke() {
  local python="$1" from="$2" name="sdist-check-$$-$2"
  "$python" - "$name" "$from" <<'PY'
import sys

import shmstate
from shmstate import Store

name, source = sys.argv[1], sys.argv[2]
assert "/tmp/" in shmstate.__file__ and "site-packages" in shmstate.__file__, shmstate.__file__
try:
    with Store.create(name, initial={"x": 0}) as store:
        store.set({"x": 1, "list": [1, 2, 3]})
        store.patch([{"op": "add", "path": "/list/-", "value": 4}])
        assert store.get() == {"x": 1, "list": [1, 2, 3, 4]}, store.get()
        with Store.open(name) as other:
            assert other.get()["list"][-1] == 4
finally:
    Store.unlink(name)
print(f"installed from the {source}:", shmstate.__file__)
PY
}
log "smoke test (sdist)"
smoke "$work/venv/bin/python" sdist

log "building an abi3 wheel from the sdist, outside the checkout"
mkdir -p "$work/wheels"
"$work/venv/bin/python" -m pip wheel --quiet --no-build-isolation --no-deps \
  --wheel-dir "$work/wheels" "$work/$(basename "${sdist[0]}")"
wheel=("$work"/wheels/shmstate-*.whl)
[ -f "${wheel[0]}" ] || { echo "no wheel was built"; exit 1; }
ls -l "${wheel[0]}"
case "$(basename "${wheel[0]}")" in
  *-abi3-*) ;;
  *) echo "the wheel is not abi3: $(basename "${wheel[0]}")"; exit 1 ;;
esac
python3 -m venv "$work/wheel-venv"
pip_install "$work/wheel-venv/bin/python" --no-deps "${wheel[0]}"
log "smoke test (wheel)"
smoke "$work/wheel-venv/bin/python" wheel
echo "python sdist ok"
