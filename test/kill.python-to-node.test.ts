/**
 * A Python writer SIGKILLed at random points, 50 times, while it commits patches,
 * checkpoints and whole states and Node subscribes: no
 * subscriber ever sees a torn or uncommitted state, versions only increase, and the next
 * writer's first commit (which takes over a lock the dead writer may hold) completes
 * within 100 ms.
 */
import test from 'ava';
import { SharedStore, type DeepReadonly } from '@shmstate/core';
import { segmentFor, spawnPython } from './helpers';

const KILLS = 50;

interface BurstState {
  seq: number;
  body?: number[];
}

const isWhole = (state: DeepReadonly<BurstState>): boolean =>
  state.seq === 0 || (Array.isArray(state.body) && state.body.every((x) => x === state.seq));

test('50 SIGKILLed Python writers leave Node subscribers on whole committed states', async (t) => {
  const name = segmentFor(t, 'kill');
  const store = SharedStore.create<BurstState>(name, { initial: { seq: 0 }, capacity: 4096 });
  t.teardown(() => store.close());

  let lastVersion = 0;
  let emissions = 0;
  const problems: string[] = [];
  const subscription = store.changes$.subscribe(({ version, state }) => {
    if (version <= lastVersion) problems.push(`version ${version} after ${lastVersion}`);
    if (!isWhole(state)) problems.push(`torn state at version ${version}`);
    lastVersion = version;
    emissions += 1;
  });
  t.teardown(() => subscription.unsubscribe());

  const firstCommitMs: number[] = [];
  for (let kill = 0; kill < KILLS; kill += 1) {
    const writer = spawnPython(t, 'kill-writer.py', [name]);
    const [word, ms] = (await writer.nextLine()).split(' ');
    t.is(word, 'first');
    firstCommitMs.push(Number(ms));
    await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 30));
    writer.process.kill('SIGKILL');
    await new Promise((resolve) => writer.process.once('exit', resolve));
  }

  // Let the subscriber catch up with the last committed version.
  const deadline = Date.now() + 5000;
  while (lastVersion < store.version && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }

  const stats = store.stats();
  t.log(
    `versions 1..${store.version}, ${emissions} emissions, lock recoveries ${stats.lockRecoveries}, ` +
      `slowest first commit ${Math.max(...firstCommitMs).toFixed(2)} ms`,
  );
  t.deepEqual(problems, []);
  t.is(lastVersion, store.version, 'the subscriber ends on the last committed version');
  t.true(isWhole(store.get()), 'the stored state is whole');
  t.true(Math.max(...firstCommitMs) < 100, 'every next writer commits within 100 ms');
});
