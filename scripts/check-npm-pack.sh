#!/usr/bin/env bash
# Checks that @shmstate/native's npm tarball installs outside the repository: packs it
# (prepack compiles dist/), checks it holds what node-gyp needs and not the core's tests,
# fuzzing or build output, installs it with npm into a fresh project in a temporary
# directory (npm runs node-gyp rebuild there; node-addon-api comes from the registry) and
# runs a create/commit/read/unlink smoke test through require() and import. Takes about
# 20 s (the addon compiles once).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d /tmp/shmstate-npm-pack.XXXXXX)"
trap 'rm -rf "$work"' EXIT

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

log "installing it into a fresh project in $work/app"
mkdir "$work/app"
cd "$work/app"
echo '{ "name": "shmstate-pack-check", "version": "1.0.0", "private": true }' >package.json
npm install --no-audit --no-fund --loglevel=error "${tarball[0]}"

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
echo "npm pack ok"
