#!/usr/bin/env bash
# The Python package on the other supported interpreters (pyenv): the pytest suite on
# 3.12 and 3.13, and build + import + smoke script on 3.10 (the local index has no pytest
# for 3.10). Each gets its own virtual environment in the repository (.venv-3.X).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"

status=0
python_for() {
  # The newest installed pyenv interpreter of a minor version, e.g. 3.12 -> 3.12.1.
  pyenv versions --bare 2>/dev/null | grep -E "^$1\.[0-9]+$" | sort -V | tail -1
}

prepare() {
  local minor="$1" full venv
  full="$(python_for "$minor")"
  if [ -z "$full" ]; then
    echo "python $minor: not installed (pyenv versions)"
    return 1
  fi
  venv="$repo_root/.venv-$minor"
  [ -x "$venv/bin/python" ] || PYENV_VERSION="$full" python3 -m venv "$venv" || return 1
  pip_install "$venv/bin/python" setuptools wheel "${@:2}" || return 1
  # A regular (not editable) install: the package is built from source for this interpreter.
  pip_install "$venv/bin/python" --no-build-isolation --force-reinstall --no-deps \
    ./packages/python-client || return 1
  echo "python $minor ($full): $("$venv/bin/python" -c 'import shmstate, sys; print(shmstate.__file__)')"
}

for minor in 3.12 3.13; do
  log "python $minor: pytest"
  if prepare "$minor" pytest pytest-timeout jsonpatch jsonpointer; then
    # --import-mode=importlib with the source tree off sys.path: the installed build is tested.
    (cd packages/python-client && "$repo_root/.venv-$minor/bin/python" -m pytest -q -p no:cacheprovider tests) || status=1
  else
    status=1
  fi
done

log "python 3.10: build, import and smoke script"
if prepare 3.10; then
  (cd /tmp && "$repo_root/.venv-3.10/bin/python" "$repo_root/packages/python-client/tests/smoke.py") || status=1
else
  status=1
fi
exit "$status"
