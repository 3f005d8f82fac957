/**
 * The second-uid rows of the bad-input table (docs/reliability.md), Node side, with a real
 * second user: children/as-other-user.mjs runs as uid/gid 65534 ("nobody") through
 * setpriv (util-linux). A 0600 segment is E_PERM for that user; a name that user created
 * first, or a symlink that user planted, is E_PERM for root's open and openOrCreate, whose
 * message names the owner, and is never attached to (the file stays as it was).
 * Switching users needs root: elsewhere each test says "not run here: needs root".
 * test_permissions.c is the C side, test_second_uid.py the Python side.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SharedStore, ShmStateError } from '@shmstate/core';
import { segmentFor, segmentPath } from '../helpers';

const OTHER_UID = 65534;
const child = join(__dirname, 'children', 'as-other-user.mjs');

interface Outcome {
  action: string;
  uid: number;
  code: string;
  message?: string;
  created?: boolean;
}

/** True when this process can switch users; otherwise logs why the test did not run. */
function canSwitchUsers(t: ExecutionContext): boolean {
  if (process.getuid!() === 0) return true;
  t.log(
    `not run here: needs root to switch to uid ${OTHER_UID} (this runs as uid ${process.getuid!()})`,
  );
  t.pass();
  return false;
}

/** Runs the child's actions on `name` as uid/gid 65534 with no supplementary groups. */
function asOtherUser<A extends string[]>(name: string, ...actions: A): { [K in keyof A]: Outcome } {
  const ids = [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'];
  const result = spawnSync('setpriv', [...ids, process.execPath, child, name, ...actions], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new Error(`the child as uid ${OTHER_UID} failed (${result.status}): ${result.stderr}`);
  }
  const outcomes = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Outcome);
  if (outcomes.length !== actions.length) throw new Error(`the child said: ${result.stdout}`);
  for (const outcome of outcomes) {
    if (outcome.uid !== OTHER_UID) throw new Error(`the child ran as uid ${outcome.uid}`);
  }
  return outcomes as { [K in keyof A]: Outcome };
}

/** Expects `fn` to throw E_PERM whose message names the owner uid and the segment. */
function refusedNamingOwner(t: ExecutionContext, name: string, fn: () => unknown): void {
  const error = t.throws(fn, { instanceOf: ShmStateError });
  t.is(error?.code, 'E_PERM', error?.message);
  t.regex(error?.message ?? '', new RegExp(`owned by uid ${OTHER_UID}`));
  t.true(error?.message.includes(name), error?.message);
}

test('a 0600 segment is E_PERM for another user (open and openOrCreate), E_EXISTS for create', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'private');
  const store = SharedStore.create(name, { initial: { secret: 1 }, capacity: 1024 });
  t.teardown(() => store.close());
  t.is(statSync(segmentPath(name)).mode & 0o777, 0o600);

  const [open, openOrCreate, create] = asOtherUser(name, 'open', 'open-or-create', 'create');
  t.is(open.code, 'E_PERM', open.message);
  t.true(open.message?.includes(name), open.message);
  t.is(openOrCreate.code, 'E_PERM', openOrCreate.message);
  t.is(create.code, 'E_EXISTS', create.message);
  t.deepEqual(store.snapshot(), { version: 1, state: { secret: 1 }, storeId: store.storeId });
  t.is(store.stats().commits, 1, 'nobody else committed');
});

test('a name another user created first is E_PERM naming the owner, never attached', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'squat');
  const [squat] = asOtherUser(name, 'create');
  t.is(squat.code, 'ok', squat.message);
  const path = segmentPath(name);
  const before = readFileSync(path);
  t.is(statSync(path).uid, OTHER_UID);
  t.is(statSync(path).mode & 0o777, 0o644, 'readable: only the owner check can refuse it');

  refusedNamingOwner(t, name, () => SharedStore.open(name));
  refusedNamingOwner(t, name, () =>
    SharedStore.openOrCreate(name, { initial: { mine: true }, capacity: 1024 }),
  );
  const taken = t.throws(() => SharedStore.create(name, { initial: {}, capacity: 1024 }), {
    instanceOf: ShmStateError,
  });
  t.is(taken?.code, 'E_EXISTS');

  t.is(statSync(path).uid, OTHER_UID, 'still the squatter’s file');
  t.true(readFileSync(path).equals(before), 'not one byte of the squatted segment changed');
});

test('a symlink another user planted under the name is E_PERM for open and openOrCreate', (t) => {
  if (!canSwitchUsers(t)) return;
  const target = segmentFor(t, 'victim');
  const store = SharedStore.create(target, { initial: { n: 1 }, capacity: 1024 });
  t.teardown(() => store.close());
  const link = segmentFor(t, 'planted');
  const [plant] = asOtherUser(link, `symlink:${segmentPath(target)}`);
  t.is(plant.code, 'ok', plant.message);
  t.true(lstatSync(segmentPath(link)).isSymbolicLink());
  t.is(lstatSync(segmentPath(link)).uid, OTHER_UID);

  for (const attempt of [
    () => SharedStore.open(link),
    () => SharedStore.openOrCreate(link, { initial: {}, capacity: 1024 }),
  ]) {
    const error = t.throws(attempt, { instanceOf: ShmStateError });
    t.is(error?.code, 'E_PERM', error?.message);
  }
  t.deepEqual(store.snapshot(), { version: 1, state: { n: 1 }, storeId: store.storeId });
});
