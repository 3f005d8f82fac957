/**
 * Retirement: `SharedStore.unlink` ends every stream of the store with E_RETIRED, after the
 * last state; writes to the retired store throw E_RETIRED while `get()` keeps its last
 * state; a store opened with `reopen` carries on with the store created under the name
 * (`replaced` true, `missed` its versions before); a file removed by hand is found at the
 * next commit. Both notification mechanisms (doorbell and thread).
 */
import { unlinkSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { firstValueFrom, type Observable, toArray, take } from 'rxjs';
import { type Change, SharedStore, ShmStateError } from '../src';
import { segmentFor, segmentPath } from '../../../test/helpers';

/** Every emission of `stream` until it errors: the values and the error. */
function untilError<V>(stream: Observable<V>): Promise<{ values: V[]; error: unknown }> {
  return new Promise((resolve) => {
    const values: V[] = [];
    stream.subscribe({
      next: (value) => values.push(value),
      error: (error: unknown) => resolve({ values, error }),
      complete: () => resolve({ values, error: undefined }),
    });
  });
}

function isRetired(t: ExecutionContext, error: unknown): void {
  t.true(error instanceof ShmStateError, String(error));
  t.is((error as ShmStateError).code, 'E_RETIRED');
}

for (const mechanism of ['doorbell', 'thread'] as const) {
  test.serial(`unlink ends state$ and everyChange$ with E_RETIRED (${mechanism})`, async (t) => {
    const previous = process.env['SHMSTATE_NOTIFY'];
    process.env['SHMSTATE_NOTIFY'] = mechanism;
    t.teardown(() => {
      if (previous === undefined) delete process.env['SHMSTATE_NOTIFY'];
      else process.env['SHMSTATE_NOTIFY'] = previous;
    });
    const name = segmentFor(t, `retire-${mechanism}`);
    const writer = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
    const reader = SharedStore.open<{ n: number }>(name);
    t.teardown(() => {
      writer.close();
      reader.close();
    });
    const states = untilError(reader.state$);
    const every = untilError(reader.everyChange$);
    writer.set({ n: 1 });
    SharedStore.unlink(name);
    const ended = await states;
    isRetired(t, ended.error);
    t.deepEqual(ended.values.at(-1), { n: 1 }, 'the last state arrives before the error');
    const all = await every;
    isRetired(t, all.error);
    t.deepEqual(
      all.values.map((change) => change.version),
      [1, 2],
    );
  });
}

test('a retired store refuses writes and keeps its last state readable', (t) => {
  const name = segmentFor(t, 'retire-writes');
  const store = SharedStore.create<{ n: number }>(name, { initial: { n: 1 }, capacity: 256 });
  t.teardown(() => store.close());
  SharedStore.unlink(name);
  t.is(t.throws(() => store.set({ n: 2 }), { instanceOf: ShmStateError })?.code, 'E_RETIRED');
  t.is(
    t.throws(() => store.update((draft) => void (draft.n = 3)), { instanceOf: ShmStateError })
      ?.code,
    'E_RETIRED',
  );
  t.deepEqual(store.get(), { n: 1 });
  t.is(store.version, 1);
  t.is(store.stats().flags & 4, 4, 'header flag bit 2');
});

test('subscribing to a retired store emits its last state, then E_RETIRED', async (t) => {
  const name = segmentFor(t, 'retire-late');
  const store = SharedStore.create(name, { initial: { n: 1 }, capacity: 256 });
  t.teardown(() => store.close());
  SharedStore.unlink(name);
  const { values, error } = await untilError(store.state$);
  t.deepEqual(values, [{ n: 1 }]);
  isRetired(t, error);
});

test('with reopen, streams carry on with the store created under the name', async (t) => {
  const name = segmentFor(t, 'retire-reopen');
  const first = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  const follower = SharedStore.open<{ n: number }>(name, { reopen: true });
  t.teardown(() => follower.close());
  const changes = firstValueFrom(follower.changes$.pipe(take(3), toArray()));
  const every = firstValueFrom(follower.everyChange$.pipe(take(3), toArray()));
  first.set({ n: 1 });
  await firstValueFrom(follower.changes$.pipe(take(1)));
  SharedStore.unlink(name);
  first.close();
  const second = SharedStore.create(name, { initial: { n: 10 }, capacity: 256 });
  t.teardown(() => second.close());
  second.set({ n: 11 });
  second.set({ n: 12 });
  for (const seen of [await changes, await every]) {
    const last = seen[2] as Change<{ n: number }>;
    t.is(seen[0]!.replaced, false);
    t.true(last.replaced);
    t.is(last.storeId, second.storeId);
    t.not(last.storeId, seen[0]!.storeId);
    t.is(last.patches, null);
    t.is(last.missed, last.version - 1);
    t.true(last.state.n >= 10);
  }
  await follower.waitFor(3);
  t.deepEqual(follower.get(), { n: 12 });
  t.is(follower.storeId, second.storeId);
  follower.set({ n: 13 });
  t.deepEqual(second.get(), { n: 13 });
});

test('with reopen, no store under the name within reopenTimeout is E_TIMEOUT', async (t) => {
  const name = segmentFor(t, 'retire-noreplacement');
  const first = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  t.teardown(() => first.close());
  const follower = SharedStore.open(name, { reopen: true, reopenTimeout: 50 });
  t.teardown(() => follower.close());
  const ended = untilError(follower.state$);
  SharedStore.unlink(name);
  const { error } = await ended;
  t.true(error instanceof ShmStateError);
  t.is((error as ShmStateError).code, 'E_TIMEOUT');
});

test('a file removed by hand is found at the next commit, which ends the streams', async (t) => {
  const name = segmentFor(t, 'retire-hand');
  const writer = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  const reader = SharedStore.open(name);
  t.teardown(() => {
    writer.close();
    reader.close();
  });
  const ended = untilError(reader.state$);
  unlinkSync(segmentPath(name));
  t.is(t.throws(() => writer.set({ n: 1 }), { instanceOf: ShmStateError })?.code, 'E_RETIRED');
  isRetired(t, (await ended).error);
});

test('reopen options are checked', (t) => {
  const name = segmentFor(t, 'retire-options');
  const store = SharedStore.create(name, { initial: {}, capacity: 256 });
  t.teardown(() => store.close());
  for (const options of [{ reopen: 1 }, { reopen: true, reopenTimeout: -1 }, 'yes']) {
    const err = t.throws(() => SharedStore.open(name, options as never), {
      instanceOf: ShmStateError,
    });
    t.is(err?.code, 'E_INVALID');
  }
});

for (const readOnly of [false, true]) {
  test.serial(
    `a file removed by hand ends a thread watcher's streams with nobody committing (${readOnly ? 'read-only' : 'read-write'})`,
    async (t) => {
      const previous = process.env['SHMSTATE_NOTIFY'];
      process.env['SHMSTATE_NOTIFY'] = 'thread';
      t.teardown(() => {
        if (previous === undefined) delete process.env['SHMSTATE_NOTIFY'];
        else process.env['SHMSTATE_NOTIFY'] = previous;
      });
      const name = segmentFor(t, `retire-hand-thread-${readOnly ? 'ro' : 'rw'}`);
      const writer = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
      const reader = SharedStore.open(name, { readOnly });
      t.teardown(() => {
        writer.close();
        reader.close();
      });
      const ended = untilError(reader.state$);
      unlinkSync(segmentPath(name));
      // No commit follows: the watcher's own wait slices find the name gone.
      const { values, error } = await ended;
      isRetired(t, error);
      t.deepEqual(values, [{ n: 0 }]);
    },
  );
}

test('with reopen, a store that no stream follows swaps only when a stream subscribes', async (t) => {
  const name = segmentFor(t, 'retire-reopen-idle');
  const first = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  const follower = SharedStore.open<{ n: number }>(name, { reopen: true });
  t.teardown(() => follower.close());
  SharedStore.unlink(name);
  first.close();
  const second = SharedStore.create(name, { initial: { n: 10 }, capacity: 256 });
  t.teardown(() => second.close());
  // Nobody follows the store: it keeps the retired one.
  t.is(t.throws(() => follower.set({ n: 1 }), { instanceOf: ShmStateError })?.code, 'E_RETIRED');
  t.deepEqual(follower.get(), { n: 0 });
  t.not(follower.storeId, second.storeId);
  // A stream's first wake-up meets E_RETIRED and makes the swap.
  const changes = await firstValueFrom(follower.changes$.pipe(take(2), toArray()));
  t.deepEqual(
    changes.map((change) => [change.state.n, change.replaced]),
    [
      [0, false],
      [10, true],
    ],
  );
  t.is(follower.storeId, second.storeId);
  follower.set({ n: 11 });
  t.deepEqual(second.get(), { n: 11 });
});

test('reopenTimeout Infinity waits without a limit', async (t) => {
  const name = segmentFor(t, 'retire-reopen-infinity');
  const first = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  const follower = SharedStore.open<{ n: number }>(name, {
    reopen: true,
    reopenTimeout: Infinity,
  });
  t.teardown(() => follower.close());
  const changes = firstValueFrom(follower.changes$.pipe(take(2), toArray()));
  SharedStore.unlink(name);
  first.close();
  const second = SharedStore.create(name, { initial: { n: 10 }, capacity: 256 });
  t.teardown(() => second.close());
  const [, replaced] = await changes;
  t.true(replaced!.replaced);
  t.deepEqual(replaced!.state, { n: 10 });
});
