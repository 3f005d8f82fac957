import test from 'ava';
import { Segment } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const initial = Buffer.from('{}');

test('storeId is 16 lowercase hex digits', (t) => {
  const name = segmentFor(t, 'store-id');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  t.regex(segment.storeId, /^[0-9a-f]{16}$/);
  t.not(segment.storeId, '0000000000000000', 'a store id is never 0');
});

test('every handle on a segment sees the same storeId', (t) => {
  const name = segmentFor(t, 'store-id-handles');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const opened = Segment.open(name);
  t.teardown(() => opened.close());
  const other = Segment.openOrCreate(name, { capacity: 64, initial }).segment;
  t.teardown(() => other.close());
  t.is(opened.storeId, segment.storeId);
  t.is(other.storeId, segment.storeId);
});

test('stats() report the store id and the flags word', (t) => {
  const name = segmentFor(t, 'store-id-stats');
  const segment = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => segment.close());
  const stats = segment.stats();
  t.is(stats.storeId, segment.storeId);
  t.is(stats.flags, 0, 'no flag is assigned yet');
});

test('two segments created apart have different store ids', (t) => {
  const a = Segment.create(segmentFor(t, 'store-id-a'), { capacity: 64, initial });
  t.teardown(() => a.close());
  const b = Segment.create(segmentFor(t, 'store-id-b'), { capacity: 64, initial });
  t.teardown(() => b.close());
  t.not(a.storeId, b.storeId);
});

test('unlink and create again gives another storeId, which a re-open sees', (t) => {
  const name = segmentFor(t, 'store-id-recreate');
  const before = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => before.close());
  Segment.unlink(name);
  const after = Segment.create(name, { capacity: 64, initial });
  t.teardown(() => after.close());
  const reopened = Segment.open(name);
  t.teardown(() => reopened.close());
  t.not(after.storeId, before.storeId);
  t.is(reopened.storeId, after.storeId);
  t.is(reopened.stats().storeId, after.storeId);
});

test('storeId stays readable after close, like name and capacity', (t) => {
  const name = segmentFor(t, 'store-id-closed');
  const segment = Segment.create(name, { capacity: 64, initial });
  const id = segment.storeId;
  segment.close();
  t.is(segment.storeId, id);
});
