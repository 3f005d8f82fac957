/**
 * A mirror store (made by Python, as the bridge makes them) refuses every local write from
 * Node with E_MIRROR naming its leader, and changes nothing; stats() shows the mirror and
 * its leader.
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { ShmStateError } from '@shmstate/native';
import { segmentFor, spawnPython } from './helpers';

const LEADER = 'nats://127.0.0.1:4222 bucket shmstate key robot, leader store id 00000000000000ff';

async function makeMirror(t: Parameters<typeof spawnPython>[0], name: string): Promise<void> {
  const child = spawnPython(t, 'versions.py', ['create-mirror', name, '40', LEADER]);
  await child.nextLine();
  await child.done();
}

test('stats() shows the mirror and its leader', async (t) => {
  const name = segmentFor(t, 'mirror-stats');
  await makeMirror(t, name);
  const store = SharedStore.open<{ n: number }>(name);
  t.teardown(() => store.close());
  const stats = store.stats();
  t.true(stats.mirror);
  t.is(stats.leader, LEADER);
  t.is(stats.flags & 8, 8);
});

test('an ordinary store is no mirror', (t) => {
  const name = segmentFor(t, 'mirror-plain');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 1024 });
  t.teardown(() => store.close());
  t.false(store.stats().mirror);
  t.is(store.stats().leader, null);
});

for (const [write, run] of [
  ['set', (s: SharedStore<{ n: number }>) => s.set({ n: 1 })],
  ['update', (s: SharedStore<{ n: number }>) => s.update((d) => void (d.n += 1))],
  ['patch', (s: SharedStore<{ n: number }>) => s.patch([{ op: 'replace', path: '/n', value: 2 }])],
] as const) {
  test(`${write}() on a mirror fails with E_MIRROR naming the leader and changes nothing`, async (t) => {
    const name = segmentFor(t, `mirror-${write}`);
    await makeMirror(t, name);
    const store = SharedStore.open<{ n: number }>(name);
    t.teardown(() => store.close());
    const error = t.throws(() => run(store), { instanceOf: ShmStateError });
    t.is(error?.code, 'E_MIRROR');
    t.true(error?.message.includes(LEADER));
    t.is(store.snapshot().version, 40);
    t.deepEqual(store.get(), { n: 0 });
    t.is(store.stats().commits, 1);
  });
}
