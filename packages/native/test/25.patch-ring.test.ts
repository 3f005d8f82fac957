/**
 * The patch ring through the addon: creation options, commitPatch (with the checkpoint
 * the core asks for), and the two patch reads. Patches are opaque text at this level.
 */
import test, { type ExecutionContext } from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor } from '../../../test/helpers';

function ringSegment(
  t: ExecutionContext,
  options: { ringEntries?: number; ringPatchMax?: number; capacity?: number } = {},
): Segment {
  const segment = Segment.create(segmentFor(t, 'ring'), {
    capacity: 1024,
    initial: Buffer.from('S1'),
    ...options,
  });
  t.teardown(() => segment.close());
  return segment;
}

test('a segment gets the default ring unless told otherwise', (t) => {
  t.deepEqual(ringSegment(t).ringInfo(), { entries: 1024, patchMax: 1024, deltaBytesMax: 2048 });
  t.like(ringSegment(t, { ringEntries: 4, ringPatchMax: 100 }).ringInfo(), {
    entries: 4,
    patchMax: 128,
  });
  t.deepEqual(ringSegment(t, { ringEntries: 0 }).ringInfo(), {
    entries: 0,
    patchMax: 0,
    deltaBytesMax: 0,
  });
});

test('commitPatch commits a patch; readPatches and readDelta return it', (t) => {
  const segment = ringSegment(t);
  t.is(segment.commitPatch('P2', { expectedVersion: 1, stateLength: 2 }), 2);
  t.is(segment.commitPatch('P3', { expectedVersion: 2, stateLength: 2 }), 3);
  t.deepEqual(segment.readPatches(1), { version: 3, patches: ['P2', 'P3'] });
  t.deepEqual(segment.readPatches(3), { version: 3, patches: [] });
  t.deepEqual(segment.readDelta(), {
    checkpointVersion: 1,
    state: 'S1',
    patches: ['P2', 'P3'],
    version: 3,
  });
  t.like(segment.stats(), { version: 3, checkpointVersion: 1, ringPatchBytes: 4 });
});

test('commitPatch returns 0 and commits nothing when a checkpoint is due; with the state it commits', (t) => {
  const segment = ringSegment(t, { ringEntries: 4, ringPatchMax: 64 });
  for (let version = 2; version <= 4; version += 1) {
    t.is(
      segment.commitPatch(`P${version}`, { expectedVersion: version - 1, stateLength: 2 }),
      version,
    );
  }
  // Three patches since the checkpoint at 1 in a ring of 4: a fourth is the checkpoint's.
  t.is(segment.commitPatch('P5', { expectedVersion: 4, stateLength: 2 }), 0);
  t.is(segment.version, 4);
  t.is(segment.commitPatch('P5', { expectedVersion: 4, stateLength: 2, stateText: 'S5' }), 5);
  t.like(segment.stats(), { version: 5, checkpointVersion: 5 });
  t.deepEqual(segment.readDelta(), { checkpointVersion: 5, state: 'S5', patches: [], version: 5 });
  // The ring still holds 2..5: a reader at 1 catches up by patches.
  t.deepEqual(segment.readPatches(1), { version: 5, patches: ['P2', 'P3', 'P4', 'P5'] });
  for (let version = 6; version <= 8; version += 1) {
    segment.commitPatch(`P${version}`, { expectedVersion: version - 1, stateLength: 2 });
  }
  // P6..P8 overwrote P2..P4: a reader at 3 must read afresh, one at 4 need not.
  t.is(segment.readPatches(3), null);
  t.deepEqual(segment.readPatches(4)?.patches, ['P5', 'P6', 'P7', 'P8']);
});

test('commitPatch refuses a stale version, a state over the capacity and a segment without a ring', (t) => {
  const segment = ringSegment(t);
  const conflict = t.throws(
    () => segment.commitPatch('P', { expectedVersion: 5, stateLength: 2 }),
    {
      instanceOf: ShmStateError,
    },
  );
  t.is(conflict.code, 'E_CONFLICT');
  const capacity = t.throws(
    () => segment.commitPatch('P', { expectedVersion: 1, stateLength: 1025 }),
    { instanceOf: ShmStateError },
  );
  t.is(capacity.code, 'E_CAPACITY');
  const tooBig = t.throws(
    () =>
      segment.commitPatch('P', { expectedVersion: 1, stateLength: 0, stateText: 'x'.repeat(1025) }),
    { instanceOf: ShmStateError },
  );
  t.is(tooBig.code, 'E_CAPACITY');
  t.regex(tooBig.message, /state is 1025 bytes; capacity is 1024/);
  const plain = ringSegment(t, { ringEntries: 0 });
  const noRing = t.throws(() => plain.commitPatch('P', { expectedVersion: 1, stateLength: 2 }), {
    instanceOf: ShmStateError,
  });
  t.is(noRing.code, 'E_INVALID');
  t.is(segment.version, 1);
  t.is(plain.readPatches(1)?.patches.length, 0);
  plain.commit(Buffer.from('S2'));
  t.is(plain.readPatches(1), null, 'without a ring, catching up is a fresh read');
  t.deepEqual(plain.readDelta(), { checkpointVersion: 2, state: 'S2', patches: [], version: 2 });
});

test('a commit without a patch (commit, commitText) makes catching up a fresh read', (t) => {
  const segment = ringSegment(t);
  segment.commitPatch('P2', { expectedVersion: 1, stateLength: 2 });
  segment.commitText('S3');
  t.is(segment.readPatches(1), null);
  t.deepEqual(segment.readPatches(3), { version: 3, patches: [] });
  t.deepEqual(segment.readDelta(), { checkpointVersion: 3, state: 'S3', patches: [], version: 3 });
});

test('ring arguments are checked', (t) => {
  const segment = ringSegment(t);
  for (const [call, code] of [
    [
      () => segment.commitPatch(1 as unknown as string, { expectedVersion: 1, stateLength: 1 }),
      'E_INVALID',
    ],
    [() => segment.commitPatch('P', { expectedVersion: 0, stateLength: 1 }), 'E_INVALID'],
    [() => segment.commitPatch('P', { stateLength: 1 } as never), 'E_INVALID'],
    [() => segment.commitPatch('P', { expectedVersion: 1, stateLength: -1 }), 'E_INVALID'],
    [() => segment.readPatches(-1), 'E_INVALID'],
    [() => segment.readPatches(2), 'E_INVALID'],
  ] as const) {
    t.is(t.throws(call, { instanceOf: ShmStateError }).code, code);
  }
  segment.close();
  t.is(t.throws(() => segment.readDelta(), { instanceOf: ShmStateError }).code, 'E_CLOSED');
});
