#!/usr/bin/env bash
# The bridge's suites (docs/bridge.md), against real nats-server processes they start on
# 127.0.0.1 and stop: the fault tests (pytest, packages/bridge/tests) and the end-to-end
# acceptance with a Node subscriber (test/bridge.python-to-node.test.ts). Installs the
# Debian package nats-server when it is missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo_root"
if ! command -v nats-server >/dev/null; then
  log "installing nats-server (Debian package)"
  apt-get update -qq && apt-get install -y -qq nats-server >/dev/null
fi
status=0
"$PY" -m pytest -q -p no:cacheprovider packages/bridge/tests || status=1
(cd test && npx --no-install ava "bridge.*.test.ts") || status=1
exit "$status"
