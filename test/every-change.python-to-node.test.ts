/**
 * Every-change subscribers: a Python writer commits small patches at 5,000 versions/s for
 * 12 s. A Node everyChange$ subscriber receives every version exactly once, in order, with
 * missed 0; then its event loop is blocked for 1.5 s, longer than the ring covers (a ring
 * of 2,048 entries holds 0.41 s at this rate), and it receives one full state (the
 * checkpoint it resumes from) whose missed is exact, then every version again.
 * Last - first = (emissions - 1) + sum(missed).
 */
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { segmentFor, spawnPython } from './helpers';

const RATE = 5000;
const SECONDS = 12;
const RING_ENTRIES = 2048;
const BLOCK_AT_MS = 10_000;
const BLOCK_MS = 1500;

test(`everyChange$ at ${RATE} versions/s: every version once, then one full state with missed exact after a block`, async (t) => {
  const name = segmentFor(t, 'every');
  const store = SharedStore.create(name, {
    initial: { tick: 0, pad: 'p'.repeat(4000) },
    capacity: 1 << 16,
    ringEntries: RING_ENTRIES,
  });
  t.teardown(() => store.close());
  const reader = SharedStore.open<{ tick: number }>(name);
  t.teardown(() => reader.close());

  const emissions: Array<{ version: number; missed: number; full: boolean; tick: number }> = [];
  let blockedAt = -1;
  reader.everyChange$.subscribe(({ version, missed, patches, state }) =>
    emissions.push({ version, missed, full: patches === null, tick: state.tick }),
  );
  const writer = spawnPython(t, 'paced-patches.py', [name, String(RATE), String(SECONDS)]);
  t.is(await writer.nextLine(), 'started');
  await new Promise((resolve) => setTimeout(resolve, BLOCK_AT_MS));
  // Block this event loop: the writer goes on, the ring wraps under the subscriber.
  blockedAt = emissions.length;
  const until = performance.now() + BLOCK_MS;
  while (performance.now() < until);
  const [word, committed, lastVersion, achieved] = (await writer.nextLine()).split(' ');
  t.is(word, 'done');
  await writer.done();
  const last = Number(lastVersion);
  while (emissions[emissions.length - 1]!.version < last) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.log(
    `${committed} versions at ${achieved}/s, ${emissions.length} emissions, ring ${RING_ENTRIES} entries`,
  );

  const before = emissions.slice(1, blockedAt);
  t.true(before.length > RATE * 5, `${before.length} versions before the block`);
  const gaps = (list: typeof emissions, from: number) =>
    list.filter((e, i) => e.version !== (i === 0 ? from : list[i - 1]!.version) + 1);
  t.deepEqual(gaps(before, emissions[0]!.version), [], 'every version once, in order');
  t.true(before.every((e) => e.missed === 0 && !e.full && e.tick === e.version - 1));

  const after = emissions.slice(blockedAt);
  const jumps = after.filter((e) => e.missed > 0);
  t.is(jumps.length, 1, 'one full state after the block');
  const jump = jumps[0]!;
  const previous = emissions[emissions.indexOf(jump) - 1]!;
  t.true(jump.full);
  t.is(jump.missed, jump.version - previous.version - 1, 'missed is exact');
  // The block lost about 1.5 s of versions; the ring kept at most its entries of them.
  t.true(jump.missed > RATE - RING_ENTRIES, `missed ${jump.missed}`);
  const resumed = after.slice(after.indexOf(jump) + 1);
  t.deepEqual(gaps(resumed, jump.version), [], 'every version again after the jump');

  const first = emissions[0]!.version;
  const missed = emissions.reduce((sum, e) => sum + e.missed, 0);
  t.is(last - first, emissions.length - 1 + missed);
  t.is(emissions[emissions.length - 1]!.version, last);
});
