/**
 * The streams are plain RxJS Observables: from(), firstValueFrom() and the
 * Symbol.observable interop protocol work on them, several subscribers share one state
 * object per version, and the built package loads from both require and import.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { firstValueFrom, from, observable, take, toArray } from 'rxjs';
import { SharedStore } from '../src';
import { trackVersions } from './helpers/track-versions';
import { segmentFor } from '../../../test/helpers';

function counterStore(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const store = SharedStore.create<{ n: number }>(segmentFor(t, prefix), {
    initial: { n: 0 },
    capacity: 128,
  });
  t.teardown(() => store.close());
  return store;
}

test('firstValueFrom(state$) resolves with the current state', async (t) => {
  const store = counterStore(t, 'first-value');
  store.set({ n: 5 });
  t.deepEqual(await firstValueFrom(store.state$), { n: 5 });
});

test('from(state$) and the Symbol.observable protocol yield the same stream', async (t) => {
  const store = counterStore(t, 'interop');
  t.deepEqual(await firstValueFrom(from(store.state$)), { n: 0 });
  // rxjs keys the protocol by Symbol.observable where it exists, '@@observable' otherwise.
  const protocol = (store.state$ as unknown as Record<string | symbol, unknown>)[observable];
  t.is(typeof protocol, 'function');
  const interop = (protocol as () => typeof store.state$).call(store.state$);
  t.deepEqual(await firstValueFrom(from(interop)), { n: 0 });
});

test('state$ replays the current state to each new subscriber, then newer states', async (t) => {
  const store = counterStore(t, 'replay');
  const version = store.set({ n: 1 });
  const next = firstValueFrom(store.state$.pipe(take(2), toArray()));
  store.set({ n: 2 });
  t.deepEqual(await next, [{ n: 1 }, { n: 2 }]);
  t.is(store.version, version + 1);
});

test('all subscribers of a version receive the same frozen state object', async (t) => {
  const store = counterStore(t, 'shared-object');
  const a: object[] = [];
  const b: object[] = [];
  const subA = store.state$.subscribe((s) => a.push(s));
  const subB = store.state$.subscribe((s) => b.push(s));
  t.teardown(() => {
    subA.unsubscribe();
    subB.unsubscribe();
  });
  const reached = trackVersions(t, store);
  await reached(store.set({ n: 1 }));
  t.is(a.at(-1), b.at(-1));
  t.is(a.at(-1), store.get());
});

const packageRoot = join(__dirname, '..');

const run = promisify(execFile);

test('the built package loads with require()', async (t) => {
  const script = "console.log(typeof require('@shmstate/core').SharedStore)";
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: packageRoot });
  t.is(stdout.trim(), 'function');
});

test('the built package loads with import', async (t) => {
  const script =
    "import { SharedStore, ShmStateError } from '@shmstate/core'; console.log(typeof SharedStore, typeof ShmStateError)";
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: packageRoot,
  });
  t.is(stdout.trim(), 'function function');
});
