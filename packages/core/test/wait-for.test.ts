/**
 * waitFor(version, { timeout }): a promise of the first snapshot at `version` or later,
 * fed by the store's change notification (never a blocking wait), like Python's
 * Store.wait_for. It resolves at once when the version is already there, rejects with
 * E_TIMEOUT, E_CLOSED or E_INVALID, and leaves no watcher behind once settled.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor, spawnNode } from '../../../test/helpers';

function counter(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const store = SharedStore.create<{ n: number }>(segmentFor(t, prefix), {
    initial: { n: 0 },
    capacity: 256,
  });
  t.teardown(() => store.close());
  return store;
}

/** This process's watchers on the store: doorbells registered plus threads waiting. */
function watchers(store: SharedStore<{ n: number }>): number {
  const { doorbells, waiters } = store.stats();
  return doorbells + waiters;
}

test('resolves at once with the current snapshot when the version is already there', async (t) => {
  const store = counter(t, 'wait-now');
  store.set({ n: 1 });
  const waiting = store.waitFor(2);
  t.is(watchers(store), 0, 'no watcher started');
  t.is(await waiting, store.snapshot());
  t.is(await store.waitFor(1), store.snapshot(), 'an older version resolves too');
});

test('resolves with the snapshot of the first version at or past the one awaited', async (t) => {
  const store = counter(t, 'wait-later');
  const waiting = store.waitFor(3);
  store.set({ n: 1 });
  setTimeout(() => {
    store.set({ n: 2 });
    store.set({ n: 3 });
  }, 20);
  const snapshot = await waiting;
  t.true(snapshot.version >= 3);
  t.deepEqual(snapshot, { version: 4, state: { n: 3 }, storeId: store.storeId });
  t.true(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.state));
  t.is(watchers(store), 0, 'the watcher stopped once the promise settled');
});

test('resolves on commits made by another process', async (t) => {
  const store = counter(t, 'wait-other');
  const target = store.version + 500;
  const waiting = store.waitFor(target, { timeout: 30_000 });
  const writer = spawnNode(t, 'commit-burst.mjs', [store.name, '500']);
  t.is(await writer.nextLine(), `done ${target}`);
  await writer.done();
  const snapshot = await waiting;
  t.is(snapshot.version, target);
  t.deepEqual(snapshot.state, { seq: 500 });
});

test('does not block the event loop while it waits', async (t) => {
  const store = counter(t, 'wait-loop');
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks += 1;
    if (ticks === 5) store.set({ n: ticks });
  }, 5);
  t.teardown(() => clearInterval(ticker));
  const { version } = await store.waitFor(2);
  clearInterval(ticker);
  t.is(version, 2);
  t.true(ticks >= 5, 'timers ran while waitFor was pending');
});

test('several waits share the one watcher and each resolves at its own version', async (t) => {
  const store = counter(t, 'wait-many');
  const targets = [4, 2, 3];
  const waits = targets.map((version) => store.waitFor(version));
  const changes = store.changes$.subscribe(() => undefined);
  t.teardown(() => changes.unsubscribe());
  t.is(watchers(store), 1);
  for (let n = 1; n <= 3; n += 1) {
    store.set({ n });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const versions = (await Promise.all(waits)).map((snapshot) => snapshot.version);
  // Notifications are conflated (latest wins): a wait may resolve with a later version
  // than its own when two commits land before the loop gets to the first.
  targets.forEach((target, i) => t.true(versions[i]! >= target, `${versions[i]} >= ${target}`));
  t.is(versions[0], 4);
  t.is(watchers(store), 1, 'the subscriber still has its watcher');
});

test('rejects with E_TIMEOUT when the version does not arrive in time', async (t) => {
  const store = counter(t, 'wait-timeout');
  const started = Date.now();
  const error = await t.throwsAsync(store.waitFor(5, { timeout: 50 }), {
    instanceOf: ShmStateError,
    code: 'E_TIMEOUT',
    message: 'version 5 did not arrive within 50 ms; the version is 1 (E_TIMEOUT)',
  });
  t.truthy(error);
  t.true(Date.now() - started >= 45);
  t.is(watchers(store), 0, 'nothing is left watching');
  store.set({ n: 1 });
  t.is(store.version, 2);
});

test('a timeout of 0 still resolves when the version is there', async (t) => {
  const store = counter(t, 'wait-zero');
  t.is((await store.waitFor(1, { timeout: 0 })).version, 1);
  await t.throwsAsync(store.waitFor(2, { timeout: 0 }), { code: 'E_TIMEOUT' });
});

test('rejects with E_CLOSED when the store is closed while it waits, or was already', async (t) => {
  const store = counter(t, 'wait-closed');
  const waiting = store.waitFor(10);
  setTimeout(() => store.close(), 10);
  await t.throwsAsync(waiting, {
    instanceOf: ShmStateError,
    code: 'E_CLOSED',
    message: `the store "${store.name}" was closed before version 10 arrived (E_CLOSED)`,
  });
  await t.throwsAsync(store.waitFor(1), { instanceOf: ShmStateError, code: 'E_CLOSED' });
});

test('bad arguments reject with E_INVALID', async (t) => {
  const store = counter(t, 'wait-arguments');
  const invalid = (message: string) => ({
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: `${message} (E_INVALID)`,
  });
  const waitFor = store.waitFor.bind(store) as (
    version: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  await t.throwsAsync(waitFor('2'), invalid('Argument "version" must be an integer, got "2"'));
  await t.throwsAsync(waitFor(1.5), invalid('Argument "version" must be an integer, got 1.5'));
  await t.throwsAsync(waitFor(0), invalid('version is 0; it must be in [1, 9007199254740991]'));
  await t.throwsAsync(
    waitFor(2 ** 53),
    invalid('version is 9007199254740992; it must be in [1, 9007199254740991]'),
  );
  await t.throwsAsync(
    waitFor(2, { timeout: -1 }),
    invalid('timeout is -1; it must be in [0, 2147483647]'),
  );
  await t.throwsAsync(
    waitFor(2, { timeout: '5' }),
    invalid('Option "timeout" must be a number, got "5"'),
  );
  await t.throwsAsync(
    waitFor(2, { timeout: Number.NaN }),
    invalid('timeout is NaN; it must be in [0, 2147483647]'),
  );
  await t.throwsAsync(waitFor(2, 100), invalid('Argument "options" must be an object, got 100'));
  t.is(watchers(store), 0);
});
