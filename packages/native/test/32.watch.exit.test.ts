import test from 'ava';
import { Segment } from '../src/index';
import { exitWithin, segmentFor, spawnNode } from '../../../test/helpers';

test('after the last stop() the process exits on its own', async (t) => {
  const name = segmentFor(t, 'watch-exit');
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  const child = spawnNode(t, 'watch-one-change.ts', [name]);
  t.teardown(() => child.process.kill('SIGKILL'));
  t.is(await child.nextLine(), 'ready');
  segment.commit(Buffer.from('{"n":1}'));
  t.is(await child.nextLine(), 'changed 2');
  const exit = await exitWithin(child, 5000);
  t.deepEqual(exit, { code: 0, signal: null }, child.stderr());
});

test('while a watcher is active the process stays alive', async (t) => {
  const name = segmentFor(t, 'watch-alive');
  const segment = Segment.create(name, { capacity: 64, initial: Buffer.from('{}') });
  t.teardown(() => segment.close());
  const child = spawnNode(t, 'watch-one-change.ts', [name]);
  t.teardown(() => child.process.kill('SIGKILL'));
  t.is(await child.nextLine(), 'ready');
  t.is(await exitWithin(child, 1000), undefined, 'still running with no change yet');
  segment.commit(Buffer.from('{"n":1}'));
  t.is(await child.nextLine(), 'changed 2');
  t.is((await child.exited).code, 0);
});
