/**
 * The options of opening and creating, as Python takes them: create() and openOrCreate()
 * refuse an option they do not take (readOnly, trust, reopen, a misspelling) with
 * E_INVALID instead of dropping it; `trust: null` means "not given" (the environment
 * variable SHMSTATE_TRUST), as Python's trust=None.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

for (const call of ['create', 'openOrCreate'] as const) {
  test(`${call} refuses an option it does not take`, (t) => {
    const name = segmentFor(t, `options-${call}`);
    const existing = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
    t.teardown(() => existing.close());
    const other = segmentFor(t, `options-${call}-new`);
    for (const extra of [
      { readOnly: true },
      { trust: 'group' },
      { reopen: true },
      { capcity: 64 },
    ]) {
      for (const target of [name, other]) {
        const err = t.throws(
          () => SharedStore[call](target, { initial: { n: 1 }, ...extra } as never),
          { instanceOf: ShmStateError },
        );
        t.is(err?.code, 'E_INVALID');
        t.true(
          err?.message.includes(`Option "${Object.keys(extra)[0]}" is not an option of ${call}`),
        );
      }
    }
    // Nothing was created, and options given as undefined are no options.
    t.throws(() => SharedStore.open(other), { instanceOf: ShmStateError });
    const store = SharedStore[call](other, { initial: { n: 1 }, readOnly: undefined } as never);
    t.false(store.readOnly);
    store.close();
    SharedStore.unlink(other);
  });
}

test('trust null is the environment variable, as no trust given', (t) => {
  const name = segmentFor(t, 'options-trust-null');
  const writer = SharedStore.create(name, { initial: { n: 0 }, capacity: 256 });
  t.teardown(() => writer.close());
  const previous = process.env['SHMSTATE_TRUST'];
  t.teardown(() => {
    if (previous === undefined) delete process.env['SHMSTATE_TRUST'];
    else process.env['SHMSTATE_TRUST'] = previous;
  });
  delete process.env['SHMSTATE_TRUST'];
  const reader = SharedStore.open<{ n: number }>(name, { trust: null, reopen: true });
  t.deepEqual(reader.get(), { n: 0 });
  reader.close();
  // The environment variable is read: a malformed one is refused, as with no trust given.
  process.env['SHMSTATE_TRUST'] = 'everyone';
  for (const options of [{ trust: null }, {}]) {
    const err = t.throws(() => SharedStore.open(name, options), { instanceOf: ShmStateError });
    t.is(err?.code, 'E_INVALID');
    t.true(err?.message.includes('SHMSTATE_TRUST'));
  }
});
