/**
 * Question: what does a subscriber cost while nothing changes? CPU used over a window by
 * an idle Node state$ subscriber, an idle Python watch(), and (the peer) an idle Node Unix
 * socket server, from /proc (lib/cpu-time.mjs). Target: below 0.1% of one CPU.
 *   node bench/idle.mjs [--quick]
 */
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedStore } from '@shmstate/core';
import { cpuTime } from './lib/cpu-time.mjs';
import { benchDir, pick, python, uniqueName } from './lib/mode.mjs';
import { makeState } from './lib/payload.mjs';
import { onExit, start } from './lib/processes.mjs';
import { recordSection } from './lib/results.mjs';
import { printTable } from './lib/table.mjs';

const WINDOW_SECONDS = pick(2, 10);
// Node's own start-up work is not idle cost: V8's memory reducer runs once, about 8 s after
// start, and takes ~40 ms of CPU in any Node process (measured here on a bare subscriber
// with /proc/<pid>/stat). The full run waits it out before the window opens.
const SETTLE_SECONDS = pick(0.5, 12);

const name = uniqueName('idle');
const store = SharedStore.create(name, { initial: makeState(1024), capacity: 4096 });
onExit(() => {
  try {
    SharedStore.unlink(name);
  } catch {
    // already removed
  }
});
const socketPath = path.join(os.tmpdir(), `${uniqueName('idle')}.sock`);
const idleSubscriber = path.join(benchDir, 'peers', 'idle-subscriber.mjs');
const subjects = [
  {
    label: 'Node state$ subscriber (shmstate)',
    process: start(process.execPath, [idleSubscriber, 'shmstate', name]),
  },
  {
    label: 'Python watch() (shmstate)',
    process: start(python, [path.join(benchDir, 'peers', 'idle_watcher.py'), name]),
  },
  {
    label: 'Node Unix socket server (peer)',
    process: start(process.execPath, [idleSubscriber, 'unix', socketPath]),
  },
];
for (const subject of subjects) {
  if ((await subject.process.nextLine()) !== 'ready')
    throw new Error(`${subject.label} did not start`);
}
await sleep(SETTLE_SECONDS * 1000);
const before = subjects.map((subject) => cpuTime(subject.process.child.pid));
const started = process.hrtime.bigint();
await sleep(WINDOW_SECONDS * 1000);
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const rows = subjects.map((subject, i) => {
  const after = cpuTime(subject.process.child.pid);
  return {
    label: subject.label,
    seconds: elapsed,
    statPercent: ((after.statSeconds - before[i].statSeconds) / elapsed) * 100,
    scheduledPercent: ((after.scheduledSeconds - before[i].scheduledSeconds) / elapsed) * 100,
    scheduledMs: (after.scheduledSeconds - before[i].scheduledSeconds) * 1000,
  };
});
for (const subject of subjects) subject.process.child.kill('SIGTERM');
await Promise.all(subjects.map((subject) => subject.process.exited));
store.close();
SharedStore.unlink(name);
printTable(
  `Idle cost over ${elapsed.toFixed(1)} s with no commits (% of one CPU)`,
  ['process', 'utime+stime %', 'on-CPU % (schedstat)', 'on-CPU ms in window'],
  rows.map((r) => [r.label, r.statPercent, r.scheduledPercent, r.scheduledMs]),
);
recordSection('idle', { windowSeconds: WINDOW_SECONDS, rows });
