/**
 * Question: does a small change cost a small change? A one-field change (about 100 bytes
 * of JSON Patch) to a state of robot records (lib/delta-state.mjs) of 1 KiB, 64 KiB and
 * 1 MiB, all in one run:
 *  1. latency, ping-pong as in latency.mjs: Python patch() and update() -> Node state$,
 *     against the same patch over a Unix socket and Redis pub/sub (applied in place with
 *     fast-json-patch by a Node process holding the state) and today's full-state path
 *     (Python set(whole state) to a store without a ring);
 *  2. the 1 KiB paths at 1 ms and 5 ms between commits, next to the C futex floor;
 *  3. the writer's CPU per small change: Node update(), Python patch();
 *  4. a fresh get() just before a checkpoint is due against a full read;
 *  5. what 16 subscribers cost a writer of small changes against one of whole states.
 * Full mode repeats everything 3 times and reports medians; quick mode runs each part
 * once, briefly, with 64 KiB in place of 1 MiB.
 *   node bench/deltas.mjs [--quick]
 */
import os from 'node:os';
import path from 'node:path';
import { freshGet, fanOut, nodeUpdateCost } from './lib/delta-costs.mjs';
import { changedPath, makeRobots } from './lib/delta-state.mjs';
import { floorBinary } from './lib/floor-binary.mjs';
import { benchDir, pick, python, quick, uniqueName } from './lib/mode.mjs';
import { onExit, start } from './lib/processes.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { recordSection } from './lib/results.mjs';
import { median } from './lib/stats.mjs';
import { sizeLabel } from './lib/table.mjs';
import { report } from './lib/delta-report.mjs';

const BIG = pick(65536, 1 << 20);
const SIZES = [...new Set([1024, 65536, BIG])];
const REPEATS = pick(1, 3);
const PATHS = ['patch', 'update', 'unix', 'redis-pubsub', 'set'];
const GAPS_US = [1000, 5000];
const FANOUT_SIZE = 65536;
const FANOUT_SUBSCRIBERS = 16;

/** Rounds and warm-up of one ping-pong: fewer where a round takes milliseconds. */
function roundsOf(size, pathName, gapUs) {
  if (gapUs >= 1000) return { rounds: pick(40, gapUs > 1000 ? 600 : 1500), warmup: pick(5, 50) };
  if (size < 1 << 20) return { rounds: pick(200, 2000), warmup: pick(20, 100) };
  return pathName === 'update' ? { rounds: 30, warmup: 3 } : { rounds: 200, warmup: 20 };
}

async function runFloor(size, gapUs) {
  const { rounds, warmup } = roundsOf(size, 'floor', gapUs);
  const floor = start(floorBinary(), [rounds, size, warmup, gapUs, 'nopin'].map(String));
  const result = await floor.nextJson(600000);
  await floor.succeeded();
  return result;
}

let unlinkSegment;
function unlinkQuietly(...names) {
  for (const name of names) {
    try {
      unlinkSegment(name);
    } catch {
      // E_NOENT: the subscriber already removed it.
    }
  }
}

async function runPingPong(pathName, size, gapUs, redisPort, statePath) {
  const transport = ['unix', 'redis-pubsub'].includes(pathName) ? pathName : 'shmstate';
  const options = {
    transport,
    writer: pathName,
    size,
    ...roundsOf(size, pathName, gapUs),
    gap_us: gapUs,
    redisPort,
    path: statePath,
    ringEntries: pathName === 'set' ? 0 : undefined,
    name: uniqueName('deltas'),
    ackName: uniqueName('deltas-ack'),
    socketPath: path.join(os.tmpdir(), `${uniqueName('deltas')}.sock`),
  };
  onExit(() => unlinkQuietly(options.name, options.ackName));
  const subscriber = start(process.execPath, [
    path.join(benchDir, 'peers', 'delta-subscriber.mjs'),
    JSON.stringify(options),
  ]);
  if ((await subscriber.nextLine(60000)) !== 'ready')
    throw new Error(`${pathName} subscriber did not start`);
  const publisher = start(python, [
    path.join(benchDir, 'peers', 'delta_publisher.py'),
    JSON.stringify(options),
  ]);
  const result = subscriber.nextJson(600000);
  const { publishP50 } = await publisher.nextJson(600000);
  await publisher.succeeded();
  const summary = await result;
  await subscriber.succeeded(10000);
  return { ...summary, publishP50, rounds: options.rounds };
}

async function pythonPatchCost(size, commits, warmup) {
  const name = uniqueName('deltas-writer');
  onExit(() => unlinkQuietly(name));
  const writer = start(python, [
    path.join(benchDir, 'peers', 'delta_writer.py'),
    JSON.stringify({ name, size, commits, warmup }),
  ]);
  const result = await writer.nextJson(600000);
  await writer.succeeded();
  return result;
}

const log = (line) => process.stderr.write(`  ${line}\n`);

async function main() {
  ({
    SharedStore: { unlink: unlinkSegment },
  } = await import('@shmstate/core'));
  const statePaths = Object.fromEntries(SIZES.map((size) => [size, changedPath(makeRobots(size))]));
  const redis = await startRedis();
  const latency = [];
  const rates = [];
  const writer = [];
  const fresh = [];
  const fanout = [];
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const size of SIZES) {
      for (const pathName of PATHS) {
        const summary = await runPingPong(pathName, size, 20, redis.port, statePaths[size]);
        latency.push({ repeat, size, path: pathName, ...summary });
        log(
          `run ${repeat}/${REPEATS} ${sizeLabel(size)} ${pathName}: p50 ${summary.p50.toFixed(1)} us`,
        );
      }
    }
    for (const gapUs of GAPS_US) {
      for (const pathName of ['floor', 'patch', 'set']) {
        const summary =
          pathName === 'floor'
            ? await runFloor(1024, gapUs)
            : await runPingPong(pathName, 1024, gapUs, redis.port, statePaths[1024]);
        rates.push({ repeat, gapUs, path: pathName, ...summary });
        log(
          `run ${repeat}/${REPEATS} 1 KiB every ${gapUs} us ${pathName}: p50 ${summary.p50.toFixed(1)} us`,
        );
      }
    }
    for (const size of [1024, BIG]) {
      const big = size === BIG;
      const node = nodeUpdateCost(size, big ? pick(50, 200) : pick(300, 2000), pick(10, 50));
      const py = await pythonPatchCost(size, big ? pick(700, 1100) : pick(500, 3000), 20);
      writer.push({ repeat, size, node, python: py });
      log(
        `run ${repeat}/${REPEATS} ${sizeLabel(size)} writer CPU: Node update ${node.cpuUsPerCommit.toFixed(1)} us, Python patch ${py.cpuUsPerCommit.toFixed(1)} us`,
      );
    }
  }
  // One store brought to the worst case, then sampled: bringing it there takes 2 x 1023
  // commits at 1 MiB, the reads a few seconds each.
  fresh.push(freshGet(BIG, REPEATS));
  log(
    `fresh get ${sizeLabel(BIG)}: ${fresh[0].patches} patches, ${median(fresh[0].ringMs).toFixed(1)} ms`,
  );
  for (let repeat = 1; repeat <= REPEATS; repeat++) {
    for (const whole of [false, true]) {
      for (const count of [0, FANOUT_SUBSCRIBERS]) {
        const row = await fanOut(FANOUT_SIZE, count, whole, pick(0.5, 3));
        fanout.push({ repeat, whole, ...row });
        log(
          `run ${repeat}/${REPEATS} fan-out ${whole ? 'whole' : 'patch'} x${count}: ${row.perSecond.toFixed(0)} commits/s`,
        );
      }
    }
  }
  redis.stop();
  const figures = report({
    latency,
    rates,
    writer,
    fresh,
    fanout,
    SIZES,
    BIG,
    REPEATS,
    FANOUT_SIZE,
  });
  recordSection('deltas', {
    loadAverageAfter: os.loadavg()[0],
    repeats: REPEATS,
    quick,
    sizes: SIZES,
    fanoutSize: FANOUT_SIZE,
    runs: { latency, rates, writer, fresh, fanout },
    ...figures,
  });
}

await main();
