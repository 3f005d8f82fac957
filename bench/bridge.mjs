/**
 * Question: how long from a commit on host A to a subscriber on host B when a store is
 * mirrored through NATS JetStream KV (docs/bridge.md), and how many versions per second
 * does the bridge sustain? Side by side, in the same run, with the same state carried by
 * Redis pub/sub (the state once, then the same JSON Patch per version, applied by the
 * subscriber). Both hosts are this machine: a Python writer commits to the leader store,
 * `shmstate mirror publish` and `follow` carry it through a local nats-server into a mirror
 * store, and a Node changes$ subscriber on the mirror takes the time.
 *
 * Latency: versions paced well below saturation, each carrying its commit time
 * (CLOCK_MONOTONIC): p50/p99 of (subscriber holds the state) - (commit). Sustained: the
 * writer commits flat out; versions/s = versions / (first commit -> subscriber holds the
 * last version).
 *     node bench/bridge.mjs [--quick]
 */
import { SharedStore, applyJsonPatch } from '@shmstate/core';
import { benchDir, pick, python, uniqueName } from './lib/mode.mjs';
import { startNats } from './lib/nats-server.mjs';
import { onExit, start } from './lib/processes.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { recordSection } from './lib/results.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable, sizeLabel } from './lib/table.mjs';

const SIZES = [1024, 65536];
const LATENCY_COUNT = pick(100, 1500);
const LATENCY_RATE = 200;
const FLAT_COUNT = pick(1000, 10000);
const writer = `${benchDir}/peers/bridge_writer.py`;
const bridge = ['-m', 'shmstate_bridge'];
const now = () => Number(process.hrtime.bigint());

async function untilLast(done, lastRef, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  while (!done(lastRef.value)) {
    if (Date.now() > deadline) throw new Error('the subscriber did not reach the last version');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** One run through the bridge: samples (us) and the end-to-end versions/s. */
async function viaBridge(natsUrl, size, count, rate) {
  const leader = uniqueName('bridge-a');
  const mirror = `${leader}-b`;
  onExit(() => {
    for (const name of [leader, mirror]) {
      try {
        SharedStore.unlink(name);
      } catch {
        // removed already
      }
    }
  });
  const peer = start(python, [writer, 'store', leader, String(size), String(count), String(rate)]);
  await peer.nextLine();
  const publisher = start(python, [...bridge, 'publish', leader, '--server', natsUrl]);
  const follower = start(python, [...bridge, 'follow', `${leader}:${mirror}`, '--server', natsUrl]);
  const store = await SharedStore.openWhenReady(mirror, { timeout: 30000 });
  const samples = [];
  const seen = { value: 0, at: 0 };
  const subscription = store.changes$.subscribe(({ state }) => {
    if (state.seq === 0) return;
    samples.push((now() - state.t) / 1000);
    seen.value = state.seq;
    seen.at = now();
  });
  const started = now();
  peer.send('go');
  await peer.nextLine(300000);
  await untilLast((seq) => seq === count, seen);
  subscription.unsubscribe();
  store.close();
  peer.send('end');
  for (const child of [publisher, follower]) child.child.kill('SIGTERM');
  await peer.succeeded();
  return { samples, perSecond: count / ((seen.at - started) / 1e9) };
}

/** The same through Redis pub/sub: the state once, then a patch per version. */
async function viaRedis(port, size, count, rate) {
  const { default: Redis } = await import('ioredis');
  const subscriber = new Redis({ port, host: '127.0.0.1' });
  let state = null;
  const samples = [];
  const seen = { value: 0, at: 0 };
  subscriber.on('message', (_channel, text) => {
    const message = JSON.parse(text);
    if (message.state) {
      state = message.state;
      return;
    }
    state = applyJsonPatch(state, message.patch).state;
    samples.push((now() - state.t) / 1000);
    seen.value = state.seq;
    seen.at = now();
  });
  await subscriber.subscribe('bench-bridge');
  const peer = start(python, [
    writer,
    'redis',
    String(port),
    String(size),
    String(count),
    String(rate),
  ]);
  await peer.nextLine();
  const started = now();
  peer.send('go');
  await peer.nextLine(300000);
  await untilLast((seq) => seq === count, seen);
  await peer.succeeded();
  subscriber.disconnect();
  return { samples, perSecond: count / ((seen.at - started) / 1e9) };
}

const nats = await startNats();
const redis = await startRedis();
const rows = [];
const figures = {};
for (const size of SIZES) {
  const bridgeLatency = summarize(
    (await viaBridge(nats.url, size, LATENCY_COUNT, LATENCY_RATE)).samples,
  );
  const redisLatency = summarize(
    (await viaRedis(redis.port, size, LATENCY_COUNT, LATENCY_RATE)).samples,
  );
  const bridgeFlat = (await viaBridge(nats.url, size, FLAT_COUNT, 0)).perSecond;
  const redisFlat = (await viaRedis(redis.port, size, FLAT_COUNT, 0)).perSecond;
  rows.push([
    sizeLabel(size),
    'shmstate bridge (NATS KV)',
    bridgeLatency.p50,
    bridgeLatency.p99,
    bridgeFlat,
  ]);
  rows.push([
    sizeLabel(size),
    'Redis pub/sub (patches)',
    redisLatency.p50,
    redisLatency.p99,
    redisFlat,
  ]);
  figures[size] = {
    bridge: { p50: bridgeLatency.p50, p99: bridgeLatency.p99, versionsPerSecond: bridgeFlat },
    redis: { p50: redisLatency.p50, p99: redisLatency.p99, versionsPerSecond: redisFlat },
  };
}
printTable(
  `Leader commit (Python, host A) -> subscriber (Node, host B): ${LATENCY_COUNT} versions at ${LATENCY_RATE}/s for latency, ${FLAT_COUNT} flat out for versions/s`,
  ['size', 'path', 'p50 us', 'p99 us', 'sustained versions/s'],
  rows,
);
recordSection('bridge', { latencyCount: LATENCY_COUNT, flatCount: FLAT_COUNT, sizes: figures });
process.exit(0);
