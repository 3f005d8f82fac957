import { statSync } from 'node:fs';
import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, segmentPath } from './helpers/segment-names';

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

test('a name that is not a string is a TypeError', (t) => {
  t.throws(() => Segment.create(42 as unknown as string, { capacity: 64, initial }), {
    instanceOf: TypeError,
    message: 'Argument "name" must be a string, got 42',
  });
});

test('capacity out of range is a RangeError naming the bounds', (t) => {
  const name = segmentFor(t, 'capacity-range');
  t.throws(() => Segment.create(name, { capacity: 10, initial }), {
    instanceOf: RangeError,
    message: 'Option "capacity" must be an integer between 64 and 1073741824, got 10',
  });
  t.throws(() => Segment.create(name, { capacity: 2 ** 30 + 1, initial }), {
    instanceOf: RangeError,
    message: 'Option "capacity" must be an integer between 64 and 1073741824, got 1073741825',
  });
  t.throws(() => Segment.create(name, { capacity: 100.5, initial }), { instanceOf: RangeError });
  t.throws(() => Segment.create(name, { capacity: '64' as unknown as number, initial }), {
    instanceOf: TypeError,
    message: 'Option "capacity" must be a number, got "64"',
  });
});

test('mode out of range is a RangeError', (t) => {
  const name = segmentFor(t, 'mode-range');
  t.throws(() => Segment.create(name, { capacity: 64, mode: 0o1000, initial }), {
    instanceOf: RangeError,
    message: 'Option "mode" must be an integer between 1 and 511, got 512',
  });
});

test('initial must be a Uint8Array', (t) => {
  const name = segmentFor(t, 'initial-type');
  t.throws(() => Segment.create(name, { capacity: 64, initial: '{}' as unknown as Uint8Array }), {
    instanceOf: TypeError,
    message: 'Option "initial" must be a Uint8Array, got "{}"',
  });
  t.throws(
    () => Segment.create(name, undefined as unknown as { capacity: number; initial: Buffer }),
    {
      instanceOf: TypeError,
      message: 'Argument "options" must be an object, got undefined',
    },
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
