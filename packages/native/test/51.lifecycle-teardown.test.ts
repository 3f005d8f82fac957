import { readdirSync } from 'node:fs';
import test from 'ava';
import { Segment } from '../src/index';
import { segmentFor, spawnNode } from '../../../test/helpers';

function createSegment(t: Parameters<typeof segmentFor>[0], prefix: string): Segment {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  return segment;
}

/** The doorbell socket files of the store in /dev/shm (docs/protocol.md, "Doorbell sockets"). */
function doorbellFiles(segment: Segment): string[] {
  return readdirSync('/dev/shm').filter((f) => f.startsWith(`shmstate-bell.${segment.storeId}.`));
}

test('process.exit() while watching tears the watcher down cleanly and removes its socket file', async (t) => {
  const segment = createSegment(t, 'teardown-exit');
  const child = spawnNode(t, 'exit-while-watching.ts', [segment.name, 'exit']);
  t.is(await child.nextLine(), 'watching');
  t.is(doorbellFiles(segment).length, 1, 'the watcher listens on a path socket');
  t.is(await child.nextLine(), 'exiting');
  t.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr());
  t.deepEqual(doorbellFiles(segment), [], 'exit() removed the socket file');
});

test('terminating a worker that watches tears its watcher down cleanly', async (t) => {
  const segment = createSegment(t, 'teardown-worker');
  const child = spawnNode(t, 'exit-while-watching.ts', [segment.name, 'worker']);
  t.is(await child.nextLine(), 'terminated 1');
  t.deepEqual(await child.exited, { code: 0, signal: null }, child.stderr());
});
