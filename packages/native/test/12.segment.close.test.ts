import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

const initial = Buffer.from('{}');

test('close twice is fine and closed becomes true', (t) => {
  const name = segmentFor(t, 'close-twice');
  const segment = Segment.create(name, { capacity: 64, initial });
  segment.close();
  t.notThrows(() => segment.close());
  t.true(segment.closed);
});

test('name and capacity stay readable after close', (t) => {
  const name = segmentFor(t, 'close-props');
  const segment = Segment.create(name, { capacity: 128, initial });
  segment.close();
  t.is(segment.name, name);
  t.is(segment.capacity, 128);
});

test('every method after close throws E_CLOSED', (t) => {
  const name = segmentFor(t, 'close-methods');
  const segment = Segment.create(name, { capacity: 64, initial });
  segment.close();
  const calls: Record<string, () => unknown> = {
    version: () => segment.version,
    read: () => segment.read(),
    commit: () => segment.commit(Buffer.from('{}')),
    stats: () => segment.stats(),
    setLockTimeout: () => segment.setLockTimeout(10),
    watch: () => segment.watch(() => undefined),
  };
  for (const [method, call] of Object.entries(calls)) {
    const error = t.throws(call, { instanceOf: ShmStateError }, method);
    t.is(error?.code, 'E_CLOSED', method);
    t.is(error?.message, `segment "${name}" is closed (E_CLOSED)`, method);
  }
});

test('E_CLOSED wins over argument errors after close', (t) => {
  const name = segmentFor(t, 'close-order');
  const segment = Segment.create(name, { capacity: 64, initial });
  segment.close();
  const error = t.throws(() => segment.commit('x' as unknown as Uint8Array), {
    instanceOf: ShmStateError,
  });
  t.is(error?.code, 'E_CLOSED');
});

test('close stops every watch handle', (t) => {
  const name = segmentFor(t, 'close-watch');
  const segment = Segment.create(name, { capacity: 64, initial });
  const first = segment.watch(() => undefined);
  const second = segment.watch(() => undefined);
  segment.close();
  t.true(first.stopped);
  t.true(second.stopped);
  t.notThrows(() => first.stop());
});

test('closing one handle leaves other handles of the same segment working', (t) => {
  const name = segmentFor(t, 'close-other');
  const a = Segment.create(name, { capacity: 64, initial });
  const b = Segment.open(name);
  t.teardown(() => b.close());
  a.close();
  t.is(b.commit(Buffer.from('{"b":1}')), 2);
  t.is(b.read().bytes.toString(), '{"b":1}');
});
