/**
 * Self-cleaning stores (`selfCleaning: true`): the last attached process to close removes
 * the store; after every attached process was killed, the next `open` of the name throws
 * E_NOENT and removes it, and `openOrCreate` makes a fresh one. A default store stays; a
 * live holder keeps a self-cleaning one; the option must be a boolean.
 */
import { existsSync } from 'node:fs';
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor, segmentPath, spawnNode } from '../../../test/helpers';

const SELF_CLEANING = 2; // the header's flags bit 1

test('the flag is in the header', (t) => {
  const name = segmentFor(t, 'clean-flag');
  const store = SharedStore.create(name, { initial: {}, capacity: 256, selfCleaning: true });
  t.teardown(() => store.close());
  t.is(store.stats().flags & SELF_CLEANING, SELF_CLEANING);
});

test('the last close removes the store', (t) => {
  const name = segmentFor(t, 'clean-last');
  const first = SharedStore.create(name, { initial: { a: 1 }, capacity: 256, selfCleaning: true });
  const second = SharedStore.open(name);
  first.close();
  t.true(existsSync(segmentPath(name)));
  t.deepEqual(second.get(), { a: 1 });
  second.close();
  t.false(existsSync(segmentPath(name)));
});

test('a default store stays after the last close', (t) => {
  const name = segmentFor(t, 'clean-default');
  SharedStore.create(name, { initial: {}, capacity: 256 }).close();
  t.true(existsSync(segmentPath(name)));
});

test('after its holder is killed, open is E_NOENT and removes it; openOrCreate makes a fresh one', async (t) => {
  const name = segmentFor(t, 'clean-killed');
  const creator = SharedStore.create(name, {
    initial: { n: 1 },
    capacity: 256,
    selfCleaning: true,
  });
  const holder = spawnNode(t, 'hold-open.mjs', [name]);
  t.is(await holder.nextLine(), 'ready {"n":1}');
  creator.close();
  t.true(existsSync(segmentPath(name)), 'the holder keeps it');
  holder.process.kill('SIGKILL');
  await holder.exited;
  t.true(existsSync(segmentPath(name)));
  const err = t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError });
  t.is(err?.code, 'E_NOENT');
  t.false(existsSync(segmentPath(name)));
  const fresh = SharedStore.openOrCreate(name, { initial: { fresh: true }, capacity: 256 });
  t.teardown(() => fresh.close());
  t.deepEqual(fresh.get(), { fresh: true });
});

test('selfCleaning must be a boolean', (t) => {
  const name = segmentFor(t, 'clean-bad');
  for (const selfCleaning of [1, 'yes', null]) {
    const err = t.throws(
      () =>
        SharedStore.create(name, {
          initial: {},
          capacity: 256,
          selfCleaning: selfCleaning as unknown as boolean,
        }),
      { instanceOf: ShmStateError },
    );
    t.is(err?.code, 'E_INVALID');
    t.regex(err?.message ?? '', /selfCleaning/);
  }
  t.false(existsSync(segmentPath(name)));
});
