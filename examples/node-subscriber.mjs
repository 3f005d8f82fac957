// A Node service subscribing to the fleet state a Python process publishes.
//
// Run (with examples/python-publisher.py running):  node examples/node-subscriber.mjs fleet
//
// One store, four RxJS pipelines over it:
//   - changes$: every version that arrives, with how many were skipped (`missed`), the
//     JSON Patch it carries (the publisher sends each change as a patch) and the
//     publish-to-emit latency taken from the state's CLOCK_MONOTONIC stamp;
//   - select(robot 0): emits only when robot 0 itself moved, since every new state shares
//     the unchanged robots with the state before (the same objects);
//   - select(robots) + throttleTime + map: a derived figure (fleet summary) at 4 Hz;
//   - the stream completes when the publisher says it is done, and we print a summary.
import { SharedStore } from '@shmstate/core';
import { filter, map, take, throttleTime } from 'rxjs';

const name = process.argv[2] ?? 'fleet';
const live = process.stdout.isTTY;

const store = SharedStore.open(name);

const latenciesUs = [];
let emissions = 0;
let missed = 0;
let firstVersion = 0;
let lastVersion = 0;
let patched = 0;
let ops = 0;
let lastPatch = '';
let robotZeroEmissions = 0;

store.changes$.subscribe(({ version, state, missed: skipped, patches }) => {
  if (patches !== null) {
    patched += 1;
    ops += patches.length;
    lastPatch = patches
      .map((op) => op.path)
      .filter((path) => path.startsWith('/robots/'))
      .join(' ');
  }
  const now = process.hrtime.bigint();
  // The publisher stamps CLOCK_MONOTONIC nanoseconds as a decimal string: past about 104
  // days of uptime they exceed 2^53, which JSON numbers in the dialect cannot carry.
  if (typeof state.published_ns === 'string') {
    latenciesUs.push(Number(now - BigInt(state.published_ns)) / 1000);
  }
  if (firstVersion === 0) firstVersion = version;
  lastVersion = version;
  emissions += 1;
  missed += skipped;
});

store.select((s) => s.robots[0]).subscribe(() => (robotZeroEmissions += 1));

const summary$ = store
  .select((s) => s.robots)
  .pipe(
    throttleTime(250, undefined, { leading: true, trailing: true }),
    map((robots) => ({
      moving: robots.filter((r) => r.status === 'moving').length,
      charging: robots.filter((r) => r.status === 'charging').length,
      battery: robots.reduce((sum, r) => sum + r.battery, 0) / robots.length,
      centroid: [
        robots.reduce((sum, r) => sum + r.x, 0) / robots.length,
        robots.reduce((sum, r) => sum + r.y, 0) / robots.length,
      ],
    })),
  );

const percentile = (sorted, p) =>
  sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const view = summary$.subscribe((fleet) => {
  const sorted = [...latenciesUs].sort((a, b) => a - b);
  const line =
    `v${String(lastVersion).padStart(5)}  moving ${fleet.moving}  charging ${fleet.charging}  ` +
    `battery ${fleet.battery.toFixed(1)}%  centroid (${fleet.centroid[0].toFixed(1)}, ${fleet.centroid[1].toFixed(1)})  ` +
    `latency p50 ${percentile(sorted, 50).toFixed(0)} us p99 ${percentile(sorted, 99).toFixed(0)} us  missed ${missed}  ` +
    `last patch: ${lastPatch}`;
  if (live) process.stdout.write(`\r\x1b[K${line}`);
  else console.log(line);
});

store.state$
  .pipe(
    filter((s) => s.done === true),
    take(1),
  )
  .subscribe(() => {
    view.unsubscribe();
    const sorted = [...latenciesUs].sort((a, b) => a - b);
    if (live) process.stdout.write('\n');
    console.log(
      [
        'summary:',
        `  versions ${firstVersion}..${lastVersion}: ${emissions} emissions + ${missed} missed = ${emissions + missed}`,
        `  ${patched} changes arrived as JSON Patches (${(ops / Math.max(patched, 1)).toFixed(1)} ops each on average), ${emissions - patched} whole (the first)`,
        `  select(robot 0) emitted ${robotZeroEmissions} times: only when robot 0 moved`,
        `  publish -> emit latency over ${sorted.length} states: p50 ${percentile(sorted, 50).toFixed(1)} us, ` +
          `p99 ${percentile(sorted, 99).toFixed(1)} us, max ${(sorted.at(-1) ?? NaN).toFixed(1)} us`,
      ].join('\n'),
    );
    // Completes every stream and stops the watcher: the process exits by itself.
    store.close();
  });
