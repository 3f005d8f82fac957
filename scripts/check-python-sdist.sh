#!/usr/bin/env bash
# Checks that the Python package installs outside the repository: in a fresh virtual
# environment in a temporary directory (setuptools and wheel from the configured indexes),
# builds the package's sdist (which carries the C core in csrc/, see
# packages/python-client/setup.py), copies it out of the checkout, installs it from there
# (--no-build-isolation) and runs a create/set/get/unlink smoke test. Takes about 15 s (the
# extension compiles once).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root/packages/python-client"

work="$(mktemp -d /tmp/shmstate-sdist.XXXXXX)"
trap 'rm -rf "$work"' EXIT

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

log "smoke test"
name="sdist-check-$$"
"$work/venv/bin/python" - "$name" <<'PY'
import sys

import shmstate
from shmstate import Store

name = sys.argv[1]
assert "/tmp/" in shmstate.__file__ and "site-packages" in shmstate.__file__, shmstate.__file__
try:
    with Store.create(name, initial={"x": 0}) as store:
        store.set({"x": 1, "list": [1, 2, 3]})
        assert store.get() == {"x": 1, "list": [1, 2, 3]}, store.get()
        with Store.open(name) as other:
            assert other.get()["x"] == 1
finally:
    Store.unlink(name)
print("installed from the sdist:", shmstate.__file__)
PY
echo "python sdist ok"
