import test, { type ExecutionContext } from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const initial = Buffer.from('{"v":1}');

/** What a bad argument throws: a ShmStateError with code E_INVALID and this message. */
const invalid = (message: string) => ({
  instanceOf: ShmStateError,
  code: 'E_INVALID',
  message: `${message} (E_INVALID)`,
});

function createSegment(t: ExecutionContext, prefix: string): { name: string; segment: Segment } {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity: 256, initial });
  t.teardown(() => segment.close());
  return { name, segment };
}

test('commit with a version publishes exactly that version', (t) => {
  const { segment } = createSegment(t, 'commit-at');
  t.is(segment.commit(Buffer.from('{"v":10}'), { version: 10 }), 10);
  t.is(segment.version, 10);
  t.deepEqual(segment.read(), { version: 10, bytes: Buffer.from('{"v":10}') });
});

test('commitText with a version publishes exactly that version', (t) => {
  const { segment } = createSegment(t, 'commit-text-at');
  t.is(segment.commitText('{"v":"ten"}', { version: 10 }), 10);
  t.deepEqual(segment.readText(), { version: 10, text: '{"v":"ten"}' });
});

test('an ordinary commit after a jump adds 1', (t) => {
  const { segment } = createSegment(t, 'commit-at-next');
  segment.commit(Buffer.from('{}'), { version: 100 });
  t.is(segment.commit(Buffer.from('{}')), 101);
});

test('a commit with a version at or below the published one is E_CONFLICT and changes nothing', (t) => {
  const { segment } = createSegment(t, 'commit-at-conflict');
  segment.commit(Buffer.from('{"v":5}'), { version: 5 });
  for (const version of [5, 4, 1]) {
    const error = t.throws(() => segment.commit(Buffer.from('{"v":"back"}'), { version }), {
      instanceOf: ShmStateError,
    });
    t.is(error?.code, 'E_CONFLICT', `version ${version}`);
    t.regex(error?.message ?? '', /versions never go backwards/);
  }
  t.deepEqual(segment.read(), { version: 5, bytes: Buffer.from('{"v":5}') });
});

test('commitText with a version at or below the published one is E_CONFLICT', (t) => {
  const { segment } = createSegment(t, 'commit-text-at-conflict');
  segment.commitText('{"v":3}', { version: 3 });
  for (const version of [3, 2]) {
    const error = t.throws(() => segment.commitText('{"v":"back"}', { version }), {
      instanceOf: ShmStateError,
    });
    t.is(error?.code, 'E_CONFLICT', `version ${version}`);
  }
  t.deepEqual(segment.readText(), { version: 3, text: '{"v":3}' });
});

test('a jump with expectedVersion commits only if that is still the published version', (t) => {
  const { name, segment } = createSegment(t, 'commit-at-cas');
  const other = Segment.open(name);
  t.teardown(() => other.close());
  other.commit(Buffer.from('{"v":"other"}'));
  const error = t.throws(
    () => segment.commit(Buffer.from('{"v":"mine"}'), { expectedVersion: 1, version: 50 }),
    { instanceOf: ShmStateError },
  );
  t.is(error?.code, 'E_CONFLICT');
  t.is(segment.version, 2);
  t.is(segment.commit(Buffer.from('{"v":"mine"}'), { expectedVersion: 2, version: 50 }), 50);
});

test("another handle's watcher is told of a jump and reads the jumped version", async (t) => {
  const { name, segment } = createSegment(t, 'commit-at-watch');
  const other = Segment.open(name);
  t.teardown(() => other.close());
  const seen = new Promise<number>((resolve) => {
    const handle = other.watch(() => {
      if (other.version === 1) return;
      handle.stop();
      resolve(other.read().version);
    });
  });
  segment.commit(Buffer.from('{"v":77}'), { version: 77 });
  t.is(await seen, 77);
});

test('the version option is checked before any native call', (t) => {
  const { segment } = createSegment(t, 'commit-at-args');
  for (const [version, message] of [
    [0, 'version is 0; a commit at a given version names one of 1 or more'],
    [-3, 'version is -3; it must be in [1, 9007199254740991]'],
    [2.5, 'Option "version" must be an integer, got 2.5'],
    [2 ** 53, 'version is 9007199254740992; it must be in [1, 9007199254740991]'],
  ] as const) {
    t.throws(() => segment.commit(Buffer.from('{}'), { version }), invalid(message));
    t.throws(() => segment.commitText('{}', { version }), invalid(message));
  }
  t.throws(
    () => segment.commit(Buffer.from('{}'), { version: '9' as unknown as number }),
    invalid('Option "version" must be an integer, got "9"'),
  );
  t.is(segment.version, 1);
});
