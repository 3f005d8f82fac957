/**
 * Readers catch up through the patch ring: structural sharing, `select` by reference,
 * `Change.patches`, every-change streams, and the fall-backs to a full read.
 */
import test from 'ava';
import { firstValueFrom, take, toArray } from 'rxjs';
import { applyJsonPatch, SharedStore, type Change } from '../src';
import { Segment } from '@shmstate/native';
import { segmentFor } from '../../../test/helpers';
import { trackVersions } from './helpers/track-versions';

interface World {
  a: { b: number; c: { d: number[] } };
  other: { deep: { list: number[] } };
  pose: { x: number; y: number };
  tick: number;
}

const initial: World = {
  a: { b: 0, c: { d: [1, 2, 3] } },
  other: { deep: { list: [4, 5, 6] } },
  pose: { x: 0, y: 0 },
  tick: 0,
};

function pair(t: Parameters<typeof segmentFor>[0], options: { ringEntries?: number } = {}) {
  const name = segmentFor(t, 'deltas');
  const writer = SharedStore.create<World>(name, { initial, capacity: 1 << 16, ...options });
  t.teardown(() => writer.close());
  const reader = SharedStore.open<World>(name);
  t.teardown(() => reader.close());
  return { name, writer, reader };
}

test('after a change to a.b every subtree off its path is the same object, in both handles', (t) => {
  const { writer, reader } = pair(t);
  const readerBefore = reader.get();
  const writerBefore = writer.get();
  writer.update((draft) => {
    draft.a.b = 7;
  });
  for (const [before, after] of [
    [readerBefore, reader.get()],
    [writerBefore, writer.get()],
  ] as const) {
    t.is(after.a.b, 7);
    t.not(after, before, 'the root is on the path');
    t.not(after.a, before.a, 'a is on the path');
    t.is(after.a.c, before.a.c, 'a.c is off the path');
    t.is(after.other, before.other);
    t.is(after.pose, before.pose);
    t.true(Object.isFrozen(after) && Object.isFrozen(after.a));
  }
});

test('select(s => s.other) does not emit for a change elsewhere; select(s => s.a) does', async (t) => {
  const { writer, reader } = pair(t);
  const others: unknown[] = [];
  const as: unknown[] = [];
  reader.select((s) => s.other).subscribe((other) => others.push(other));
  reader.select((s) => s.a).subscribe((a) => as.push(a));
  const reached = trackVersions(t, reader);
  for (let i = 1; i <= 5; i += 1) {
    writer.update((draft) => {
      draft.a.b = i;
    });
  }
  await reached(6);
  t.is(others.length, 1, 'only the first emission: other never changed');
  t.true(as.length >= 2);
  t.is((as[as.length - 1] as World['a']).b, 5);
});

test('changes$ carries the patches from the previous emission; applied, they give the state', async (t) => {
  const { writer, reader } = pair(t);
  const received: Change<World>[] = [];
  reader.changes$.subscribe((change) => received.push(change));
  const reached = trackVersions(t, reader);
  writer.update((draft) => {
    draft.pose.x = 1.5;
  });
  writer.patch([{ op: 'add', path: '/other/deep/list/-', value: 7 }]);
  writer.update((draft) => {
    draft.tick += 1;
    draft.a.c.d.splice(0, 1);
  });
  await reached(4);
  t.is(received[0]!.patches, null, 'the first emission is a full state');
  for (let i = 1; i < received.length; i += 1) {
    const { patches, state } = received[i]!;
    t.not(patches, null);
    t.deepEqual(applyJsonPatch(received[i - 1]!.state, patches!).state, state);
    t.true(Object.isFrozen(patches));
  }
  t.deepEqual(received[received.length - 1]!.state, writer.get());
});

test('everyChange$ delivers every version once, in order, with its own patch', async (t) => {
  const { writer, reader } = pair(t);
  const every: Change<World>[] = [];
  reader.everyChange$.subscribe((change) => every.push(change));
  const done = firstValueFrom(reader.everyChange$.pipe(take(201), toArray()));
  // 200 commits back to back, no await in between: latest-wins would conflate them.
  for (let i = 1; i <= 200; i += 1) {
    writer.patch([{ op: 'replace', path: '/tick', value: i }]);
  }
  await done;
  t.deepEqual(
    every.map((change) => change.version),
    Array.from({ length: 201 }, (_, i) => i + 1),
  );
  t.true(every.every((change) => change.missed === 0));
  for (let i = 1; i < every.length; i += 1) {
    t.deepEqual(every[i]!.patches, [{ op: 'replace', path: '/tick', value: i }]);
    t.is(every[i]!.state.tick, i);
  }
});

test('an every-change subscriber that falls behind the ring resumes at the checkpoint, missed exact', async (t) => {
  const { writer, reader } = pair(t, { ringEntries: 8 });
  const every: Change<World>[] = [];
  reader.everyChange$.subscribe((change) => every.push(change));
  const reached = trackVersions(t, reader);
  // Synchronous commits: the subscriber's event loop is blocked while 50 versions land,
  // more than the 8-entry ring holds.
  for (let i = 1; i <= 50; i += 1) {
    writer.patch([{ op: 'replace', path: '/tick', value: i }]);
  }
  await reached(51);
  // It reads the checkpoint whole (the versions before it are lost, and counted), then
  // every version after it by its patch.
  const checkpoint = writer.stats().checkpointVersion;
  t.true(checkpoint > 2 && checkpoint <= 51);
  const expected = [
    [1, 0],
    [checkpoint, checkpoint - 2],
  ];
  for (let version = checkpoint + 1; version <= 51; version += 1) expected.push([version, 0]);
  t.deepEqual(
    every.map(({ version, missed }) => [version, missed]),
    expected,
  );
  t.is(every[1]!.patches, null);
  t.is(every[1]!.state.tick, checkpoint - 1);
  t.true(every.slice(2).every((change) => change.patches !== null));
  // Within the ring again: every version.
  for (let i = 51; i <= 53; i += 1) writer.patch([{ op: 'replace', path: '/tick', value: i }]);
  await reached(54);
  t.deepEqual(
    every.slice(-3).map(({ version, missed }) => [version, missed]),
    [
      [52, 0],
      [53, 0],
      [54, 0],
    ],
  );
});

test('a set() is a full state to subscribers; a jump counts the versions jumped over', async (t) => {
  const { name, writer, reader } = pair(t);
  const every: Change<World>[] = [];
  reader.everyChange$.subscribe((change) => every.push(change));
  const reached = trackVersions(t, reader);
  writer.set({ ...initial, tick: 99 });
  await reached(2);
  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  raw.commitText(JSON.stringify({ ...initial, tick: 100 }), { version: 10 });
  await reached(10);
  writer.patch([{ op: 'replace', path: '/tick', value: 101 }]);
  await reached(11);
  t.deepEqual(
    every.map(({ version, missed, patches }) => [version, missed, patches === null]),
    [
      [1, 0, true],
      [2, 0, true],
      [10, 7, true],
      [11, 0, false],
    ],
  );
  t.is(every[3]!.state.tick, 101);
});

test('a ring entry that does not apply makes the reader read the whole state; the stream goes on', async (t) => {
  const { name, writer, reader } = pair(t);
  const changes: Change<World>[] = [];
  const errors: unknown[] = [];
  reader.changes$.subscribe({
    next: (change) => changes.push(change),
    error: (e) => errors.push(e),
  });
  const reached = trackVersions(t, reader);
  // A raw writer commits a well-formed patch that names nothing, with the true state as the
  // checkpoint: readers that catch up by patches cannot apply it.
  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  const next = { ...initial, tick: 5 };
  raw.commitPatch(JSON.stringify([{ op: 'remove', path: '/nothing/here' }]), {
    expectedVersion: 1,
    stateLength: Buffer.byteLength(JSON.stringify(next)),
    stateText: JSON.stringify(next),
  });
  await reached(2);
  t.deepEqual(errors, []);
  t.deepEqual(reader.get(), next);
  t.is(changes[changes.length - 1]!.patches, null);
  writer.patch([{ op: 'replace', path: '/tick', value: 6 }]);
  await reached(3);
  t.is(reader.get().tick, 6);
  t.deepEqual(changes[changes.length - 1]!.patches, [{ op: 'replace', path: '/tick', value: 6 }]);
});

test('a fresh reader applies the patches after the checkpoint', (t) => {
  const { name, writer } = pair(t);
  for (let i = 1; i <= 30; i += 1) writer.patch([{ op: 'replace', path: '/tick', value: i }]);
  const stats = writer.stats();
  t.true(stats.checkpointVersion < stats.version, 'patches after the checkpoint');
  const fresh = SharedStore.open<World>(name);
  t.teardown(() => fresh.close());
  t.deepEqual(fresh.snapshot(), {
    version: 31,
    state: { ...initial, tick: 30 },
    storeId: writer.storeId,
  });
});

test('damaged patch texts (not JSON, not arrays, ops that do not apply) never break a reader', async (t) => {
  const { name, reader } = pair(t);
  const raw = Segment.open(name);
  t.teardown(() => raw.close());
  const changes: Change<World>[] = [];
  const errors: unknown[] = [];
  reader.changes$.subscribe({ next: (c) => changes.push(c), error: (e) => errors.push(e) });
  const every: Change<World>[] = [];
  reader.everyChange$.subscribe({ next: (c) => every.push(c), error: (e) => errors.push(e) });
  const reached = trackVersions(t, reader);
  // A seeded generator of bad patch texts: a reader must fall back to the checkpoint each
  // commit carries, whatever the text.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const texts = [
    () => '',
    () => '{',
    () => '[',
    () => 'null',
    () => '{"op":"add","path":"/a","value":1}',
    () => '[1,2,3]',
    () => '[{"op":"remove","path":"/nope"}]',
    () => '[{"op":"add","path":"/tick/x","value":1}]',
    () => '[{"op":"move","from":"/a","path":"/a/c/x"}]',
    () => '[{"op":"test","path":"/tick","value":"wrong"}]',
    () => `[{"op":"replace","path":"/tick","value":${'['.repeat(80)}${']'.repeat(80)}}]`,
    () => String.fromCharCode(...Array.from({ length: 40 }, () => 32 + Math.floor(random() * 90))),
  ];
  let version = reader.version;
  for (let i = 0; i < 200; i += 1) {
    const text = texts[Math.floor(random() * texts.length)]!();
    const state = { ...initial, tick: i + 1 };
    const stateText = JSON.stringify(state);
    version = raw.commitPatch(text, {
      expectedVersion: version,
      stateLength: Buffer.byteLength(stateText),
      stateText,
    });
    if (i % 10 === 0) t.deepEqual(reader.get(), state);
  }
  await reached(version);
  t.deepEqual(errors, []);
  t.deepEqual(reader.get(), { ...initial, tick: 200 });
  t.is(changes.at(-1)!.version, version);
  t.is(every.at(-1)!.version, version);
  t.is(every.at(-1)!.state.tick, 200);
});
