/**
 * Where a store's versions start and how they may jump: a store created at a given
 * version (a mirror of another store starts at that store's version), and a raw commit at
 * a given version, whose jump subscribers count as missed versions.
 */
import test from 'ava';
import { Segment } from '@shmstate/native';
import { SharedStore, ShmStateError, type Change } from '../src';
import { trackVersions } from './helpers/track-versions';
import { segmentFor } from '../../../test/helpers';

test('create() with a version publishes the initial state as that version', (t) => {
  const store = SharedStore.create(segmentFor(t, 'create-at'), {
    initial: { tick: 0 },
    capacity: 256,
    version: 1000,
  });
  t.teardown(() => store.close());
  t.is(store.version, 1000);
  t.deepEqual(store.snapshot(), { version: 1000, state: { tick: 0 }, storeId: store.storeId });
});

test('the first commit after creating at version N is N + 1', (t) => {
  const store = SharedStore.create<{ tick: number }>(segmentFor(t, 'create-at-next'), {
    initial: { tick: 0 },
    capacity: 256,
    version: 41,
  });
  t.teardown(() => store.close());
  t.is(store.set({ tick: 1 }), 42);
  t.is(
    store.update((draft) => void (draft.tick += 1)),
    43,
  );
});

test('openOrCreate() starts a store it creates at the given version', (t) => {
  const store = SharedStore.openOrCreate(segmentFor(t, 'open-or-create-at'), {
    initial: { from: 'first' },
    capacity: 256,
    version: 9,
  });
  t.teardown(() => store.close());
  t.is(store.version, 9);
});

test('openOrCreate() of an existing store ignores the version', (t) => {
  const name = segmentFor(t, 'open-or-create-at-existing');
  const first = SharedStore.create(name, { initial: { from: 'first' }, capacity: 256 });
  t.teardown(() => first.close());
  const second = SharedStore.openOrCreate(name, {
    initial: { from: 'second' },
    capacity: 256,
    version: 500,
  });
  t.teardown(() => second.close());
  t.deepEqual(second.snapshot(), { version: 1, state: { from: 'first' }, storeId: first.storeId });
});

test('a version of 0, a negative or an unsafe version is E_INVALID, before a segment is created', (t) => {
  const name = segmentFor(t, 'create-at-range');
  for (const [version, message] of [
    [0, 'initial version is 0; versions start at 1 or later'],
    [-1, 'version is -1; it must be in [1, 9007199254740991]'],
    [2 ** 53, 'version is 9007199254740992; it must be in [1, 9007199254740991]'],
  ] as const) {
    const expected = {
      instanceOf: ShmStateError,
      code: 'E_INVALID',
      message: `${message} (E_INVALID)`,
    };
    t.throws(() => SharedStore.create(name, { initial: 0, capacity: 64, version }), expected);
    t.throws(() => SharedStore.openOrCreate(name, { initial: 0, capacity: 64, version }), expected);
  }
  t.is(t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError }).code, 'E_NOENT');
});

test('a version that is not an integer is E_INVALID, before a segment is created', (t) => {
  const name = segmentFor(t, 'create-at-type');
  for (const [version, got] of [
    [1.5, '1.5'],
    [Number.NaN, 'NaN'],
    ['3', '"3"'],
  ] as unknown as Array<[number, string]>) {
    t.throws(() => SharedStore.create(name, { initial: 0, capacity: 64, version }), {
      instanceOf: ShmStateError,
      code: 'E_INVALID',
      message: `Option "version" must be an integer, got ${got} (E_INVALID)`,
    });
  }
  t.is(t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError }).code, 'E_NOENT');
});

test('a subscriber sees missed equal to the gap after a raw commit that jumps versions', async (t) => {
  const name = segmentFor(t, 'jump');
  const store = SharedStore.create<{ at: number }>(name, { initial: { at: 1 }, capacity: 256 });
  t.teardown(() => store.close());
  const received: Array<Change<{ at: number }>> = [];
  const subscription = store.changes$.subscribe((change) => received.push(change));
  t.teardown(() => subscription.unsubscribe());
  const reached = trackVersions(t, store);

  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  await reached(raw.commitText('{"at":10}', { version: 10 }));

  t.deepEqual(
    received.map(({ version, missed }) => ({ version, missed })),
    [
      { version: 1, missed: 0 },
      { version: 10, missed: 8 },
    ],
  );
  t.deepEqual(received.at(-1)?.state, { at: 10 });
});

test('a subscriber to a store created at version N starts at N with nothing missed', async (t) => {
  const store = SharedStore.create<{ n: number }>(segmentFor(t, 'create-at-subscribe'), {
    initial: { n: 0 },
    capacity: 256,
    version: 100,
  });
  t.teardown(() => store.close());
  const received: Array<Change<{ n: number }>> = [];
  const subscription = store.changes$.subscribe((change) => received.push(change));
  t.teardown(() => subscription.unsubscribe());
  const reached = trackVersions(t, store);
  await reached(store.set({ n: 1 }));
  t.deepEqual(
    received.map(({ version, missed }) => ({ version, missed })),
    [
      { version: 100, missed: 0 },
      { version: 101, missed: 0 },
    ],
  );
});
