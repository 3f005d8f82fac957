/**
 * The Node side of bench/breakdown.mjs. Two modes, the same ping-pong:
 * - "steps": the steps the store takes for a new version, done by hand on the segment so
 *   each can be timed: the notification reaches JS (Segment.watch), the text is read
 *   (readText), parsed (JSON.parse) and frozen (freezeParsed, as the store does);
 * - "store": the real thing, a SharedStore state$ subscriber, end to end.
 *
 *   node peers/breakdown-subscriber.mjs '{"mode":"steps","name":...,"rounds":...}'
 * Prints "ready", then one JSON line: per measured round, ns from the publisher's stamp
 * (state.t, CLOCK_MONOTONIC, as process.hrtime.bigint() reads it) to each point.
 */
import { SharedStore } from '@shmstate/core';
import { Segment } from '@shmstate/native';
// The store's own freeze, internal to @shmstate/core (not exported): from its build.
import { freezeParsed } from '../../packages/core/dist/deep-freeze.js';
import { makeState } from '../lib/payload.mjs';

const options = JSON.parse(process.argv[2]);
const { mode, rounds, warmup } = options;
const now = () => Number(process.hrtime.bigint());

const store = SharedStore.create(options.name, {
  initial: { ...makeState(options.size), seq: -1 },
  capacity: Math.max(4096, options.size * 2),
  // The whole-state path: every commit a whole state (bench/deltas.mjs measures patches).
  ringEntries: 0,
});
const ack = SharedStore.create(options.ackName, { initial: { seq: -1 }, capacity: 4096 });
const points = { notified: [], read: [], parsed: [], frozen: [], emitted: [] };
let finish = () => {};

/** Records one round's points (ns after the stamp); acks; reports after the last one. */
function record(state, at) {
  if (state.seq >= warmup) {
    for (const [point, time] of Object.entries(at)) points[point].push(time - state.t);
  }
  ack.set({ seq: state.seq });
  if (state.seq === warmup + rounds - 1) {
    console.log(JSON.stringify(points));
    finish();
  }
}

if (mode === 'steps') {
  const segment = Segment.open(options.name);
  let lastVersion = segment.version;
  const handle = segment.watch(() => {
    const notified = now();
    if (segment.version === lastVersion) return;
    const { version, text } = segment.readText();
    const read = now();
    const state = JSON.parse(text);
    const parsed = now();
    freezeParsed(state);
    const frozen = now();
    lastVersion = version;
    if (state.seq >= 0) record(state, { notified, read, parsed, frozen });
  });
  finish = () => {
    handle.stop();
    segment.close();
    store.close();
    ack.close();
  };
} else {
  const subscription = store.state$.subscribe((state) => {
    const emitted = now();
    if (state.seq >= 0) record(state, { emitted });
  });
  finish = () => {
    subscription.unsubscribe();
    store.close();
    ack.close();
  };
}
console.log('ready');
