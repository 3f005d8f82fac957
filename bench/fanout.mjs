/**
 * Question: what do subscribers cost the writer, and how fast do they hear of a commit?
 * One Node writer (this process), 0/1/4/16 Node subscriber processes, 1 KiB state:
 * (a) the writer commits flat out for a while: commits/s against the same with nobody
 *     subscribed; (b) the writer commits at a steady pace (every ~1 ms, so each round
 *     starts idle) and every subscriber records commit-start -> emission latency.
 *   node bench/fanout.mjs [--quick]
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedStore } from '@shmstate/core';
import { benchDir, pick, uniqueName } from './lib/mode.mjs';
import { makeState } from './lib/payload.mjs';
import { onExit, start } from './lib/processes.mjs';
import { recordSection } from './lib/results.mjs';
import { summarize } from './lib/stats.mjs';
import { printTable, formatCell } from './lib/table.mjs';

const COUNTS = [0, 1, 4, 16];
const FLAT_OUT_SECONDS = pick(0.3, 3);
const PACED_COMMITS = pick(100, 2000);
const PACE_MS = 1;
const SIZE = 1024;

/** Commits flat out; returns commits/s and the writer's own CPU time per commit (us). */
function commitFlatOut(store, state) {
  const cpuBefore = process.cpuUsage();
  const deadline = process.hrtime.bigint() + BigInt(FLAT_OUT_SECONDS * 1e9);
  let commits = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 32; i++) {
      state.seq += 1;
      state.t = Number(process.hrtime.bigint());
      store.set(state);
    }
    commits += 32;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: commits / FLAT_OUT_SECONDS,
    cpuUsPerCommit: (cpu.user + cpu.system) / commits,
  };
}

/**
 * Commits at a steady pace, each commit finding every subscriber idle and armed: what one
 * commit costs the writer when it must notify everyone. Returns the set() call's wall
 * time p50 (us: encoding, the commit, one notification per subscriber process, and any
 * time the subscribers it woke ran on its CPU before it got it back) and the writer's
 * own CPU time per commit (us, the same for the timer that paces it in every row).
 */
async function commitPaced(store, state) {
  const callUs = new Float64Array(PACED_COMMITS);
  let cpuUs = 0;
  for (let i = 0; i < PACED_COMMITS; i++) {
    await sleep(PACE_MS);
    state.seq += 1;
    const cpuBefore = process.cpuUsage();
    state.t = Number(process.hrtime.bigint());
    store.set(state);
    callUs[i] = (Number(process.hrtime.bigint()) - state.t) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    cpuUs += cpu.user + cpu.system;
  }
  await sleep(50); // let the last emissions land
  return { setP50: summarize(callUs).p50, cpuUsPerCommit: cpuUs / PACED_COMMITS };
}

async function measure(count) {
  const name = uniqueName('fanout');
  const state = makeState(SIZE);
  // The whole-state path: every commit a whole state (bench/deltas.mjs measures patches).
  const store = SharedStore.create(name, { initial: state, capacity: 4096, ringEntries: 0 });
  onExit(() => {
    try {
      SharedStore.unlink(name);
    } catch {
      // already removed
    }
  });
  const subscribers = Array.from({ length: count }, () =>
    start(process.execPath, [path.join(benchDir, 'peers', 'fanout-subscriber.mjs'), name]),
  );
  for (const subscriber of subscribers)
    if ((await subscriber.nextLine()) !== 'ready') throw new Error('subscriber failed');

  const { perSecond: writerPerSecond, cpuUsPerCommit } = commitFlatOut(store, state);
  await sleep(200); // let the subscribers drain what the flat-out phase left them
  for (const subscriber of subscribers) subscriber.send('reset');
  const flatOut = [];
  for (const subscriber of subscribers) flatOut.push(await subscriber.nextLine());

  const paced = await commitPaced(store, state);
  const reports = [];
  for (const subscriber of subscribers) {
    subscriber.send('report');
    reports.push(await subscriber.nextJson());
    await subscriber.succeeded(10000);
  }
  store.close();
  SharedStore.unlink(name);
  const latencies = reports.flatMap((report) => report.latencies);
  const delivered = reports.reduce((sum, report) => sum + report.emissions, 0);
  return {
    subscribers: count,
    writerPerSecond,
    cpuUsPerCommit,
    pacedSetP50: paced.setP50,
    pacedCpuUsPerCommit: paced.cpuUsPerCommit,
    pacedCommits: PACED_COMMITS,
    delivered,
    missed: reports.reduce((sum, report) => sum + report.missed, 0),
    latency: latencies.length ? summarize(latencies) : null,
  };
}

const rows = [];
for (const count of COUNTS) rows.push(await measure(count));
const alone = rows[0].writerPerSecond;
for (const row of rows) row.writerSlowdown = 1 - row.writerPerSecond / alone;
printTable(
  `Fan-out: one Node writer, N Node subscriber processes (${SIZE} B state)`,
  [
    'subscribers',
    'writer commits/s (flat out)',
    'vs none',
    'writer CPU us/commit',
    'paced: set() p50 us',
    'paced: writer CPU us/commit',
    'paced: emissions / expected',
    'latency p50 us',
    'p99 us',
    'p99.9 us',
  ],
  rows.map((row) => [
    String(row.subscribers),
    row.writerPerSecond,
    row.subscribers
      ? `${row.writerSlowdown >= 0 ? '-' : '+'}${formatCell(Math.abs(row.writerSlowdown) * 100)}%`
      : '-',
    row.cpuUsPerCommit,
    row.pacedSetP50,
    row.pacedCpuUsPerCommit,
    row.subscribers ? `${row.delivered} / ${row.pacedCommits * row.subscribers}` : '-',
    row.latency?.p50,
    row.latency?.p99,
    row.latency?.p999,
  ]),
);
recordSection('fanout', {
  size: SIZE,
  flatOutSeconds: FLAT_OUT_SECONDS,
  paceMs: PACE_MS,
  rows: rows.map(({ latency, ...row }) => ({ ...row, latency: latency && { ...latency } })),
});
