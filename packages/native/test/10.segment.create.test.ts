import { existsSync, statSync } from 'node:fs';
import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, segmentPath } from '../../../test/helpers';

const initial = Buffer.from('{"hello":"world"}');

test('create publishes the initial payload as version 1', (t) => {
  const name = segmentFor(t, 'create');
  const segment = Segment.create(name, { capacity: 4096, initial });
  t.teardown(() => segment.close());
  t.is(segment.name, name);
  t.is(segment.capacity, 4096);
  t.is(segment.version, 1);
  t.false(segment.closed);
  const { version, bytes } = segment.read();
  t.is(version, 1);
  t.deepEqual(bytes, initial);
});

test('create of a taken name throws E_EXISTS', (t) => {
  const name = segmentFor(t, 'exists');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const error = t.throws(() => Segment.create(name, { capacity: 64, initial }), {
    instanceOf: ShmStateError,
  });
  t.is(error?.code, 'E_EXISTS');
});

test('a new segment is mode 0600 by default whatever the umask', (t) => {
  const name = segmentFor(t, 'mode-default');
  const previous = process.umask(0o000);
  try {
    Segment.create(name, { capacity: 64, initial }).close();
  } finally {
    process.umask(previous);
  }
  t.is(statSync(segmentPath(name)).mode & 0o777, 0o600);
});

test('an explicit mode is honoured exactly, despite a restrictive umask', (t) => {
  const name = segmentFor(t, 'mode-explicit');
  const previous = process.umask(0o077);
  try {
    Segment.create(name, { capacity: 64, mode: 0o640, initial }).close();
  } finally {
    process.umask(previous);
  }
  t.is(statSync(segmentPath(name)).mode & 0o777, 0o640);
});

test('invalid names throw E_NAME from the core', (t) => {
  const bad = ['', 'a/b', '.hidden', '-dash', 'sp ace', 'x'.repeat(201), 'nul\0byte', 'é'];
  for (const name of bad) {
    const error = t.throws(() => Segment.create(name, { capacity: 64, initial }), {
      instanceOf: ShmStateError,
    });
    t.is(error?.code, 'E_NAME', `name ${JSON.stringify(name)}`);
  }
  t.is(t.throws(() => Segment.open('a/b'), { instanceOf: ShmStateError })?.code, 'E_NAME');
});

test('a name of exactly 200 bytes is accepted', (t) => {
  const base = segmentFor(t, 'long');
  const name = base + 'x'.repeat(200 - base.length);
  t.teardown(() => Segment.unlink(name));
  Segment.create(name, { capacity: 64, initial }).close();
  t.is(name.length, 200);
});

/** What a bad argument throws: a ShmStateError with code E_INVALID and this message. */
const invalid = (message: string) => ({
  instanceOf: ShmStateError,
  code: 'E_INVALID',
  message: `${message} (E_INVALID)`,
});

test('a name that is not a string is E_INVALID', (t) => {
  t.throws(
    () => Segment.create(42 as unknown as string, { capacity: 64, initial }),
    invalid('Argument "name" must be a string, got 42'),
  );
});

test("capacity out of range is E_INVALID with the core's message naming the bounds", (t) => {
  const name = segmentFor(t, 'capacity-range');
  t.throws(
    () => Segment.create(name, { capacity: 10, initial }),
    invalid('capacity is 10; it must be in [64, 1073741824]'),
  );
  t.throws(
    () => Segment.create(name, { capacity: 2 ** 30 + 1, initial }),
    invalid('capacity is 1073741825; it must be in [64, 1073741824]'),
  );
  t.throws(
    () => Segment.create(name, { capacity: -1, initial }),
    invalid('capacity is -1; it must be in [64, 1073741824]'),
  );
  t.throws(
    () => Segment.create(name, { capacity: 100.5, initial }),
    invalid('Option "capacity" must be an integer, got 100.5'),
  );
  t.throws(
    () => Segment.create(name, { capacity: '64' as unknown as number, initial }),
    invalid('Option "capacity" must be an integer, got "64"'),
  );
  t.false(existsSync(segmentPath(name)), 'nothing was created');
});

test("modes the core refuses are E_INVALID with the core's message", (t) => {
  const name = segmentFor(t, 'mode-range');
  for (const [mode, message] of [
    [0o1000, 'mode is 01000; only permission bits 0777 are allowed'],
    [2 ** 33, 'mode is 0100000000000; only permission bits 0777 are allowed'],
    [-1, 'mode is -01; only permission bits 0777 are allowed'],
    [0o400, 'mode is 0400; the owner needs read and write (0600)'],
    [0o666, 'mode is 0666; world-writable segments are refused at open'],
  ] as const) {
    t.throws(() => Segment.create(name, { capacity: 64, mode, initial }), invalid(message));
  }
  t.throws(
    () => Segment.create(name, { capacity: 64, mode: '600' as unknown as number, initial }),
    invalid('Option "mode" must be an integer, got "600"'),
  );
  t.false(existsSync(segmentPath(name)), 'nothing was created');
});

test('mode 0 means the default, 0600, as in the core', (t) => {
  const name = segmentFor(t, 'mode-zero');
  Segment.create(name, { capacity: 64, mode: 0, initial }).close();
  t.is(statSync(segmentPath(name)).mode & 0o777, 0o600);
});

test('initial must be a Uint8Array', (t) => {
  const name = segmentFor(t, 'initial-type');
  t.throws(
    () => Segment.create(name, { capacity: 64, initial: '{}' as unknown as Uint8Array }),
    invalid('Option "initial" must be a Uint8Array, got "{}"'),
  );
  t.throws(
    () => Segment.create(name, undefined as unknown as { capacity: number; initial: Buffer }),
    invalid('Argument "options" must be an object, got undefined'),
  );
});

test('an initial payload larger than the capacity throws E_CAPACITY naming both sizes', (t) => {
  const name = segmentFor(t, 'initial-capacity');
  const error = t.throws(() => Segment.create(name, { capacity: 64, initial: Buffer.alloc(100) }), {
    instanceOf: ShmStateError,
  });
  t.is(error?.code, 'E_CAPACITY');
  t.regex(error?.message ?? '', /100/);
  t.regex(error?.message ?? '', /64/);
});
