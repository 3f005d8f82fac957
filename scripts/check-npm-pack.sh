#!/usr/bin/env bash
# Checks that the Node packages' tarballs install outside the repository: packs
# @shmstate/native with npm (prepack compiles dist/), checks it holds what node-gyp needs
# and not the core's tests, fuzzing or build output, packs @shmstate/core with pnpm (which
# turns its workspace:* dependency into 0.1.0), installs both with npm into a fresh
# project in a temporary directory (npm runs node-gyp rebuild there; node-addon-api, rxjs
# and immer come from the registry) and runs smoke tests through require() and import.
# Takes about 30 s (the addon compiles once).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# SHMSTATE_PACK_DIR: work there and keep it (scripts/check-packages.sh uses the project
# installed in $SHMSTATE_PACK_DIR/app afterwards); otherwise a temporary directory.
if [ -n "${SHMSTATE_PACK_DIR:-}" ]; then
  work="$SHMSTATE_PACK_DIR"
  mkdir -p "$work"
else
  work="$(mktemp -d /tmp/shmstate-npm-pack.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
fi

log "packing @shmstate/native"
cd "$repo_root/packages/native"
npm pack --silent --pack-destination "$work" >/dev/null
tarball=("$work"/shmstate-native-*.tgz)
[ -f "${tarball[0]}" ] || { echo "npm pack wrote no tarball"; exit 1; }
ls -l "${tarball[0]}"
listing="$(tar tzf "${tarball[0]}")"
for needed in binding.gyp csrc/include/shmstate.h csrc/errors.def csrc/warnings.flags \
  csrc/seqlock.c addon/addon.cc dist/index.js dist/index.mjs dist/index.d.ts; do
  grep -qx "package/$needed" <<<"$listing" || { echo "the tarball lacks $needed"; exit 1; }
done
if grep -E '^package/(csrc/(test|fuzz)/|build/|.*\.(o|so|node)$)' <<<"$listing"; then
  echo "the tarball holds tests, fuzzing or build output"
  exit 1
fi

log "packing @shmstate/core"
cd "$repo_root/packages/core"
"${PNPM[@]}" pack --pack-destination "$work" >/dev/null
core=("$work"/shmstate-core-*.tgz)
[ -f "${core[0]}" ] || { echo "pnpm pack wrote no tarball for @shmstate/core"; exit 1; }
ls -l "${core[0]}"

log "installing them into a fresh project in $work/app"
mkdir "$work/app"
cd "$work/app"
echo '{ "name": "shmstate-pack-check", "version": "1.0.0", "private": true }' >package.json
npm install --no-audit --no-fund --loglevel=error "${tarball[0]}" "${core[0]}" rxjs@7 immer@10

log "smoke test"
name="pack-check-$$"
node - "$name" <<'JS'
const { Segment, ERROR_CODES } = require('@shmstate/native');
const name = process.argv[2];
const where = require.resolve('@shmstate/native');
if (!where.startsWith(process.cwd())) throw new Error(`resolved outside the project: ${where}`);
try {
  const segment = Segment.create(name, { capacity: 4096, initial: Buffer.from('{"x":0}') });
  segment.commitText('{"x":1}');
  const other = Segment.open(name);
  const { version, text } = other.readText();
  if (version !== 2 || text !== '{"x":1}') throw new Error(`read ${version} ${text}`);
  other.close();
  segment.close();
} finally {
  Segment.unlink(name);
}
if (typeof ERROR_CODES !== 'object') throw new Error('no ERROR_CODES');
console.log('installed from the tarball:', where);
JS
node --input-type=module -e "import { Segment } from '@shmstate/native'; if (typeof Segment.create !== 'function') process.exit(1);"
node --input-type=module - "core-$name" <<'JS'
import { SharedStore } from '@shmstate/core';
const name = process.argv[2];
const store = SharedStore.create(name, { initial: { tick: 0 } });
try {
  store.update((draft) => {
    draft.tick += 1;
  });
  const state = store.get();
  if (state.tick !== 1 || store.version !== 2) throw new Error(`read ${JSON.stringify(state)}`);
} finally {
  store.close();
  SharedStore.unlink(name);
}
console.log('@shmstate/core from its tarball: ok');
JS
echo "npm pack ok"
