import test from 'ava';
import { Segment } from '../src/index';
import { segmentFor, spawnNode } from '../../../test/helpers';

function createSegment(t: Parameters<typeof segmentFor>[0], prefix: string): string {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  return name;
}

test('process.exit() while watching tears the watcher down cleanly', async (t) => {
  const name = createSegment(t, 'teardown-exit');
  const child = spawnNode(t, 'exit-while-watching.ts', [name, 'exit']);
  t.is(await child.nextLine(), 'exiting');
  t.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr());
});

test('terminating a worker that watches tears its watcher down cleanly', async (t) => {
  const name = createSegment(t, 'teardown-worker');
  const child = spawnNode(t, 'exit-while-watching.ts', [name, 'worker']);
  t.is(await child.nextLine(), 'terminated 1');
  t.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr());
});
