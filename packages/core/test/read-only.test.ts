/**
 * A store opened read-only (docs/node.md, "Sharing between users"): it reads and its
 * streams emit every newer state, while set(), update() and patch() are E_PERM and leave
 * the store as it was. Users who may only read a store get such a handle without asking
 * (test/reliability/trusted-sharing.test.ts, with real uids).
 */
import test from 'ava';
import { firstValueFrom, filter } from 'rxjs';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

interface Counter {
  n: number;
}

test('a read-only store reads and streams; its writes are E_PERM and change nothing', async (t) => {
  const name = segmentFor(t, 'read-only');
  const writer = SharedStore.create<Counter>(name, { initial: { n: 1 }, capacity: 1024 });
  t.teardown(() => writer.close());
  const reader = SharedStore.open<Counter>(name, { readOnly: true });
  t.teardown(() => reader.close());
  t.true(reader.readOnly);
  t.false(writer.readOnly);
  t.deepEqual(reader.get(), { n: 1 });

  for (const write of [
    () => reader.set({ n: 2 }),
    () =>
      reader.update((draft) => {
        draft.n += 1;
      }),
    () => reader.patch([{ op: 'replace', path: '/n', value: 2 }]),
  ]) {
    const error = t.throws(write, { instanceOf: ShmStateError });
    t.is(error?.code, 'E_PERM');
    t.regex(error?.message ?? '', /read-only/);
  }
  t.is(writer.version, 1);

  const two = firstValueFrom(reader.state$.pipe(filter((state) => state.n === 2)));
  writer.set({ n: 2 });
  t.deepEqual(await two, { n: 2 });
});
