import test from 'ava';
import { Segment } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const initial = Buffer.from('{}');

test('a created segment lists its own handle as a live Node reader', (t) => {
  const segment = Segment.create(segmentFor(t, 'attached-self'), { capacity: 64, initial });
  t.teardown(() => segment.close());
  const before = Date.now();
  const [entry, ...rest] = segment.attached();
  t.is(rest.length, 0);
  t.like(entry, { role: 'reader', language: 'node', pid: process.pid, alive: true, self: true });
  t.true(entry!.startTime <= before + 1 && entry!.startTime > before - 60_000);
});

test('every handle is listed, and only its own entry is self', (t) => {
  const name = segmentFor(t, 'attached-handles');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const opened = Segment.open(name);
  t.teardown(() => opened.close());
  const list = segment.attached();
  t.is(list.length, 2);
  t.is(list.filter((a) => a.self).length, 1);
  t.is(opened.attached().filter((a) => a.self)[0]!.index, list.find((a) => !a.self)!.index);
});

test('the first commit makes a handle a writer, and a later watch keeps it one', (t) => {
  const segment = Segment.create(segmentFor(t, 'attached-writer'), { capacity: 64, initial });
  t.teardown(() => segment.close());
  segment.commitText('[1]');
  t.is(segment.attached()[0]!.role, 'writer');
  const handle = segment.watch(() => {});
  handle.stop();
  t.is(segment.attached()[0]!.role, 'writer');
});

test('watch makes a reader a subscriber, in place', (t) => {
  const segment = Segment.create(segmentFor(t, 'attached-subscriber'), { capacity: 64, initial });
  t.teardown(() => segment.close());
  const before = segment.attached()[0]!;
  const handle = segment.watch(() => {});
  t.teardown(() => handle.stop());
  const after = segment.attached()[0]!;
  t.is(after.role, 'subscriber');
  t.is(after.index, before.index);
  t.is(after.startTime, before.startTime);
});

test('a commitPatch makes a handle a writer', (t) => {
  const segment = Segment.create(segmentFor(t, 'attached-patch'), { capacity: 256, initial });
  t.teardown(() => segment.close());
  segment.commitPatch('[{"op":"add","path":"/a","value":1}]', {
    expectedVersion: 1,
    stateLength: 7,
    stateText: '{"a":1}',
  });
  t.is(segment.attached()[0]!.role, 'writer');
});

test('close frees the entry; attached() after close is E_CLOSED', (t) => {
  const name = segmentFor(t, 'attached-close');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const other = Segment.open(name);
  other.close();
  t.is(segment.attached().length, 1);
  t.throws(() => other.attached(), { code: 'E_CLOSED' });
});

test('stats() report the last commit time', (t) => {
  const segment = Segment.create(segmentFor(t, 'attached-last-commit'), { capacity: 64, initial });
  t.teardown(() => segment.close());
  const created = segment.stats().lastCommitNs;
  t.true(Math.abs(created / 1e6 - Date.now()) < 60_000);
  segment.commitText('[2]');
  t.true(segment.stats().lastCommitNs >= created);
});
