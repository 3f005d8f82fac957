import { existsSync } from 'node:fs';
import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, segmentPath } from '../../../test/helpers';

const initial = Buffer.from('{"mirror":true}');

/** What a bad argument throws: a ShmStateError with code E_INVALID and this message. */
const invalid = (message: string) => ({
  instanceOf: ShmStateError,
  code: 'E_INVALID',
  message: `${message} (E_INVALID)`,
});

test('create with a version publishes the initial payload as that version', (t) => {
  const name = segmentFor(t, 'create-at');
  const segment = Segment.create(name, { capacity: 256, initial, version: 1000 });
  t.teardown(() => segment.close());
  t.is(segment.version, 1000);
  t.deepEqual(segment.read(), { version: 1000, bytes: initial });
});

test('the first commit after creating at version N is N + 1', (t) => {
  const name = segmentFor(t, 'create-at-next');
  const segment = Segment.create(name, { capacity: 256, initial, version: 41 });
  t.teardown(() => segment.close());
  t.is(segment.commit(Buffer.from('{"n":1}')), 42);
  t.is(segment.commitText('{"n":2}'), 43);
  t.is(segment.version, 43);
});

test('create without a version starts at 1', (t) => {
  const name = segmentFor(t, 'create-at-default');
  const segment = Segment.create(name, { capacity: 256, initial });
  t.teardown(() => segment.close());
  t.is(segment.version, 1);
});

test('a store created at a version is seen at that version by another handle', (t) => {
  const name = segmentFor(t, 'create-at-open');
  const segment = Segment.create(name, { capacity: 256, initial, version: 7 });
  t.teardown(() => segment.close());
  const opened = Segment.open(name);
  t.teardown(() => opened.close());
  t.deepEqual(opened.read(), { version: 7, bytes: initial });
});

test('openOrCreate starts a store it creates at the given version', (t) => {
  const name = segmentFor(t, 'open-or-create-at');
  const { segment, created } = Segment.openOrCreate(name, { capacity: 256, initial, version: 9 });
  t.teardown(() => segment.close());
  t.true(created);
  t.deepEqual(segment.read(), { version: 9, bytes: initial });
});

test('openOrCreate of an existing segment ignores the version', (t) => {
  const name = segmentFor(t, 'open-or-create-at-existing');
  const first = Segment.create(name, { capacity: 256, initial, version: 5 });
  t.teardown(() => first.close());
  const second = Segment.openOrCreate(name, {
    capacity: 256,
    initial: Buffer.from('{}'),
    version: 500,
  });
  t.teardown(() => second.segment.close());
  t.false(second.created);
  t.deepEqual(second.segment.read(), { version: 5, bytes: initial });
});

test('a version of 0, a negative, a non-integer or an unsafe version is E_INVALID', (t) => {
  const name = segmentFor(t, 'create-at-range');
  for (const [version, message] of [
    [0, 'initial version is 0; versions start at 1 or later'],
    [-1, 'version is -1; it must be in [1, 9007199254740991]'],
    [1.5, 'Option "version" must be an integer, got 1.5'],
    [2 ** 53, 'version is 9007199254740992; it must be in [1, 9007199254740991]'],
    [Number.NaN, 'Option "version" must be an integer, got NaN'],
  ] as const) {
    t.throws(() => Segment.create(name, { capacity: 256, initial, version }), invalid(message));
  }
  t.false(existsSync(segmentPath(name)), 'nothing was created');
});

test('a version that is not a number is E_INVALID', (t) => {
  const name = segmentFor(t, 'create-at-type');
  t.throws(
    () => Segment.create(name, { capacity: 256, initial, version: '3' as unknown as number }),
    invalid('Option "version" must be an integer, got "3"'),
  );
  t.false(existsSync(segmentPath(name)), 'nothing was created');
});

test('openOrCreate validates the version like create', (t) => {
  const name = segmentFor(t, 'open-or-create-at-range');
  t.throws(
    () => Segment.openOrCreate(name, { capacity: 256, initial, version: 0 }),
    invalid('initial version is 0; versions start at 1 or later'),
  );
  t.false(existsSync(segmentPath(name)), 'nothing was created');
});
