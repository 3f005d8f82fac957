/**
 * Creating, opening and removing stores: the codes for a taken or absent name, and
 * argument mistakes reported as E_INVALID before anything is created.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

/** What a bad argument throws: a ShmStateError with code E_INVALID and this message. */
const invalid = (message: string) => ({
  instanceOf: ShmStateError,
  code: 'E_INVALID',
  message: `${message} (E_INVALID)`,
});

test('create() publishes the initial state as version 1', (t) => {
  const store = SharedStore.create(segmentFor(t, 'create'), { initial: { tick: 0 } });
  t.teardown(() => store.close());
  t.is(store.version, 1);
  t.deepEqual(store.snapshot(), { version: 1, state: { tick: 0 }, storeId: store.storeId });
});

test('create() uses a capacity of 1 MiB unless told otherwise', (t) => {
  const store = SharedStore.create(segmentFor(t, 'capacity'), { initial: null });
  t.teardown(() => store.close());
  t.is(store.capacity, 1 << 20);
});

test('create() of a taken name throws E_EXISTS', (t) => {
  const name = segmentFor(t, 'exists');
  const store = SharedStore.create(name, { initial: 1, capacity: 64 });
  t.teardown(() => store.close());
  const error = t.throws(() => SharedStore.create(name, { initial: 2, capacity: 64 }), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_EXISTS');
});

test('open() sees the state another handle committed', (t) => {
  const name = segmentFor(t, 'open');
  const writer = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  t.teardown(() => writer.close());
  const version = writer.set({ n: 7 });
  const reader = SharedStore.open<{ n: number }>(name);
  t.teardown(() => reader.close());
  t.is(reader.name, name);
  t.deepEqual(reader.snapshot(), { version, state: { n: 7 }, storeId: writer.storeId });
});

test('open() of an absent name throws E_NOENT', (t) => {
  const error = t.throws(() => SharedStore.open(segmentFor(t, 'absent')), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_NOENT');
});

test('openOrCreate() creates an absent store, then opens it without touching its state', (t) => {
  const name = segmentFor(t, 'open-or-create');
  const first = SharedStore.openOrCreate(name, { initial: { from: 'first' }, capacity: 256 });
  t.teardown(() => first.close());
  const second = SharedStore.openOrCreate(name, { initial: { from: 'second' }, capacity: 256 });
  t.teardown(() => second.close());
  t.deepEqual(second.snapshot(), {
    version: 1,
    state: { from: 'first' },
    storeId: first.storeId,
  });
});

test('unlink() removes the name; an open handle keeps reading, its writes are E_RETIRED', (t) => {
  const name = segmentFor(t, 'unlink');
  const store = SharedStore.create(name, { initial: 0, capacity: 64 });
  t.teardown(() => store.close());
  SharedStore.unlink(name);
  t.is(t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError }).code, 'E_NOENT');
  t.is(t.throws(() => store.set(1), { instanceOf: ShmStateError }).code, 'E_RETIRED');
  t.is(store.get(), 0);
});

test('unlink() of an absent name throws E_NOENT', (t) => {
  const error = t.throws(() => SharedStore.unlink(segmentFor(t, 'unlink-absent')), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_NOENT');
});

test('an invalid name throws E_NAME', (t) => {
  const error = t.throws(() => SharedStore.create('has/slash', { initial: 0 }), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_NAME');
});

test('argument mistakes are E_INVALID, thrown before a segment is created', (t) => {
  const name = segmentFor(t, 'arguments');
  const create = (options: unknown) => () =>
    SharedStore.create(name, options as Parameters<typeof SharedStore.create>[1]);
  t.throws(
    () => SharedStore.create(42 as unknown as string, { initial: 0 }),
    invalid('Argument "name" must be a string, got 42'),
  );
  t.throws(create(undefined), invalid('Argument "options" must be an object, got undefined'));
  t.throws(create({}), invalid('Option "initial" must be a JSON value, got undefined'));
  t.throws(
    create({ initial: 0, capacity: 1.5 }),
    invalid('Option "capacity" must be an integer, got 1.5'),
  );
  t.throws(
    create({ initial: 0, capacity: 63 }),
    invalid('capacity is 63; it must be in [64, 1073741824]'),
  );
  t.throws(
    create({ initial: 'x'.repeat(100), capacity: 10 }),
    invalid('capacity is 10; it must be in [64, 1073741824]'),
  );
  t.throws(
    create({ initial: 0, capacity: 2 ** 31 }),
    invalid('capacity is 2147483648; it must be in [64, 1073741824]'),
  );
  t.throws(
    create({ initial: 0, mode: '600' }),
    invalid('Option "mode" must be an integer, got "600"'),
  );
  t.throws(
    create({ initial: 0, mode: 0o1777 }),
    invalid('mode is 01777; only permission bits 0777 are allowed'),
  );
  t.throws(
    create({ initial: 0, mode: 0o606 }),
    invalid('mode is 0606; world-writable segments are refused at open'),
  );
  t.is(t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError }).code, 'E_NOENT');
});

test('open(), openOrCreate() and unlink() refuse a name that is not a string', (t) => {
  const message = 'Argument "name" must be a string, got undefined';
  t.throws(() => SharedStore.open(undefined as unknown as string), invalid(message));
  t.throws(() => SharedStore.unlink(undefined as unknown as string), invalid(message));
  t.throws(
    () => SharedStore.openOrCreate(undefined as unknown as string, { initial: 0 }),
    invalid(message),
  );
});

test('create() gives the segment exactly the requested mode', async (t) => {
  const { statSync } = await import('node:fs');
  const name = segmentFor(t, 'mode');
  const store = SharedStore.create(name, { initial: 0, capacity: 64, mode: 0o640 });
  t.teardown(() => store.close());
  t.is(statSync(`/dev/shm/shmstate.${name}`).mode & 0o777, 0o640);
});

test('stats() reports the segment counters; setLockTimeout() checks its argument', (t) => {
  const store = SharedStore.create(segmentFor(t, 'stats'), { initial: 0, capacity: 64 });
  t.teardown(() => store.close());
  store.set(1);
  const stats = store.stats();
  t.is(stats.version, 2);
  t.is(stats.commits, 2);
  t.is(stats.capacity, 64);
  t.notThrows(() => store.setLockTimeout(100));
  t.throws(() => store.setLockTimeout(-1), invalid('ms is -1; it must be in [0, 4294967295]'));
});
