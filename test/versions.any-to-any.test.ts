/**
 * Versions that do not start at 1 or do not step by 1, and store ids, across languages:
 * a store created at version N, a commit that jumps versions (the mirror path) seen with
 * `missed` counting the gap, and a store id that every process reads alike and that a
 * re-created store changes.
 */
import test from 'ava';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { SharedStore } from '@shmstate/core';
import { Segment } from '@shmstate/native';
import { segmentFor, spawnPython } from './helpers';

interface Stamp {
  version: number;
  storeId: string;
}

async function python<T>(t: Parameters<typeof spawnPython>[0], args: string[]): Promise<T> {
  const child = spawnPython(t, 'versions.py', args);
  const line = await child.nextLine();
  await child.done();
  return JSON.parse(line) as T;
}

test('python creates at version N: node reads N with the same store id, and its next commit is N+1', async (t) => {
  const name = segmentFor(t, 'ver-py-create');
  const created = await python<Stamp>(t, ['create-at', name, '1000']);
  t.is(created.version, 1000);
  const store = SharedStore.open<{ n: number }>(name);
  t.teardown(() => store.close());
  const snapshot = store.snapshot();
  t.is(snapshot.version, 1000);
  t.is(snapshot.storeId, created.storeId);
  t.regex(created.storeId, /^[0-9a-f]{16}$/);
  t.is(store.set({ n: 1 }), 1001);
});

test('node creates at version N: python reads N with the same store id', async (t) => {
  const name = segmentFor(t, 'ver-node-create');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 1024, version: 77 });
  t.teardown(() => store.close());
  const seen = await python<Stamp & { state: unknown }>(t, ['snapshot', name]);
  t.deepEqual(seen, { version: 77, state: { n: 0 }, storeId: store.storeId });
});

test('python jumps versions: a node changes$ subscriber counts the gap as missed', async (t) => {
  const name = segmentFor(t, 'ver-py-jump');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 1024 });
  t.teardown(() => store.close());
  const seen = firstValueFrom(
    store.changes$.pipe(
      filter((change) => change.version > 1),
      take(1),
    ),
  );
  const jumped = await python<Stamp>(t, ['jump', name, '50']);
  t.is(jumped.version, 50);
  const change = await seen;
  t.like(change, { version: 50, missed: 48, state: { n: 50 }, storeId: store.storeId });
  t.is(store.set({ n: 51 }), 51, 'ordinary commits add exactly 1 after a jump');
});

test('node jumps versions: a python watcher counts the gap as missed, in order', async (t) => {
  const name = segmentFor(t, 'ver-node-jump');
  const segment = Segment.create(name, {
    capacity: 1024,
    mode: 0o600,
    initial: Buffer.from('{"n":0}'),
  });
  t.teardown(() => segment.close());
  const watcher = spawnPython(t, 'versions.py', ['watch', name, '1000']);
  t.is(await watcher.nextLine(), 'ready');
  const first = JSON.parse(await watcher.nextLine()) as Stamp & { missed: number };
  t.deepEqual(first, { version: 1, missed: 0, storeId: segment.storeId });
  segment.commitText('{"n":10}', { version: 10 });
  const second = JSON.parse(await watcher.nextLine()) as Stamp & { missed: number };
  // A watcher may see 10 or, if it was slow, only 1000: either way the count is exact.
  segment.commitText('{"n":1000}', { version: 1000 });
  const lines = [second];
  while (lines[lines.length - 1]!.version < 1000) {
    lines.push(JSON.parse(await watcher.nextLine()) as Stamp & { missed: number });
  }
  await watcher.done();
  let last = first.version;
  for (const line of lines) {
    t.true(line.version > last, 'versions never go backwards');
    t.is(line.missed, line.version - last - 1);
    t.is(line.storeId, segment.storeId);
    last = line.version;
  }
});

test('unlink and re-create: a re-open in either language sees the new store id', async (t) => {
  const name = segmentFor(t, 'ver-recreate');
  const first = SharedStore.create(name, { initial: { n: 0 }, capacity: 1024 });
  const oldId = first.storeId;
  first.close();
  const before = await python<Stamp>(t, ['snapshot', name]);
  t.is(before.storeId, oldId);
  SharedStore.unlink(name);
  const recreated = await python<Stamp>(t, ['create-at', name, '1']);
  t.not(recreated.storeId, oldId);
  const reopened = SharedStore.open(name);
  t.teardown(() => reopened.close());
  t.is(reopened.storeId, recreated.storeId);
  const versions = await firstValueFrom(reopened.changes$.pipe(take(1), toArray()));
  t.is(versions[0]!.storeId, recreated.storeId);
});
