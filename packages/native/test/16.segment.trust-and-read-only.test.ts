// The open options of trusted sharing (docs/node.md, "Sharing between users"): `trust` and
// `readOnly` checked before the core, the trust grammar checked by it, a read-only handle
// that reads and watches but commits nothing, and `group` at create. The cross-user cases
// with real uids are test/reliability/trusted-sharing.test.ts.
import { readFileSync, statSync } from 'node:fs';
import test from 'ava';
import { Segment, ShmStateError } from '../src/index';
import { segmentFor, segmentPath } from '../../../test/helpers';

const initial = Buffer.from('{"n":0}');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ShmStateError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return undefined;
}

test('trust accepts "group", uids, arrays of both and the text grammar; refuses the rest with E_INVALID', (t) => {
  const name = segmentFor(t, 'trust-args');
  const creator = Segment.create(name, { capacity: 256, initial });
  t.teardown(() => creator.close());
  for (const trust of ['group', 1001, ['group', 0], 'uid:7,group', '', []] as const) {
    const opened = Segment.open(name, { trust });
    opened.close();
    t.pass();
  }
  t.regex(
    code(() => Segment.open(name, { trust: 'everyone' })) ?? '',
    /^E_INVALID: trust "everyone"/,
  );
  t.regex(
    code(() => Segment.open(name, { trust: [-1] as never })) ?? '',
    /^E_INVALID: Option "trust" items/,
  );
  t.regex(code(() => Segment.open(name, { trust: [1.5] as never })) ?? '', /^E_INVALID/);
  t.regex(code(() => Segment.open(name, { trust: {} as never })) ?? '', /^E_INVALID/);
  t.regex(
    code(() => Segment.open(name, { readOnly: 1 as never })) ?? '',
    /^E_INVALID: Option "readOnly" must be a boolean, got 1/,
  );
});

test('a read-only handle reads and watches; its commits are E_PERM and the file is unchanged', async (t) => {
  const name = segmentFor(t, 'read-only');
  const creator = Segment.create(name, { capacity: 256, initial });
  t.teardown(() => creator.close());
  const reader = Segment.open(name, { readOnly: true });
  t.teardown(() => reader.close());
  t.true(reader.readOnly);
  t.false(creator.readOnly);
  const before = readFileSync(segmentPath(name));
  t.deepEqual(reader.read(), { version: 1, bytes: initial });
  t.regex(code(() => reader.commit(Buffer.from('{}'))) ?? '', /^E_PERM: .*open read-only/);
  t.regex(code(() => reader.commitText('{}')) ?? '', /^E_PERM/);
  t.deepEqual(
    reader.attached().filter((entry) => entry.self),
    [],
    'a read-only handle is not in the attach table',
  );
  t.true(readFileSync(segmentPath(name)).equals(before), 'not one byte changed');

  const seen = new Promise<number>((resolve) => {
    const handle = reader.watch(() => {
      if (reader.version < 2) return;
      handle.stop();
      resolve(reader.version);
    });
  });
  t.is(reader.stats().doorbells, 0, 'no doorbell: the watch runs on a thread');
  creator.commit(Buffer.from('{"n":1}'));
  t.is(await seen, 2);
});

test('create gives the segment the group asked for; an unknown group name is E_INVALID', (t) => {
  const name = segmentFor(t, 'group');
  const gid = process.getegid!();
  Segment.create(name, { capacity: 256, initial, mode: 0o640, group: gid }).close();
  t.is(statSync(segmentPath(name)).gid, gid);
  t.is(statSync(segmentPath(name)).mode & 0o777, 0o640);
  const unknown = segmentFor(t, 'group-unknown');
  t.regex(
    code(() => Segment.create(unknown, { capacity: 256, initial, group: 'no-such-group-here' })) ??
      '',
    /^E_INVALID: group "no-such-group-here"/,
  );
  t.regex(
    code(() => Segment.create(unknown, { capacity: 256, initial, group: -1 })) ?? '',
    /^E_INVALID/,
  );
  t.throws(() => statSync(segmentPath(unknown)), { code: 'ENOENT' });
});
