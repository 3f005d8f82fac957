/**
 * Question: where do the microseconds of "Python publishes -> Node holds the state" go?
 * The latency ping-pong of latency.mjs, taken apart step by step: Python encodes, then
 * commits (seqlock write, futex bump, doorbell ring); the notification reaches JS; Node
 * reads the text, parses and freezes it; the store's streams emit it. Each round is
 * stamped at every step (both sides read CLOCK_MONOTONIC), and each step's share is the
 * p50 over the rounds of the time between its two stamps.
 *
 * The Node steps are timed on the segment by hand ("steps" run); the store's own
 * end-to-end figure comes from a second run through state$ ("store" run), and what the
 * store adds on top of the steps (the version cache, RxJS) is the difference of the two.
 * Full mode alternates steps and store runs three times and reports the median of each
 * figure, with the spread of the store layers (a difference of two runs).
 *   node bench/breakdown.mjs [--quick]
 */
import path from 'node:path';
import { SharedStore } from '@shmstate/core';
import { benchDir, pick, python, uniqueName } from './lib/mode.mjs';
import { onExit, start } from './lib/processes.mjs';
import { recordSection } from './lib/results.mjs';
import { median, summarize } from './lib/stats.mjs';
import { printTable, sizeLabel } from './lib/table.mjs';

const SIZES = [64, 1024, 65536];
const ROUNDS = pick(300, 10000);
const WARMUP = pick(50, 500);
const REPEATS = pick(1, 3);
const GAP_US = 20; // as in latency.mjs

async function pingPong(mode, size) {
  const options = {
    mode,
    size,
    rounds: ROUNDS,
    warmup: WARMUP,
    gap_us: GAP_US,
    name: uniqueName('breakdown'),
    ackName: uniqueName('breakdown-ack'),
  };
  onExit(() => {
    for (const name of [options.name, options.ackName]) {
      try {
        SharedStore.unlink(name);
      } catch {
        // E_NOENT: already removed below.
      }
    }
  });
  const subscriber = start(process.execPath, [
    path.join(benchDir, 'peers', 'breakdown-subscriber.mjs'),
    JSON.stringify(options),
  ]);
  if ((await subscriber.nextLine()) !== 'ready') throw new Error(`${mode} subscriber failed`);
  const publisher = start(python, [
    path.join(benchDir, 'peers', 'breakdown_publisher.py'),
    JSON.stringify(options),
  ]);
  const [published, received] = await Promise.all([
    publisher.nextJson(600000),
    subscriber.nextJson(600000),
  ]);
  await publisher.succeeded();
  await subscriber.succeeded(10000);
  SharedStore.unlink(options.name);
  SharedStore.unlink(options.ackName);
  return { published, received };
}

/** p50 (us) over the rounds of `later - earlier`, two arrays of ns after the stamp. */
function stepP50(later, earlier) {
  const us = later.map((time, round) => (time - (earlier ? earlier[round] : 0)) / 1000);
  return summarize(us).p50;
}

/** One steps run and one store run at `size`: each step's p50 (us). */
async function measure(size) {
  const steps = await pingPong('steps', size);
  const store = await pingPong('store', size);
  const { encodedNs, committedNs } = steps.published;
  const { notified, read, parsed, frozen } = steps.received;
  const figures = {
    encode: stepP50(encodedNs),
    commit: stepP50(committedNs, encodedNs),
    // Negative when JS already runs before Python's commit call has returned.
    notify: stepP50(notified, committedNs),
    read: stepP50(read, notified),
    parse: stepP50(parsed, read),
    freeze: stepP50(frozen, parsed),
    stepsTotal: stepP50(frozen),
    storeTotal: stepP50(store.received.emitted),
  };
  figures.storeLayers = figures.storeTotal - figures.stepsTotal;
  return figures;
}

const rows = [];
for (const size of SIZES) {
  const repeats = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) repeats.push(await measure(size));
  const row = { size, repeats };
  for (const key of Object.keys(repeats[0])) row[key] = median(repeats.map((r) => r[key]));
  const layers = repeats.map((r) => r.storeLayers);
  row.storeLayersRange =
    REPEATS > 1 ? `${Math.min(...layers).toFixed(1)} to ${Math.max(...layers).toFixed(1)}` : '-';
  rows.push(row);
}

printTable(
  `Where the time goes: Python publish -> Node holds the state (p50 us per step over ${ROUNDS} rounds; median of ${REPEATS} run(s))`,
  [
    'size',
    'Python encode',
    'Python commit + ring',
    'commit returned -> JS notified',
    'readText',
    'JSON.parse',
    'freeze',
    'steps, end to end',
    'store state$, end to end',
    'store layers (difference)',
    'store layers min-max',
  ],
  rows.map((row) => [
    sizeLabel(row.size),
    row.encode,
    row.commit,
    row.notify,
    row.read,
    row.parse,
    row.freeze,
    row.stepsTotal,
    row.storeTotal,
    row.storeLayers,
    row.storeLayersRange,
  ]),
);
recordSection('breakdown', {
  rounds: ROUNDS,
  warmup: WARMUP,
  repeats: REPEATS,
  gapUs: GAP_US,
  rows,
});
