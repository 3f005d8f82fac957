import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, spawnNode } from '../../../test/helpers';

const initial = Buffer.from('{"n":0}');

function createSegment(t: Parameters<typeof segmentFor>[0], prefix: string) {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity: 256, initial });
  t.teardown(() => segment.close());
  return { name, segment };
}

/**
 * Native watchers on the segment, whichever the mechanism (SHMSTATE_NOTIFY): a watcher
 * thread counts as a futex waiter, a doorbell as a registered entry.
 */
function watchers(segment: Segment): number {
  const stats = segment.stats();
  return stats.waiters + stats.doorbells;
}

/** Resolves once `predicate` holds, checking on each turn of the event loop. */
function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check));
    check();
  });
}

test('a commit made by another process reaches the listener without blocking the loop', async (t) => {
  const { name, segment } = createSegment(t, 'watch-cross-process');
  let ticks = 0;
  const interval = setInterval(() => {
    ticks += 1;
  }, 5);
  t.teardown(() => clearInterval(interval));

  const changed = new Promise<number>((resolve) => {
    const handle = segment.watch(() => {
      if (segment.version === 1) return;
      handle.stop();
      resolve(segment.version);
    });
  });
  const child = spawnNode(t, 'commit-once.ts', [name, '{"n":1}']);
  t.is(await child.nextLine(), '2');
  t.is(await changed, 2);
  t.is(segment.read().bytes.toString(), '{"n":1}');
  t.true(ticks > 0, 'the interval kept ticking while the watcher waited');
  t.is((await child.exited).code, 0);
});

test('listeners run on the event loop, after the committing call returns', async (t) => {
  const { segment } = createSegment(t, 'watch-async');
  const seen: number[] = [];
  const handle = segment.watch(() => seen.push(segment.version));
  t.teardown(() => handle.stop());
  // Let the watcher start waiting, then commit from this thread.
  await until(() => watchers(segment) === 1);
  segment.commit(Buffer.from('{"n":1}'));
  t.deepEqual(seen, [], 'nothing runs synchronously inside commit()');
  await until(() => seen.length > 0);
  t.is(seen.at(-1), 2);
});

test('many listeners share one native watcher', async (t) => {
  const { segment } = createSegment(t, 'watch-shared');
  const calls = [0, 0, 0];
  const handles = calls.map((_, i) => segment.watch(() => (calls[i]! += 1)));
  t.teardown(() => handles.forEach((h) => h.stop()));
  await until(() => watchers(segment) >= 1);
  t.is(watchers(segment), 1);
  segment.commit(Buffer.from('{"n":1}'));
  await until(() => calls.every((n) => n > 0));
  t.is(watchers(segment), 1);
});

test('the watcher stops when the last handle stops, and restarts on the next watch', async (t) => {
  const { segment } = createSegment(t, 'watch-refcount');
  const first = segment.watch(() => undefined);
  const second = segment.watch(() => undefined);
  await until(() => watchers(segment) === 1);
  first.stop();
  t.true(first.stopped);
  t.false(second.stopped);
  t.is(watchers(segment), 1, 'one handle left: still watching');
  second.stop();
  t.is(watchers(segment), 0, 'stop unregisters (or joins the thread) before returning');

  let called = false;
  const third = segment.watch(() => {
    called = true;
  });
  t.teardown(() => third.stop());
  await until(() => watchers(segment) === 1);
  segment.commit(Buffer.from('{"n":1}'));
  await until(() => called);
  t.pass();
});

test('stop is idempotent and a stopped listener is not called again', async (t) => {
  const { segment } = createSegment(t, 'watch-stop');
  let stoppedCalls = 0;
  let liveCalls = 0;
  const stopped = segment.watch(() => (stoppedCalls += 1));
  const live = segment.watch(() => (liveCalls += 1));
  t.teardown(() => live.stop());
  stopped.stop();
  stopped.stop();
  await until(() => watchers(segment) === 1);
  segment.commit(Buffer.from('{"n":1}'));
  await until(() => liveCalls > 0);
  t.is(stoppedCalls, 0);
});

test('a burst of commits is conflated: the listener sees the final version', async (t) => {
  const { segment } = createSegment(t, 'watch-burst');
  const versions: number[] = [];
  const handle = segment.watch(() => versions.push(segment.version));
  t.teardown(() => handle.stop());
  await until(() => watchers(segment) === 1);
  for (let i = 1; i <= 1000; i += 1) segment.commit(Buffer.from(`{"n":${i}}`));
  await until(() => versions.at(-1) === 1001);
  t.true(versions.length < 1000, `conflated into ${versions.length} calls`);
});

test('a listener that throws does not stop the watcher or the other listeners', async (t) => {
  const { name } = createSegment(t, 'watch-throw');
  const child = spawnNode(t, 'watch-throwing-listener.ts', [name, '2']);
  t.is(await child.nextLine(), 'ready');
  const writer = Segment.open(name);
  t.teardown(() => writer.close());
  writer.commit(Buffer.from('{"n":1}'));
  t.is(await child.nextLine(), 'seen 1');
  writer.commit(Buffer.from('{"n":2}'));
  t.is(await child.nextLine(), 'seen 2');
  t.is(await child.nextLine(), 'uncaught 2');
  t.is((await child.exited).code, 0, child.stderr());
});

test('watch needs a function', (t) => {
  const { segment } = createSegment(t, 'watch-args');
  t.throws(() => segment.watch('x' as unknown as () => void), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message: 'Argument "listener" must be a function, got "x" (E_INVALID)',
  });
  t.is(watchers(segment), 0);
});

test('signals delivered to the process do not disturb the watcher', async (t) => {
  const { segment } = createSegment(t, 'watch-signals');
  let signals = 0;
  const onSignal = () => (signals += 1);
  process.on('SIGUSR2', onSignal);
  t.teardown(() => process.off('SIGUSR2', onSignal));
  let changed = false;
  const handle = segment.watch(() => {
    changed = segment.version > 1;
  });
  t.teardown(() => handle.stop());
  await until(() => watchers(segment) === 1);
  for (let i = 0; i < 20; i += 1) process.kill(process.pid, 'SIGUSR2');
  await until(() => signals > 0);
  t.is(watchers(segment), 1, 'still waiting');
  segment.commit(Buffer.from('{"n":1}'));
  await until(() => changed);
  t.pass();
});
