/**
 * A Node writer SIGKILLed at random points, 50 times, while it commits patches, checkpoints
 * and whole states, and a Python reader validates
 * every state it reads: no torn or uncommitted state, versions never go back, and each
 * next writer's first commit (which takes over a lock the dead writer may hold) completes
 * within 100 ms. The Python-writer direction is test/kill.python-to-node.test.ts.
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnNode, spawnPython } from '../helpers';

const KILLS = 50;

test('50 SIGKILLed Node writers leave a Python reader on whole committed states', async (t) => {
  const name = segmentFor(t, 'nodekill');
  const store = SharedStore.create(name, { initial: { seq: 0 }, capacity: 4096 });
  t.teardown(() => store.close());
  const reader = spawnPython(t, 'validate_reader.py', [name]);
  t.is(await reader.nextLine(), 'ready');

  const firstCommitMs: number[] = [];
  for (let kill = 0; kill < KILLS; kill += 1) {
    const writer = spawnNode(t, 'kill-writer.mjs', [name]);
    const [word, ms] = (await writer.nextLine()).split(' ');
    t.is(word, 'first');
    firstCommitMs.push(Number(ms));
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 30));
    writer.process.kill('SIGKILL');
    await writer.exited;
  }
  reader.process.stdin!.end();
  const report = JSON.parse(await reader.nextLine());
  const stats = store.stats();
  t.log(
    `${KILLS} kills, versions 1..${store.version}, ${report.reads} Python reads validated, ` +
      `lock recoveries ${stats.lockRecoveries}, slowest first commit ` +
      `${Math.max(...firstCommitMs).toFixed(2)} ms`,
  );
  t.is(report.violations, 0, report.first ?? '');
  t.true(report.reads > 0);
  t.true(Math.max(...firstCommitMs) < 100, 'every next writer commits within 100 ms');
});
