/**
 * The in-process measurements of bench/deltas.mjs, each on stores of the robots state
 * (lib/delta-state.mjs): what a small change costs a Node writer, what a fresh get() costs
 * just before a checkpoint is due, and what 16 subscribers cost a writer of small changes
 * against one of whole states.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedStore } from '@shmstate/core';
import { changedPath, makeRobots, robotAt, smallChange } from './delta-state.mjs';
import { benchDir, uniqueName } from './mode.mjs';
import { onExit, start } from './processes.mjs';

/** A store of the robots state at `size` bytes, unlinked when the script ends. */
export function robotStore(size, ringEntries) {
  const name = uniqueName('deltas');
  const store = SharedStore.create(name, {
    initial: makeRobots(size),
    capacity: Math.max(4096, size * 2),
    ringEntries,
  });
  onExit(() => {
    try {
      SharedStore.unlink(name);
    } catch {
      // already removed
    }
  });
  return { name, store, path: changedPath(store.get()) };
}

function dispose({ name, store }) {
  store.close();
  SharedStore.unlink(name);
}

/**
 * CPU time per commit (us) of `commits` small changes through Node update() (an immer
 * recipe) after `warmup`, and the wall time of those that wrote a checkpoint.
 */
export function nodeUpdateCost(size, commits, warmup) {
  const made = robotStore(size);
  let cpuUs = 0;
  const checkpointUs = [];
  for (let seq = 0; seq < warmup + commits; seq++) {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const version = made.store.update((draft) => {
      robotAt(draft, made.path).pose.x = seq + 0.5;
      draft.t = seq;
    });
    const used = process.cpuUsage(cpu);
    const wallUs = Number(process.hrtime.bigint() - wall) / 1000;
    if (seq < warmup) continue;
    cpuUs += used.user + used.system;
    if (made.store.stats().checkpointVersion === version) checkpointUs.push(wallUs);
  }
  dispose(made);
  return { cpuUsPerCommit: cpuUs / commits, commits, checkpointUs };
}

/**
 * A fresh get() (SharedStore.open + get + close) of a store whose checkpoint is followed by
 * as many patches as it can hold before the next commit must write one, against the same
 * on a store without a ring (a full read of the same state). Returns the ms of each,
 * `samples` times alternately, and the patches applied.
 */
export function freshGet(size, samples) {
  const ring = robotStore(size);
  // Commit until a commit writes a checkpoint: the distance before it is the most the
  // ring takes; then the same number of patches again, so the next one is a checkpoint.
  let most = 0;
  for (let seq = 0; ; seq++) {
    const version = ring.store.patch(smallChange(ring.path, seq, seq));
    const { checkpointVersion } = ring.store.stats();
    if (checkpointVersion === version) break;
    most = version - checkpointVersion;
  }
  for (let seq = 0; seq < most; seq++) ring.store.patch(smallChange(ring.path, seq, seq));
  const { version, checkpointVersion } = ring.store.stats();
  const whole = robotStore(size, 0);
  whole.store.set(ring.store.get());
  const open = (name) => {
    const start = process.hrtime.bigint();
    const store = SharedStore.open(name);
    store.get();
    store.close();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const ringMs = [];
  const wholeMs = [];
  for (let i = 0; i < samples; i++) {
    wholeMs.push(open(whole.name));
    ringMs.push(open(ring.name));
  }
  dispose(ring);
  dispose(whole);
  return { patches: version - checkpointVersion, ringMs, wholeMs };
}

/**
 * One Node writer commits small changes (patch(), on a store with a ring) or the whole
 * state (set(), on a store without one) flat out for `seconds`, with `count` subscriber
 * processes (peers/fanout-subscriber.mjs, changes$) attached. Returns commits/s, the
 * writer's CPU us per commit and what the subscribers received.
 */
export async function fanOut(size, count, whole, seconds) {
  const made = robotStore(size, whole ? 0 : undefined);
  const state = structuredClone(made.store.get());
  const subscribers = Array.from({ length: count }, () =>
    start(process.execPath, [path.join(benchDir, 'peers', 'fanout-subscriber.mjs'), made.name]),
  );
  for (const subscriber of subscribers)
    if ((await subscriber.nextLine()) !== 'ready') throw new Error('subscriber failed');
  const cpuBefore = process.cpuUsage();
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let commits = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 8; i++, commits++) {
      const t = Number(process.hrtime.bigint());
      if (whole) {
        robotAt(state, made.path).pose.x = commits + 0.5;
        state.t = t;
        made.store.set(state);
      } else {
        made.store.patch(smallChange(made.path, commits, t));
      }
    }
  }
  const cpu = process.cpuUsage(cpuBefore);
  await sleep(200); // let the subscribers drain
  let emissions = 0;
  for (const subscriber of subscribers) {
    subscriber.send('report');
    emissions += (await subscriber.nextJson(60000)).emissions;
    await subscriber.succeeded(10000);
  }
  dispose(made);
  return {
    subscribers: count,
    perSecond: commits / seconds,
    cpuUsPerCommit: (cpu.user + cpu.system) / commits,
    emissionsPerSubscriber: count ? emissions / count : null,
  };
}
