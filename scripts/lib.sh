# Shared settings for the project's scripts (sourced, not run).
# pnpm is run through npx so a fresh machine needs nothing installed by hand.

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if command -v pnpm >/dev/null 2>&1 && pnpm --version 2>/dev/null | grep -q '^10\.'; then
  PNPM=(pnpm)
else
  PNPM=(npx --yes pnpm@10)
fi

# pip: where a machine's pip config names local indexes (and the default index is not
# reachable), use them directly instead of waiting for the default index to time out.
if [ -z "${PIP_INDEX_URL:-}" ]; then
  configured_extra="$(python3 -m pip config get global.extra-index-url 2>/dev/null || true)"
  if [ -n "$configured_extra" ]; then
    # shellcheck disable=SC2206
    urls=($configured_extra)
    export PIP_INDEX_URL="${urls[0]}"
    if [ "${#urls[@]}" -gt 1 ]; then
      export PIP_EXTRA_INDEX_URL="${urls[*]:1}"
    fi
  fi
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1

VENV="$repo_root/.venv"
PY="$VENV/bin/python"

log() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# pip install, quietly: a local index without a package makes pip warn once per package.
pip_install() {
  local python="$1"
  shift
  "$python" -m pip install --quiet "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
}
