import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, segmentPath } from '../../../test/helpers';

const initial = Buffer.from('{"n":0}');

test('open sees the state and version of the creator', (t) => {
  const name = segmentFor(t, 'open');
  const creator = Segment.create(name, { capacity: 1024, initial });
  t.teardown(() => creator.close());
  creator.commit(Buffer.from('{"n":1}'));
  const opened = Segment.open(name);
  t.teardown(() => opened.close());
  t.is(opened.name, name);
  t.is(opened.capacity, 1024);
  t.is(opened.version, 2);
  t.is(opened.read().bytes.toString(), '{"n":1}');
});

test('open of an absent name throws E_NOENT', (t) => {
  const name = segmentFor(t, 'absent');
  const error = t.throws(() => Segment.open(name), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_NOENT');
});

test('openOrCreate creates when absent, then opens what exists', (t) => {
  const name = segmentFor(t, 'open-or-create');
  const first = Segment.openOrCreate(name, { capacity: 256, initial });
  t.teardown(() => first.segment.close());
  t.true(first.created);
  first.segment.commit(Buffer.from('{"n":5}'));

  const second = Segment.openOrCreate(name, { capacity: 512, initial: Buffer.from('{}') });
  t.teardown(() => second.segment.close());
  t.false(second.created);
  t.is(second.segment.capacity, 256);
  t.deepEqual(second.segment.read(), { version: 2, bytes: Buffer.from('{"n":5}') });
});

test('openOrCreate validates its options like create', (t) => {
  const name = segmentFor(t, 'open-or-create-options');
  t.throws(() => Segment.openOrCreate(name, { capacity: 1, initial }), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'capacity is 1; it must be in [64, 1073741824] (E_INVALID)',
  });
});

test('unlink removes the name; open handles keep reading, their commits are E_RETIRED', (t) => {
  const name = segmentFor(t, 'unlink');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const before = segment.read().bytes.toString();
  Segment.unlink(name);
  t.false(existsSync(segmentPath(name)));
  t.is(t.throws(() => Segment.open(name), { instanceOf: ShmStateError })?.code, 'E_NOENT');
  const refused = t.throws(() => segment.commit(Buffer.from('{"n":2}')), {
    instanceOf: ShmStateError,
  });
  t.is(refused?.code, 'E_RETIRED');
  t.is(segment.read().bytes.toString(), before);
});

test('unlink of an absent name throws E_NOENT', (t) => {
  const name = segmentFor(t, 'unlink-absent');
  const error = t.throws(() => Segment.unlink(name), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_NOENT');
});

test('unlink of an invalid name throws E_NAME', (t) => {
  t.is(t.throws(() => Segment.unlink('../etc'), { instanceOf: ShmStateError })?.code, 'E_NAME');
});

test('a layout-1 segment is E_VERSION with a message that says to recreate it', (t) => {
  const name = segmentFor(t, 'layout-1');
  Segment.create(name, { capacity: 64, initial }).close();
  // layout_version is the u32 at byte 8 in every layout; this build reads layout 2.
  const fd = openSync(segmentPath(name), 'r+');
  writeSync(fd, Buffer.from([1, 0, 0, 0]), 0, 4, 8);
  closeSync(fd);
  const error = t.throws(() => Segment.open(name), { instanceOf: ShmStateError });
  t.is(error?.code, 'E_VERSION');
  t.regex(error?.message ?? '', /layout_version 1/);
  t.regex(error?.message ?? '', /Recreate it/);
});
