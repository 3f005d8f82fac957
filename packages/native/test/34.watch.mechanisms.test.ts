import test, { type ExecutionContext } from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { exitWithin, segmentFor, spawnNode } from '../../../test/helpers';

// The watch behaviours that matter, under each notification mechanism (SHMSTATE_NOTIFY):
// the doorbell the event loop polls, and the watcher thread. The mechanism is read when a
// native watcher starts, so setting the variable around watch() picks it; the rest of
// the suite runs under whatever the environment says (the default is the doorbell).
const mechanisms = ['doorbell', 'thread'] as const;
type Mechanism = (typeof mechanisms)[number];

function watchWith(mechanism: Mechanism, segment: Segment, listener: () => void) {
  const saved = process.env['SHMSTATE_NOTIFY'];
  process.env['SHMSTATE_NOTIFY'] = mechanism;
  try {
    return segment.watch(listener);
  } finally {
    if (saved === undefined) delete process.env['SHMSTATE_NOTIFY'];
    else process.env['SHMSTATE_NOTIFY'] = saved;
  }
}

function createSegment(t: ExecutionContext, prefix: string): { name: string; segment: Segment } {
  const name = segmentFor(t, prefix);
  const segment = Segment.create(name, { capacity: 256, initial: Buffer.from('{"n":0}') });
  t.teardown(() => segment.close());
  return { name, segment };
}

/** Which mechanism watches the segment, from the header's counts. */
function inUse(segment: Segment): string {
  const { waiters, doorbells } = segment.stats();
  return `${waiters} waiter(s), ${doorbells} doorbell(s)`;
}
const expected: Record<Mechanism, string> = {
  doorbell: '0 waiter(s), 1 doorbell(s)',
  thread: '1 waiter(s), 0 doorbell(s)',
};

function until(predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (predicate() ? resolve() : setImmediate(check));
    check();
  });
}

for (const mechanism of mechanisms) {
  test(`${mechanism}: notifyMechanism names it while someone watches, undefined after`, async (t) => {
    const { segment } = createSegment(t, `mech-name-${mechanism}`);
    t.is(segment.notifyMechanism, undefined);
    const handle = watchWith(mechanism, segment, () => {});
    t.is(segment.notifyMechanism, mechanism);
    await until(() => inUse(segment) === expected[mechanism]); // the thread blocks soon after
    handle.stop();
    t.is(segment.notifyMechanism, undefined);
  });

  test(`${mechanism}: a commit by another process reaches the listener`, async (t) => {
    const { name, segment } = createSegment(t, `mech-cross-${mechanism}`);
    let seen = 1;
    const handle = watchWith(mechanism, segment, () => (seen = segment.version));
    t.teardown(() => handle.stop());
    await until(() => inUse(segment) === expected[mechanism]);
    const child = spawnNode(t, 'commit-once.ts', [name, '{"n":1}']);
    t.is(await child.nextLine(), '2');
    await until(() => seen === 2);
    t.is(segment.read().bytes.toString(), '{"n":1}');
    t.is((await child.exited).code, 0);
  });

  test(`${mechanism}: a burst is conflated and its last version arrives`, async (t) => {
    const { segment } = createSegment(t, `mech-burst-${mechanism}`);
    const versions: number[] = [];
    const handle = watchWith(mechanism, segment, () => versions.push(segment.version));
    t.teardown(() => handle.stop());
    await until(() => inUse(segment) === expected[mechanism]);
    for (let i = 1; i <= 1000; i += 1) segment.commit(Buffer.from(`{"n":${i}}`));
    await until(() => versions.at(-1) === 1001);
    t.true(versions.length < 1000, `conflated into ${versions.length} calls`);
  });

  test(`${mechanism}: listeners share one registration that the last stop removes`, async (t) => {
    const { segment } = createSegment(t, `mech-share-${mechanism}`);
    const calls = [0, 0];
    const handles = calls.map((_, i) => watchWith(mechanism, segment, () => (calls[i]! += 1)));
    await until(() => inUse(segment) === expected[mechanism]);
    segment.commit(Buffer.from('{"n":1}'));
    await until(() => calls.every((n) => n > 0));
    handles[0]!.stop();
    t.is(inUse(segment), expected[mechanism]);
    handles[1]!.stop();
    t.is(inUse(segment), '0 waiter(s), 0 doorbell(s)');
  });

  test(`${mechanism}: after the last stop the process exits on its own`, async (t) => {
    const { segment, name } = createSegment(t, `mech-exit-${mechanism}`);
    const child = spawnNode(t, 'watch-one-change.ts', [name], {
      env: { SHMSTATE_NOTIFY: mechanism },
    });
    t.teardown(() => child.process.kill('SIGKILL'));
    t.is(await child.nextLine(), 'ready');
    t.is(await exitWithin(child, 500), undefined, 'a watching process stays alive');
    t.is(inUse(segment), expected[mechanism]);
    segment.commit(Buffer.from('{"n":1}'));
    t.is(await child.nextLine(), 'changed 2');
    t.deepEqual(await exitWithin(child, 5000), { code: 0, signal: null }, child.stderr());
    t.is(inUse(segment), '0 waiter(s), 0 doorbell(s)');
  });
}

test('a doorbell subscriber killed without unregistering is reclaimed by the next commit', async (t) => {
  const { segment, name } = createSegment(t, 'mech-reclaim');
  const child = spawnNode(t, 'watch-one-change.ts', [name], {
    env: { SHMSTATE_NOTIFY: 'doorbell' },
  });
  t.is(await child.nextLine(), 'ready');
  t.is(segment.stats().doorbells, 1);
  child.process.kill('SIGKILL');
  await child.exited;
  segment.commit(Buffer.from('{"n":1}'));
  const stats = segment.stats();
  t.is(stats.doorbells, 0);
  t.is(stats.doorbellReclaims, 1);
});

test('past 64 doorbell subscribers a watch falls back to the watcher thread', async (t) => {
  const { name, segment } = createSegment(t, 'mech-full');
  // Each open handle in this process is one subscriber of the segment.
  const others = Array.from({ length: 64 }, () => Segment.open(name));
  t.teardown(() => others.forEach((other) => other.close()));
  const handles = others.map((other) => watchWith('doorbell', other, () => undefined));
  t.is(segment.stats().doorbells, 64);
  let seen = 1;
  const fallback = watchWith('doorbell', segment, () => (seen = segment.version));
  t.teardown(() => fallback.stop());
  await until(() => segment.stats().waiters === 1);
  segment.commit(Buffer.from('{"n":1}'));
  await until(() => seen === 2);
  handles.forEach((handle) => handle.stop());
  t.is(segment.stats().doorbells, 0);
});

test('an unknown SHMSTATE_NOTIFY value is refused with the accepted values', (t) => {
  const { segment } = createSegment(t, 'mech-unknown');
  t.throws(() => watchWith('futex' as Mechanism, segment, () => undefined), {
    instanceOf: ShmStateError,
    code: 'E_INVALID',
    message:
      'Environment variable SHMSTATE_NOTIFY must be "doorbell" or "thread", got "futex" (E_INVALID)',
  });
  t.is(inUse(segment), '0 waiter(s), 0 doorbell(s)');
});
