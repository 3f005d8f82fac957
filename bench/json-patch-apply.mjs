/**
 * Question: does applying a small JSON Patch cost the same at any state size? One field
 * changed with applyJsonPatch (structural sharing: only the containers on the path are
 * copied) against what a reader does today for every new version: JSON.parse of the whole
 * state and freezing it. Two one-field patches: a top-level field (`/seq`: the root is
 * copied) and a field of one record in the state's big array (`/items/<middle>/value`:
 * the array is copied too, so that figure grows with the array's length, a pointer copy
 * per element, far below a parse). States are bench/lib/payload.mjs's, 1 KiB to 1 MiB.
 * A second table applies a one-field change version after version (each to the state the
 * previous one made), to narrow containers and to one wide object.
 * Prints figures only; nothing is recorded (not a part of the tests).
 *   node bench/json-patch-apply.mjs [--quick]
 */
import { applyJsonPatch, deepFreeze } from '@shmstate/core';
import { pick } from './lib/mode.mjs';
import { changedPath, makeRobots, makeWideRobots, smallChange } from './lib/delta-state.mjs';
import { makeState } from './lib/payload.mjs';
import { timeLoop } from './lib/stats.mjs';
import { printTable, ratio, sizeLabel } from './lib/table.mjs';

const SIZES = [1024, 65536, 1 << 20];
const SECONDS = pick(0.2, 1);

const rows = [];
for (const size of SIZES) {
  const state = deepFreeze(makeState(size));
  const text = JSON.stringify(state);
  const middle = Math.floor(state.items.length / 2);
  const top = [{ op: 'replace', path: '/seq', value: 12345 }];
  const nested = [{ op: 'replace', path: `/items/${middle}/value`, value: 1.5 }];
  const parse = timeLoop(() => deepFreeze(JSON.parse(text)), SECONDS, 1);
  const patchTop = timeLoop(() => applyJsonPatch(state, top), SECONDS);
  const patchNested = timeLoop(() => applyJsonPatch(state, nested), SECONDS);
  rows.push([
    sizeLabel(size),
    state.items.length,
    parse.nsPerCall / 1000,
    patchTop.nsPerCall / 1000,
    patchNested.nsPerCall / 1000,
    ratio(parse.nsPerCall, patchNested.nsPerCall),
  ]);
}
printTable(
  `applyJsonPatch of one field vs JSON.parse + freeze of the whole state (µs per call, ${SECONDS} s each)`,
  [
    'state',
    'array length',
    'parse+freeze',
    'patch /seq',
    'patch /items/i/value',
    'parse / patch items',
  ],
  rows,
);

// Version after version: each small change (bench/lib/delta-state.mjs, the middle robot's
// pose.x and the stamp) applies to the state the previous one made, as a subscriber's
// history does. The containers on the path are then copies of copies, so this measures
// how the copies themselves copy: narrow containers (the robots tree, 32 members a group)
// and one wide object (every robot under `robots`).
const chainRows = [];
for (const [shape, build] of [
  ['tree (32 wide)', makeRobots],
  ['one object', makeWideRobots],
]) {
  for (const size of SIZES) {
    let state = deepFreeze(build(size));
    const path = changedPath(state);
    let seq = 0;
    const perCall = timeLoop(
      () => {
        seq += 1; // a new value each call: a value equal to the one there changes nothing
        state = applyJsonPatch(state, smallChange(path, seq, seq)).state;
      },
      SECONDS,
      shape === 'one object' && size > 65536 ? 1 : 64,
    );
    chainRows.push([shape, sizeLabel(size), perCall.nsPerCall / 1000]);
  }
}
printTable(
  `applyJsonPatch of a one-field change to the previous version's state (µs per call, ${SECONDS} s each)`,
  ['containers', 'state', 'patch, version after version'],
  chainRows,
);
