/**
 * No lost updates: four processes each run 5,000 update() increments of one counter at
 * once; every increment lands exactly once.
 */
import test from 'ava';
import { SharedStore } from '../src';
import { segmentFor, spawnNode } from '../../../test/helpers';

test('4 processes x 5,000 concurrent update() increments end at exactly 20,000', async (t) => {
  const name = segmentFor(t, 'increments');
  const store = SharedStore.create<{ n: number }>(name, { initial: { n: 0 }, capacity: 256 });
  t.teardown(() => store.close());

  const children = Array.from({ length: 4 }, () => spawnNode(t, 'increment.mjs', [name, '5000']));
  for (const child of children) {
    t.is(await child.nextLine(), 'done');
    await child.done();
  }

  t.is(store.get().n, 20_000);
  t.is(store.version, 1 + 20_000, 'every increment is exactly one commit');
});
