/**
 * The store id: 64 random bits drawn when a store's segment is created, carried by the
 * store, its snapshots, its changes and its stats, the same for every handle on it and
 * different for a store unlinked and created again under the same name.
 */
import test from 'ava';
import { firstValueFrom } from 'rxjs';
import { Segment } from '@shmstate/native';
import { SharedStore } from '../src';
import { segmentFor } from '../../../test/helpers';

test('storeId is 16 lowercase hex digits', (t) => {
  const store = SharedStore.create(segmentFor(t, 'store-id'), { initial: {}, capacity: 64 });
  t.teardown(() => store.close());
  t.regex(store.storeId, /^[0-9a-f]{16}$/);
});

test('snapshot(), changes$, stats() and the segment carry the same store id', async (t) => {
  const name = segmentFor(t, 'store-id-everywhere');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 64 });
  t.teardown(() => store.close());
  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  const { storeId } = store;
  t.is(store.snapshot().storeId, storeId);
  t.is((await firstValueFrom(store.changes$)).storeId, storeId);
  t.is(store.stats().storeId, storeId);
  t.is(raw.storeId, storeId);
});

test('stats() report the flags word', (t) => {
  const store = SharedStore.create(segmentFor(t, 'store-id-flags'), { initial: 0, capacity: 64 });
  t.teardown(() => store.close());
  t.is(store.stats().flags, 0, 'no flag is assigned yet');
});

test('every handle on a store sees the same store id', (t) => {
  const name = segmentFor(t, 'store-id-handles');
  const store = SharedStore.create(name, { initial: 0, capacity: 64 });
  t.teardown(() => store.close());
  const opened = SharedStore.open(name);
  t.teardown(() => opened.close());
  t.is(opened.storeId, store.storeId);
  t.is(opened.snapshot().storeId, store.storeId);
});

test('a store unlinked and created again has another store id, which a re-open sees', (t) => {
  const name = segmentFor(t, 'store-id-recreate');
  const before = SharedStore.create(name, { initial: { gen: 1 }, capacity: 64 });
  t.teardown(() => before.close());
  SharedStore.unlink(name);
  const after = SharedStore.create(name, { initial: { gen: 2 }, capacity: 64 });
  t.teardown(() => after.close());
  const reopened = SharedStore.open(name);
  t.teardown(() => reopened.close());
  t.not(after.storeId, before.storeId);
  t.is(reopened.storeId, after.storeId);
  t.deepEqual(reopened.snapshot(), { version: 1, state: { gen: 2 }, storeId: after.storeId });
  t.is(before.snapshot().storeId, before.storeId, 'the old handle keeps its own store');
});

test('storeId stays readable after close(), like name and capacity', (t) => {
  const store = SharedStore.create(segmentFor(t, 'store-id-closed'), { initial: 0, capacity: 64 });
  const id = store.storeId;
  store.close();
  t.is(store.storeId, id);
});
