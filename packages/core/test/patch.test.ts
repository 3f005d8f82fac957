/**
 * store.patch(): RFC 6902 JSON Patch applied to the latest state with compare-and-set,
 * through the patch ring. The cases (RFC 6902 Appendix A and one or more for every op and
 * error) are shared with Python: test/fixtures/json-patch-cases.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import {
  SharedStore,
  ShmStateError,
  type JsonPatchOperation,
  type ShmStateErrorCode,
} from '../src';
import { repoRoot, segmentFor } from '../../../test/helpers';

interface PatchCase {
  name: string;
  doc: unknown;
  patch?: unknown;
  patchText?: string;
  expected?: unknown;
  error?: ShmStateErrorCode;
}

const { cases } = JSON.parse(
  readFileSync(join(repoRoot, 'test', 'fixtures', 'json-patch-cases.json'), 'utf8'),
) as { cases: PatchCase[] };

function storeOf<T>(t: Parameters<typeof segmentFor>[0], initial: T, capacity = 4096) {
  const name = segmentFor(t, 'patch');
  const store = SharedStore.create<unknown>(name, { initial, capacity });
  t.teardown(() => store.close());
  const reader = SharedStore.open<unknown>(name);
  t.teardown(() => reader.close());
  return { store, reader };
}

for (const example of cases) {
  test(`store.patch(): ${example.name}`, (t) => {
    const { store, reader } = storeOf(t, example.doc);
    const before = store.snapshot();
    const ops = (
      example.patchText === undefined ? example.patch : JSON.parse(example.patchText)
    ) as JsonPatchOperation[];
    if (example.error !== undefined) {
      const error = t.throws(() => store.patch(ops), { instanceOf: ShmStateError });
      t.is(error.code, example.error);
      t.regex(error.message, /JSON Patch|a JSON Patch is an array/);
      t.is(store.version, before.version, 'the version is unchanged');
      t.is(store.get(), before.state, 'the state is unchanged');
      t.deepEqual(reader.get(), example.doc);
      return;
    }
    const version = store.patch(ops);
    t.deepEqual(store.get(), example.expected);
    // Another handle reaches the same state through the ring (or, for a patch that
    // changes nothing, sees no new version).
    t.deepEqual(reader.snapshot(), { version, state: example.expected, storeId: store.storeId });
  });
}

test('patch() names the failing op and its index', (t) => {
  const { store } = storeOf(t, { a: 1 });
  const error = t.throws(
    () =>
      store.patch([
        { op: 'replace', path: '/a', value: 2 },
        { op: 'remove', path: '/nope' },
      ]),
    { instanceOf: ShmStateError },
  );
  t.is(
    error.message,
    'JSON Patch op 1 {"op":"remove","path":"/nope"}: "/nope" names nothing: the object at "" has no member "nope" (E_PATCH)',
  );
  t.deepEqual(store.get(), { a: 1 });
});

test('a value outside the dialect is E_ENCODE and commits nothing', (t) => {
  const { store } = storeOf(t, { a: 1 });
  for (const value of [Number.NaN, undefined, new Date(0), 10n, () => 1]) {
    const error = t.throws(() => store.patch([{ op: 'add', path: '/b', value }]), {
      instanceOf: ShmStateError,
    });
    t.is(error.code, 'E_ENCODE');
  }
  t.is(store.version, 1);
});

test('a patch that would make the state larger than the capacity is E_CAPACITY', (t) => {
  const { store } = storeOf(t, { a: '' }, 256);
  const error = t.throws(
    () => store.patch([{ op: 'replace', path: '/a', value: 'x'.repeat(300) }]),
    {
      instanceOf: ShmStateError,
    },
  );
  t.is(error.code, 'E_CAPACITY');
  t.deepEqual(store.get(), { a: '' });
  t.is(store.version, 1);
  // Growing it step by step is refused at the step that crosses the capacity.
  let refused = false;
  for (let i = 0; i < 40 && !refused; i += 1) {
    try {
      store.patch([{ op: 'add', path: `/k${i}`, value: 'y'.repeat(10) }]);
    } catch (err) {
      t.is((err as ShmStateError).code, 'E_CAPACITY');
      refused = true;
    }
  }
  t.true(refused);
  t.true(Buffer.byteLength(JSON.stringify(store.get())) <= 256);
});

test('expectedVersion makes a stale patch E_CONFLICT instead of a retry', (t) => {
  const { store, reader } = storeOf(t, { n: 0 });
  reader.patch([{ op: 'replace', path: '/n', value: 1 }]);
  const error = t.throws(
    () => store.patch([{ op: 'replace', path: '/n', value: 5 }], { expectedVersion: 1 }),
    { instanceOf: ShmStateError },
  );
  t.is(error.code, 'E_CONFLICT');
  t.deepEqual(store.get(), { n: 1 });
  t.is(store.patch([{ op: 'replace', path: '/n', value: 5 }], { expectedVersion: 2 }), 3);
  // Without it, a patch applies to whatever is latest.
  reader.patch([{ op: 'replace', path: '/n', value: 6 }]);
  t.is(store.patch([{ op: 'add', path: '/m', value: 1 }]), 5);
  t.deepEqual(reader.get(), { n: 6, m: 1 });
});

test('a patch with only test ops commits nothing and returns the version', (t) => {
  const { store } = storeOf(t, { n: 0 });
  t.is(store.patch([{ op: 'test', path: '/n', value: 0 }]), 1);
  t.is(store.stats().commits, 1);
  const error = t.throws(() => store.patch([], { expectedVersion: 7 }), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_CONFLICT');
});

test('patch() options are checked', (t) => {
  const { store } = storeOf(t, {});
  for (const options of [{ expectedVersion: 0 }, { expectedVersion: 1.5 }, { maxRetries: -1 }, 3]) {
    const error = t.throws(() => store.patch([], options as never), { instanceOf: ShmStateError });
    t.is(error.code, 'E_INVALID');
  }
});

test('patches go through the ring: no checkpoint until the ring needs one', (t) => {
  const { store, reader } = storeOf(t, { n: 0, big: 'z'.repeat(2000) });
  // Each patch is about 40 bytes: 20 of them stay well below the state's ~2 KB.
  let patchBytes = 0;
  for (let i = 1; i <= 20; i += 1) {
    const ops: JsonPatchOperation[] = [{ op: 'replace', path: '/n', value: i }];
    patchBytes += Buffer.byteLength(JSON.stringify(ops));
    store.patch(ops);
  }
  const stats = store.stats();
  t.is(stats.version, 21);
  t.is(stats.checkpointVersion, 1, 'small patches to a 2 KB state need no checkpoint yet');
  t.is(stats.ringPatchBytes, patchBytes);
  t.deepEqual(reader.get(), { n: 20, big: 'z'.repeat(2000) });
  // Once the patches since the checkpoint would outweigh the state, a commit checkpoints.
  for (let i = 21; i <= 60; i += 1) store.patch([{ op: 'replace', path: '/n', value: i }]);
  t.true(store.stats().checkpointVersion > 1);
  t.deepEqual(reader.get(), { n: 60, big: 'z'.repeat(2000) });
});

test('a store created with ringEntries 0 has no ring and patch() still works', (t) => {
  const name = segmentFor(t, 'noring');
  const store = SharedStore.create<{ n: number }>(name, { initial: { n: 0 }, ringEntries: 0 });
  t.teardown(() => store.close());
  const reader = SharedStore.open<{ n: number }>(name);
  t.teardown(() => reader.close());
  store.patch([{ op: 'replace', path: '/n', value: 1 }]);
  store.update((draft) => {
    draft.n += 1;
  });
  t.is(store.stats().ringEntries, 0);
  t.is(store.stats().checkpointVersion, 3);
  t.deepEqual(reader.snapshot(), { version: 3, state: { n: 2 }, storeId: store.storeId });
});

test('ring options are checked (by the core, in its words)', (t) => {
  const name = segmentFor(t, 'ringopts');
  for (const [options, pattern] of [
    [{ ringEntries: 1 }, /ring_entries is 1; it must be 0 \(no ring\) or in \[2, 65536\]/],
    [{ ringEntries: 1.5 }, /ringEntries/],
    [{ ringEntries: 8, ringPatchMax: 0 }, /ring_patch_max is 0/],
    [{ ringEntries: 0, ringPatchMax: 64 }, /ring_entries is 0/],
  ] as const) {
    const error = t.throws(() => SharedStore.create(name, { initial: {}, ...options }), {
      instanceOf: ShmStateError,
    });
    t.is(error.code, 'E_INVALID');
    t.regex(error.message, pattern);
  }
  const store = SharedStore.create(name, { initial: {}, ringEntries: 16, ringPatchMax: 100 });
  t.teardown(() => store.close());
  t.like(store.stats(), { ringEntries: 16, ringPatchMax: 128 });
});

test('the default ring: 1024 entries of 1984 bytes, or of the capacity when smaller', (t) => {
  const big = SharedStore.create(segmentFor(t, 'ringdef'), { initial: {} });
  t.teardown(() => big.close());
  t.like(big.stats(), { ringEntries: 1024, ringPatchMax: 1984 });
  const small = SharedStore.create(segmentFor(t, 'ringdef'), { initial: {}, capacity: 100 });
  t.teardown(() => small.close());
  t.like(small.stats(), { ringEntries: 1024, ringPatchMax: 128 });
});
