/**
 * Question: how long from "Python publishes" to "a Node subscriber holds the parsed value"?
 * Ping-pong, one message in flight, each round starting idle; side by side in one run:
 * shmstate (Python set() -> Node state$), a Unix socket with newline JSON, Redis pub/sub,
 * Redis SET+PUBLISH -> GET, and the C futex floor; and shmstate with the subscriber's
 * doorbell on an abstract socket (as before path doorbells) beside the default path socket. Full mode repeats the whole sweep 3
 * times and reports medians with their spread and ratios to the peers of the same run.
 *
 *   node bench/latency.mjs [--quick]
 */
import os from 'node:os';
import path from 'node:path';
import { floorBinary } from './lib/floor-binary.mjs';
import { benchDir, pick, python, quick, uniqueName } from './lib/mode.mjs';
import { onExit, start } from './lib/processes.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { recordSection } from './lib/results.mjs';
import { spread } from './lib/stats.mjs';
import { printTable, ratio, sizeLabel } from './lib/table.mjs';

const ALL_SIZES = [64, 1024, 65536];
// BENCH_SIZES=1024 runs a subset of the sizes, like BENCH_ONLY for the paths.
const SIZES = process.env.BENCH_SIZES
  ? ALL_SIZES.filter((size) => process.env.BENCH_SIZES.split(',').includes(String(size)))
  : ALL_SIZES;
const ROUNDS = pick(500, 20000);
const WARMUP = pick(50, 500);
const REPEATS = pick(1, 3);
const GAP_US = 20;
const ALL_PATHS = [
  'floor',
  'floor-pinned',
  'shmstate',
  'shmstate-abstract',
  'unix',
  'redis-pubsub',
  'redis-get',
];
// BENCH_ONLY=unix,floor runs a subset (while working on one path); ratios need them all.
const PATHS = process.env.BENCH_ONLY
  ? ALL_PATHS.filter((p) => process.env.BENCH_ONLY.split(',').includes(p))
  : ALL_PATHS;
const LABELS = {
  floor: 'C futex ping-pong (floor)',
  'floor-pinned': 'C futex, pinned cross-CPU',
  shmstate: 'shmstate Python set -> Node state$',
  'shmstate-abstract': 'the same, abstract doorbell socket',
  unix: 'Unix socket NDJSON',
  'redis-pubsub': 'Redis pub/sub (ioredis)',
  'redis-get': 'Redis SET+PUBLISH -> GET',
};

async function runFloor(size, pin) {
  const args = [ROUNDS, size, WARMUP, GAP_US, pin ? 'pin' : 'nopin'].map(String);
  const floor = start(floorBinary(), args);
  const result = await floor.nextJson(600000);
  await floor.succeeded();
  return result;
}

async function runPingPong(transport, size, redisPort) {
  const options = {
    transport,
    size,
    rounds: ROUNDS,
    warmup: WARMUP,
    gap_us: GAP_US,
    redisPort,
    name: uniqueName('latency'),
    ackName: uniqueName('latency-ack'),
    socketPath: path.join(os.tmpdir(), `${uniqueName('latency')}.sock`),
  };
  onExit(() => unlinkQuietly(options.name, options.ackName));
  const subscriber = start(
    process.execPath,
    [path.join(benchDir, 'peers', 'latency-subscriber.mjs'), JSON.stringify(options)],
    { cpu: 1 },
  );
  if ((await subscriber.nextLine()) !== 'ready')
    throw new Error(`${transport} subscriber did not start`);
  const publisher = start(
    python,
    [path.join(benchDir, 'peers', 'latency_publisher.py'), JSON.stringify(options)],
    { cpu: 0 },
  );
  const result = subscriber.nextJson(600000);
  const { publishP50 } = await publisher.nextJson(600000);
  await publisher.succeeded();
  const summary = await result;
  await subscriber.succeeded(10000);
  return { ...summary, publishP50 };
}

let unlinkSegment;
function unlinkQuietly(...names) {
  for (const name of names) {
    try {
      unlinkSegment?.(name);
    } catch {
      // E_NOENT: the subscriber already removed it.
    }
  }
}

async function main() {
  if (PATHS.includes('shmstate'))
    ({
      SharedStore: { unlink: unlinkSegment },
    } = await import('@shmstate/core'));
  const redis = await startRedis();
  const runs = [];
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const size of SIZES) {
      for (const pathName of PATHS) {
        const summary = pathName.startsWith('floor')
          ? await runFloor(size, pathName === 'floor-pinned')
          : await runPingPong(pathName, size, redis.port);
        runs.push({ repeat, size, path: pathName, ...summary });
        process.stderr.write(
          `  run ${repeat}/${REPEATS} ${sizeLabel(size)} ${pathName}: p50 ${summary.p50.toFixed(1)} us\n`,
        );
      }
    }
  }
  redis.stop();
  report(runs);
}

function report(runs) {
  const medians = {};
  for (const size of SIZES) {
    medians[size] = {};
    for (const pathName of PATHS) {
      const mine = runs.filter((run) => run.size === size && run.path === pathName);
      medians[size][pathName] = Object.fromEntries(
        ['p50', 'p99', 'p999'].map((key) => [key, spread(mine.map((run) => run[key]))]),
      );
      // The Python side's share: stamp -> publish call returned (none for the C floor).
      if (mine[0]?.publishP50 !== undefined)
        medians[size][pathName].publishP50 = spread(mine.map((run) => run.publishP50));
    }
  }
  const range = (s) => (s.runs > 1 ? `${s.min.toFixed(1)}-${s.max.toFixed(1)}` : '-');
  const rows = [];
  for (const size of SIZES) {
    const floor = medians[size].floor ?? { p50: { median: NaN }, p99: { median: NaN } };
    for (const pathName of PATHS) {
      const m = medians[size][pathName];
      rows.push([
        sizeLabel(size),
        LABELS[pathName],
        m.p50.median,
        range(m.p50),
        m.p99.median,
        range(m.p99),
        m.p999.median,
        ratio(m.p50.median, floor.p50.median),
        ratio(m.p99.median, floor.p99.median),
        m.publishP50?.median,
      ]);
    }
  }
  printTable(
    `Latency, Python publish -> Node holds the parsed value (us; median of ${REPEATS} run(s) of ${ROUNDS} round trips)`,
    [
      'size',
      'path',
      'p50',
      'p50 min-max',
      'p99',
      'p99 min-max',
      'p99.9',
      'p50 x floor',
      'p99 x floor',
      'publish call p50',
    ],
    rows,
  );
  const ratios = SIZES.map((size) => {
    const m = medians[size];
    const p50 = (name) => m[name]?.p50.median ?? NaN;
    const p99 = (name) => m[name]?.p99.median ?? NaN;
    return {
      size,
      floorP50: p50('shmstate') / p50('floor'),
      floorP99: p99('shmstate') / p99('floor'),
      pinnedFloorP50: p50('shmstate') / p50('floor-pinned'),
      redisPubsubOverShmstate: p50('redis-pubsub') / p50('shmstate'),
      redisGetOverShmstate: p50('redis-get') / p50('shmstate'),
      unixOverShmstate: p50('unix') / p50('shmstate'),
    };
  });
  printTable(
    'shmstate against its peers (ratios of medians; > 1x under a peer = shmstate is faster)',
    [
      'size',
      'p50 x floor',
      'p99 x floor',
      'p50 x pinned floor',
      'Redis pub/sub p50 / shmstate',
      'Redis GET p50 / shmstate',
      'Unix socket p50 / shmstate',
    ],
    ratios.map((r) => [
      sizeLabel(r.size),
      ratio(r.floorP50, 1),
      ratio(r.floorP99, 1),
      ratio(r.pinnedFloorP50, 1),
      ratio(r.redisPubsubOverShmstate, 1),
      ratio(r.redisGetOverShmstate, 1),
      ratio(r.unixOverShmstate, 1),
    ]),
  );
  recordSection('latency', {
    loadAverageAfter: os.loadavg()[0],
    rounds: ROUNDS,
    warmup: WARMUP,
    repeats: REPEATS,
    gapUs: GAP_US,
    quick,
    labels: LABELS,
    runs,
    medians,
    ratios,
  });
}

await main();
