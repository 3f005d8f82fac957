/**
 * Compare-and-set updates from Node and Python processes at once lose nothing:
 * 2 Node + 2 Python processes x 5,000 increments end at exactly 20,000.
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnSide } from './helpers';

test('2 Node + 2 Python processes x 5,000 update() increments end at exactly 20,000', async (t) => {
  const name = segmentFor(t, 'increments');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 1024 });
  t.teardown(() => store.close());
  const before = store.version;

  const sides = ['node', 'node', 'python', 'python'] as const;
  const workers = sides.map((side) => spawnSide(t, side, 'increment', [name, '5000']));
  for (const worker of workers) {
    t.is(await worker.nextLine(), 'done');
    await worker.done();
  }

  t.is((store.get() as { n: number }).n, 20_000);
  t.is(store.version, before + 20_000, 'every increment is exactly one commit');
});
