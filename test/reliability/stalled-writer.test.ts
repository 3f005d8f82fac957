/**
 * A writer stopped (SIGSTOP) inside a commit while holding the writer lock, seen from Node
 * and Python: Node reads keep succeeding on the published version, a Node writer and a
 * Python writer get E_TIMEOUT after a 200 ms lock timeout and never take the lock; after
 * SIGCONT the stopped writer's commit lands and both can write again. The stopped writer
 * is the C core's tool (test_stall --stall-writer), which stops at a point inside commit.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '@shmstate/core';
import { segmentFor, spawnPython } from '../helpers';
import { startStalledWriter } from './lib/stalled-writer';

test('a stopped writer blocks writers (E_TIMEOUT) but no reader; SIGCONT completes it', async (t) => {
  const name = segmentFor(t, 'stall');
  const store = SharedStore.create<{ n: unknown }>(name, { initial: { n: 0 }, capacity: 4096 });
  t.teardown(() => store.close());
  store.set({ n: 1 });
  const stalled = await startStalledWriter(t, name, '{"n":"stalled"}');

  let reads = 0;
  for (let i = 0; i < 10_000; i += 1) {
    const snapshot = store.snapshot();
    if (snapshot.version === 2 && snapshot.state.n === 1) reads += 1;
  }
  t.is(reads, 10_000, 'every read returns the published version whole');

  store.setLockTimeout(200);
  const error = t.throws(() => store.set({ n: 'node' }), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_TIMEOUT');
  const python = spawnPython(t, 'try_set.py', [name, '200']);
  t.is(await python.nextLine(), 'E_TIMEOUT');
  t.is(store.stats().lockRecoveries, 0, "nobody took the stopped writer's lock");
  t.is(store.version, 2);

  stalled.process.kill('SIGCONT');
  const { code } = await stalled.exited;
  t.is(code, 0);
  t.deepEqual(store.snapshot(), { version: 3, state: { n: 'stalled' }, storeId: store.storeId });
  t.is(store.set({ n: 'node' }), 4);
  const again = spawnPython(t, 'try_set.py', [name, '200']);
  t.is(await again.nextLine(), 'ok 5');
});
