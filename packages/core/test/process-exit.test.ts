/**
 * A process whose subscriptions have ended exits by itself: the watcher keeps the event
 * loop alive only while someone subscribes, even if the store is never closed.
 */
import test from 'ava';
import { SharedStore } from '../src';
import { type Child, segmentFor, spawnNode } from '../../../test/helpers';

// The child has done all its work when the deadline starts: exiting takes milliseconds,
// so a child still running after a few seconds is being kept alive, not slow.
const EXIT_DEADLINE_MS = 5_000;

/** Resolves 'exited' when the child exits cleanly, 'hung' if it is still running at the deadline. */
async function exitOrHang(child: Child): Promise<'exited' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), EXIT_DEADLINE_MS);
  });
  const outcome = await Promise.race([child.done().then(() => 'exited' as const), deadline]);
  clearTimeout(timer);
  return outcome;
}

test('a script that reads one value with firstValueFrom(state$) exits by itself', async (t) => {
  const name = segmentFor(t, 'exits-first');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 128 });
  t.teardown(() => store.close());

  const child = spawnNode(t, 'first-value.mjs', [name]);
  t.is(await child.nextLine(), '{"n":0}');
  t.is(await exitOrHang(child), 'exited');
});

test('a script that takes one change and unsubscribes exits by itself', async (t) => {
  const name = segmentFor(t, 'exits');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 128 });
  t.teardown(() => store.close());

  const child = spawnNode(t, 'take-one-change.mjs', [name]);
  t.is(await child.nextLine(), 'ready');
  const version = store.set({ n: 1 });
  t.is(await child.nextLine(), `got ${version}`);
  t.is(await exitOrHang(child), 'exited');
});

test('a script whose waitFor() resolved exits by itself, its long timeout cleared', async (t) => {
  const name = segmentFor(t, 'exits-wait-for');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 128 });
  t.teardown(() => store.close());

  const child = spawnNode(t, 'wait-for.mjs', [name, '600000']);
  t.is(await child.nextLine(), 'ready');
  const version = store.set({ n: 1 });
  t.is(await child.nextLine(), `got ${version}`);
  t.is(await exitOrHang(child), 'exited');
});

test('a script whose waitFor() timed out exits by itself, its watcher stopped', async (t) => {
  const name = segmentFor(t, 'exits-wait-for-timeout');
  const store = SharedStore.create(name, { initial: { n: 0 }, capacity: 128 });
  t.teardown(() => store.close());

  const child = spawnNode(t, 'wait-for.mjs', [name, '100']);
  t.is(await child.nextLine(), 'ready');
  t.is(await child.nextLine(), 'E_TIMEOUT');
  t.is(await exitOrHang(child), 'exited');
});
