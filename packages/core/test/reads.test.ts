/**
 * Reads: one decoded, deep-frozen state per version, shared by every reader of the
 * store, and fresh as soon as any process commits.
 */
import test from 'ava';
import { Segment } from '@shmstate/native';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

interface State {
  pose: { x: number; y: number };
  log: string[];
}
const initial: State = { pose: { x: 0, y: 0 }, log: ['start'] };

test('snapshot() returns the same object while the version is unchanged', (t) => {
  const store = SharedStore.create<State>(segmentFor(t, 'cache'), { initial, capacity: 1024 });
  t.teardown(() => store.close());
  const first = store.snapshot();
  t.is(store.snapshot(), first);
  t.is(store.get(), first.state);
});

test('a commit from another handle gives a new snapshot with the new version and state', (t) => {
  const name = segmentFor(t, 'fresh');
  const store = SharedStore.create<State>(name, { initial, capacity: 1024 });
  t.teardown(() => store.close());
  const other = SharedStore.open<State>(name);
  t.teardown(() => other.close());
  const before = store.snapshot();
  const version = other.set({ pose: { x: 1, y: 2 }, log: [] });
  const after = store.snapshot();
  t.not(after, before);
  t.deepEqual(after, {
    version,
    state: { pose: { x: 1, y: 2 }, log: [] },
    storeId: store.storeId,
  });
  t.is(store.version, version);
});

test('every object and array of a decoded state is frozen, nested deeper than any stack', (t) => {
  // Another writer may commit JSON nested far deeper than the dialect's cap: freezing
  // it must neither throw nor miss a level.
  const name = segmentFor(t, 'frozen-deep');
  const store = SharedStore.create<unknown>(name, { initial: {}, capacity: 1 << 20 });
  t.teardown(() => store.close());
  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  const levels = 20000;
  raw.commit(Buffer.from(`${'[{"a":'.repeat(levels)}[1,{"b":[]}]${'}]'.repeat(levels)}`));
  let node: unknown = store.get();
  let frozenLevels = 0;
  while (Array.isArray(node) && node.length === 1) {
    const inner = node[0] as { a: unknown };
    if (Object.isFrozen(node) && Object.isFrozen(inner)) frozenLevels += 1;
    node = inner.a;
  }
  t.is(frozenLevels, levels);
  const leaf = node as [number, { b: unknown[] }];
  t.true(Object.isFrozen(leaf) && Object.isFrozen(leaf[1]) && Object.isFrozen(leaf[1].b));
});

test('states are deep-frozen: mutating them throws in strict mode', (t) => {
  const store = SharedStore.create<State>(segmentFor(t, 'frozen'), { initial, capacity: 1024 });
  t.teardown(() => store.close());
  const state = store.get();
  t.true(Object.isFrozen(state) && Object.isFrozen(state.pose) && Object.isFrozen(state.log));
  t.throws(
    () => {
      // @ts-expect-error: states are typed deep-readonly, as they are frozen
      state.pose.x = 5;
    },
    { instanceOf: TypeError },
  );
  t.throws(
    () => {
      // @ts-expect-error: ... arrays included
      state.log.push('more');
    },
    { instanceOf: TypeError },
  );
  t.throws(
    () => {
      (store.snapshot() as { version: number }).version = 0;
    },
    { instanceOf: TypeError },
  );
  t.deepEqual(store.get(), initial);
});

test('set() returns the committed version and the next read sees the state', (t) => {
  const store = SharedStore.create<State>(segmentFor(t, 'set'), { initial, capacity: 1024 });
  t.teardown(() => store.close());
  t.is(store.set({ pose: { x: 3, y: 4 }, log: ['a'] }), 2);
  t.is(store.set({ pose: { x: 5, y: 6 }, log: ['b'] }), 3);
  t.deepEqual(store.snapshot(), {
    version: 3,
    state: { pose: { x: 5, y: 6 }, log: ['b'] },
    storeId: store.storeId,
  });
});

test('the caller keeps ownership of the object it set: it is neither frozen nor kept', (t) => {
  const store = SharedStore.create<State>(segmentFor(t, 'owned'), { initial, capacity: 1024 });
  t.teardown(() => store.close());
  const mine: State = { pose: { x: 1, y: 1 }, log: [] };
  store.set(mine);
  t.false(Object.isFrozen(mine));
  mine.pose.x = 99;
  t.is(store.get().pose.x, 1);
});

// Another process may be buggy: bytes committed outside the dialect are untrusted.
const corruptPayloads: Array<[string, Uint8Array]> = [
  ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x7d])],
  ['a surrogate encoded in UTF-8', Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
  ['UTF-8 that is not JSON', Buffer.from('{"a":')],
  ['an empty payload', new Uint8Array(0)],
];
for (const [what, bytes] of corruptPayloads) {
  test(`get() of ${what} committed by another writer is E_CORRUPT`, (t) => {
    const name = segmentFor(t, 'corrupt');
    const store = SharedStore.create<State>(name, { initial, capacity: 1024 });
    t.teardown(() => store.close());
    const raw = Segment.open(name);
    t.teardown(() => raw.close());
    raw.commit(bytes);
    const error = t.throws(() => store.get(), { instanceOf: ShmStateError });
    t.is(error?.code, 'E_CORRUPT');
  });
}
