/**
 * SharedStore.openWhenReady(name, { timeout }): a promise of the store once another
 * process has created it. It resolves with the creator's state, keeps the event loop
 * running while it waits, rejects with E_TIMEOUT when nothing appears in time, and refuses
 * bad arguments with E_INVALID or E_NAME before waiting.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

test('resolves with the state of a store created while it waits', async (t) => {
  const name = segmentFor(t, 'ready-late');
  const waiting = SharedStore.openWhenReady<{ n: number }>(name, { timeout: 5000 });
  let ticks = 0;
  const ticker = setInterval(() => (ticks += 1), 10);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const publisher = SharedStore.create<{ n: number }>(name, { initial: { n: 7 }, capacity: 256 });
  const store = await waiting;
  clearInterval(ticker);
  t.teardown(() => {
    store.close();
    publisher.close();
  });
  t.deepEqual(store.get(), { n: 7 });
  t.true(ticks >= 10, `the event loop ran while waiting (${ticks} ticks)`);
});

test('resolves at once when the store exists', async (t) => {
  const name = segmentFor(t, 'ready-now');
  const publisher = SharedStore.create(name, { initial: { a: 1 }, capacity: 256 });
  const store = await SharedStore.openWhenReady(name, { timeout: 0 });
  t.teardown(() => {
    store.close();
    publisher.close();
  });
  t.deepEqual(store.get(), { a: 1 });
});

test('rejects with E_TIMEOUT after the timeout when nothing appears', async (t) => {
  const name = segmentFor(t, 'ready-never');
  const start = Date.now();
  const err = await t.throwsAsync(SharedStore.openWhenReady(name, { timeout: 200 }), {
    instanceOf: ShmStateError,
  });
  t.is(err?.code, 'E_TIMEOUT');
  t.regex(err?.message ?? '', new RegExp(`no segment "${name}" appeared within 200 ms`));
  t.true(Date.now() - start >= 190);
});

test('refuses bad arguments before waiting', async (t) => {
  for (const options of [{ timeout: -1 }, { timeout: Number.NaN }, { timeout: '5' }, 5]) {
    const err = await t.throwsAsync(
      SharedStore.openWhenReady('fine', options as unknown as { timeout: number }),
      { instanceOf: ShmStateError },
    );
    t.is(err?.code, 'E_INVALID', JSON.stringify(options));
  }
  const err = await t.throwsAsync(SharedStore.openWhenReady('bad/name', { timeout: 10_000 }));
  t.is((err as ShmStateError).code, 'E_NAME');
});
