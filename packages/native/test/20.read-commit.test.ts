import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const initial = Buffer.from('{"v":1}');

/** What a bad argument throws: a ShmStateError with code E_INVALID and this message. */
const invalid = (message: string) => ({
  instanceOf: ShmStateError,
  code: 'E_INVALID',
  message: `${message} (E_INVALID)`,
});

function createSegment(t: Parameters<typeof segmentFor>[0], prefix: string, capacity = 256) {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity, initial });
  t.teardown(() => segment.close());
  return { name, segment };
}

test('commit returns the next version and read returns what was committed', (t) => {
  const { segment } = createSegment(t, 'commit');
  t.is(segment.commit(Buffer.from('{"v":2}')), 2);
  t.is(segment.commit(Buffer.from('{"v":3}')), 3);
  t.is(segment.version, 3);
  t.deepEqual(segment.read(), { version: 3, bytes: Buffer.from('{"v":3}') });
});

test('read returns a copy the caller owns', (t) => {
  const { segment } = createSegment(t, 'read-copy');
  const first = segment.read();
  first.bytes.fill(0);
  t.deepEqual(segment.read().bytes, initial);
});

test('commit accepts any Uint8Array, including a view into a larger buffer', (t) => {
  const { segment } = createSegment(t, 'commit-view');
  const backing = new TextEncoder().encode('xx{"v":9}yy');
  segment.commit(backing.subarray(2, 9));
  t.is(segment.read().bytes.toString(), '{"v":9}');
});

test('an empty payload and a payload of exactly the capacity both commit', (t) => {
  const { segment } = createSegment(t, 'commit-bounds', 64);
  segment.commit(new Uint8Array(0));
  t.is(segment.read().bytes.length, 0);
  const full = Buffer.alloc(64, 0x61);
  segment.commit(full);
  t.deepEqual(segment.read().bytes, full);
});

test("two handles on one segment see each other's commits", (t) => {
  const { name, segment } = createSegment(t, 'two-handles');
  const other = Segment.open(name);
  t.teardown(() => other.close());
  other.commit(Buffer.from('{"from":"other"}'));
  t.is(segment.version, 2);
  t.is(segment.read().bytes.toString(), '{"from":"other"}');
});

test('a commit with the current expectedVersion succeeds', (t) => {
  const { segment } = createSegment(t, 'cas-ok');
  t.is(segment.commit(Buffer.from('{"v":2}'), { expectedVersion: 1 }), 2);
  t.is(segment.commit(Buffer.from('{"v":3}'), { expectedVersion: 2 }), 3);
});

test('a commit with a stale expectedVersion throws E_CONFLICT and changes nothing', (t) => {
  const { name, segment } = createSegment(t, 'cas-conflict');
  const other = Segment.open(name);
  t.teardown(() => other.close());
  other.commit(Buffer.from('{"v":"other"}'));
  const error = t.throws(
    () => segment.commit(Buffer.from('{"v":"mine"}'), { expectedVersion: 1 }),
    {
      instanceOf: ShmStateError,
    },
  );
  t.is(error?.code, 'E_CONFLICT');
  t.deepEqual(segment.read(), { version: 2, bytes: Buffer.from('{"v":"other"}') });
  t.is(segment.stats().conflicts, 1);
});

test('a payload larger than the capacity throws E_CAPACITY naming both sizes', (t) => {
  const { segment } = createSegment(t, 'capacity', 64);
  const error = t.throws(() => segment.commit(Buffer.alloc(65)), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_CAPACITY');
  t.regex(error?.message ?? '', /\b65\b/);
  t.regex(error?.message ?? '', /\b64\b/);
  t.regex(error?.message ?? '', /\(E_CAPACITY\)$/);
  t.is(segment.version, 1);
});

test('commit arguments are checked before any native call', (t) => {
  const { segment } = createSegment(t, 'commit-args');
  t.throws(
    () => segment.commit('{}' as unknown as Uint8Array),
    invalid('Argument "bytes" must be a Uint8Array, got "{}"'),
  );
  t.throws(
    () => segment.commit(Buffer.from('{}'), { expectedVersion: 0 }),
    invalid('expectedVersion is 0; it must be in [1, 9007199254740991]'),
  );
  t.throws(
    () => segment.commit(Buffer.from('{}'), { expectedVersion: 1.5 }),
    invalid('Option "expectedVersion" must be an integer, got 1.5'),
  );
  t.throws(
    () => segment.commit(Buffer.from('{}'), 3 as unknown as { expectedVersion: number }),
    invalid('Argument "options" must be an object, got 3'),
  );
  t.is(segment.version, 1);
});

test('stats count commits and report the layout', (t) => {
  const { segment } = createSegment(t, 'stats');
  segment.commit(Buffer.from('{}'));
  const stats = segment.stats();
  t.is(stats.version, 2);
  t.is(stats.capacity, 256);
  t.is(stats.commits, 2, 'the initial state counts as a commit');
  t.is(stats.conflicts, 0);
  t.is(stats.lockRecoveries, 0);
  t.is(stats.waiters, 0);
  t.is(stats.layoutVersion, 2);
  t.is(stats.doorbells, 0);
  t.is(stats.doorbellReclaims, 0);
});

test("stats have the fields of Python's Store.stats(), in camelCase", (t) => {
  const { segment } = createSegment(t, 'stats-fields');
  t.deepEqual(Object.keys(segment.stats()).sort(), [
    'capacity',
    'checkpointVersion',
    'commits',
    'conflicts',
    'doorbellReclaims',
    'doorbells',
    'flags',
    'lastCommitNs',
    'layoutVersion',
    'leader',
    'lockRecoveries',
    'mirror',
    'ringEntries',
    'ringPatchBytes',
    'ringPatchMax',
    'storeId',
    'version',
    'waiters',
  ]);
});

test('setLockTimeout accepts milliseconds and refuses other values', (t) => {
  const { segment } = createSegment(t, 'lock-timeout');
  t.notThrows(() => segment.setLockTimeout(250));
  t.throws(() => segment.setLockTimeout(-1), invalid('ms is -1; it must be in [0, 4294967295]'));
  t.throws(
    () => segment.setLockTimeout(2 ** 32),
    invalid('ms is 4294967296; it must be in [0, 4294967295]'),
  );
  t.throws(
    () => segment.setLockTimeout('5' as unknown as number),
    invalid('Argument "ms" must be an integer, got "5"'),
  );
  t.is(segment.commit(Buffer.from('{}')), 2);
});
