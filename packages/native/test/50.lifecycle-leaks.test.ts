import test from 'ava';
import { Segment } from '../src/index';
import {
  mappingCount,
  openFdCount,
  segmentMappingCount,
  settledCount,
  threadCount,
} from './helpers/process-resources';
import { segmentFor } from '../../../test/helpers';

test.serial('opening and closing a segment 10,000 times leaks no fd and no mapping', (t) => {
  const name = segmentFor(t, 'leak-open');
  const owner = Segment.create(name, { capacity: 4096, initial: Buffer.from('{}') });
  t.teardown(() => owner.close());
  // Warm up once so lazily created runtime resources are not counted as leaks.
  Segment.open(name).close();
  const fds = openFdCount();
  const maps = mappingCount();
  for (let i = 0; i < 10_000; i += 1) {
    const segment = Segment.open(name);
    segment.read();
    segment.close();
  }
  t.is(openFdCount(), fds);
  t.is(mappingCount(), maps);
  t.is(segmentMappingCount(), 1, 'only the owner maps the segment');
});

test.serial('creating, closing and unlinking 1,000 segments leaks nothing', (t) => {
  const name = segmentFor(t, 'leak-create');
  Segment.create(name, { capacity: 64, initial: Buffer.from('{}') }).close();
  Segment.unlink(name);
  const fds = openFdCount();
  const maps = mappingCount();
  for (let i = 0; i < 1_000; i += 1) {
    Segment.create(name, { capacity: 64, initial: Buffer.from('{}') }).close();
    Segment.unlink(name);
  }
  t.is(openFdCount(), fds);
  t.is(mappingCount(), maps);
});

test.serial('starting and stopping a watcher 1,000 times leaks no thread', async (t) => {
  const name = segmentFor(t, 'leak-watch');
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  segment.watch(() => undefined).stop();
  const threads = threadCount();
  const fds = openFdCount();
  for (let i = 0; i < 1_000; i += 1) segment.watch(() => undefined).stop();
  // Released ThreadSafeFunctions and closed poll handles go on later turns of the loop.
  t.is(await settledCount(threadCount, threads), threads);
  t.is(await settledCount(openFdCount, fds), fds);
  t.is(segment.stats().waiters, 0);
  t.is(segment.stats().doorbells, 0);
});
