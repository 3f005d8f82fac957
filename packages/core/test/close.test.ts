/**
 * close(): completes every stream of the store, stops its watcher, closes the segment;
 * every later call throws E_CLOSED and closing again does nothing.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { trackVersions } from './helpers/track-versions';
import { segmentFor } from '../../../test/helpers';

function openStore(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const store = SharedStore.create<{ a: number }>(segmentFor(t, prefix), {
    initial: { a: 1 },
    capacity: 128,
  });
  t.teardown(() => store.close());
  return store;
}

test('close() completes state$, changes$ and selections', (t) => {
  const store = openStore(t, 'close-completes');
  const completed: string[] = [];
  store.state$.subscribe({ complete: () => completed.push('state$') });
  store.changes$.subscribe({ complete: () => completed.push('changes$') });
  store.select((s) => s.a).subscribe({ complete: () => completed.push('select') });
  store.close();
  t.deepEqual(completed.sort(), ['changes$', 'select', 'state$']);
});

test('close() twice is fine', (t) => {
  const store = openStore(t, 'close-twice');
  store.close();
  t.notThrows(() => store.close());
  t.true(store.closed);
});

test('every call after close() throws E_CLOSED', (t) => {
  const store = openStore(t, 'closed-calls');
  store.close();
  const calls: Record<string, () => unknown> = {
    get: () => store.get(),
    snapshot: () => store.snapshot(),
    version: () => store.version,
    set: () => store.set({ a: 2 }),
    update: () => store.update((d) => void (d.a = 3)),
    select: () => store.select((s) => s.a),
  };
  for (const [call, run] of Object.entries(calls)) {
    const error = t.throws(run, { instanceOf: ShmStateError }, call);
    t.is(error.code, 'E_CLOSED', call);
  }
});

test('subscribing to a closed store errors with E_CLOSED', (t) => {
  const store = openStore(t, 'closed-subscribe');
  const state$ = store.state$;
  store.close();
  let error: unknown;
  state$.subscribe({ error: (err: unknown) => (error = err) });
  t.true(error instanceof ShmStateError && error.code === 'E_CLOSED');
});

test('a commit by another handle after close() reaches no subscriber of the closed store', async (t) => {
  const store = openStore(t, 'closed-silent');
  const versions: number[] = [];
  store.changes$.subscribe(({ version }) => versions.push(version));
  store.close();
  const other = SharedStore.open<{ a: number }>(store.name);
  t.teardown(() => other.close());
  const reached = trackVersions(t, other);
  // Once the other handle's subscriber has seen the commit, the notification path has run.
  await reached(other.set({ a: 2 }));
  t.deepEqual(versions, [1]);
});
