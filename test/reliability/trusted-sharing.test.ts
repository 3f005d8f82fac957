/**
 * Trusted sharing across users and read-only consumers (docs/deploy.md, docs/reliability.md
 * "Other users"), with real uids: children run as uid A, B or C through setpriv (Node) or
 * drop to them after importing (Python: the interpreter lives under root's home), with
 * numeric ids that need no passwd or group entry, so nothing is left on the machine.
 *   A (uid 61001, in group G 61000) creates the stores;
 *   B (uid 61002, in G) trusts the group;
 *   C (uid 61003, not in G) is trusted by nobody and trusts nobody.
 * A 0660 store of A's is read and written by B from Node and from Python, and B's Node
 * subscriber gets every change through its doorbell; a 0640 store is read-only for B (reads
 * and subscribes, E_PERM for writes, not one byte changed by B); every refusal is E_PERM
 * naming the reason and changes nothing. Switching users needs root: elsewhere each test
 * says "not run here: needs root".
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { python, segmentFor, segmentPath } from '../helpers';

const G = 61000;
const A = { uid: 61001, groups: [G] };
const B = { uid: 61002, groups: [G] };
const C = { uid: 61003, groups: [] as number[] };
type User = typeof A;

const nodeActor = join(__dirname, 'children', 'trust-actor.mjs');
const pythonActor = join(__dirname, 'py', 'trust_actor.py');

interface Event {
  event: string;
  uid: number;
  code: string;
  message?: string;
  readOnly?: boolean;
  state?: Record<string, unknown>;
  version?: number;
  doorbells?: number;
  /** touch: how many entries attached() listed, or the code it failed with. */
  attached?: number | string;
}

function canSwitchUsers(t: ExecutionContext): boolean {
  if (process.getuid!() === 0) return true;
  t.log(`not run here: needs root to switch users (this runs as uid ${process.getuid!()})`);
  t.pass();
  return false;
}

function setprivArgs(user: User): string[] {
  const groups =
    user.groups.length > 0 ? [`--groups=${user.groups.join(',')}`] : ['--clear-groups'];
  return [`--reuid=${user.uid}`, `--regid=${user.uid}`, ...groups];
}

function parseEvents(stdout: string, user: User): Event[] {
  const events = stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Event);
  for (const event of events) {
    if (event.uid !== user.uid) throw new Error(`a child ran as uid ${event.uid}: ${stdout}`);
  }
  return events;
}

/** Runs the Node actor as `user` to completion and returns its events. */
function node(user: User, name: string, action: string, options: object = {}): Event[] {
  const result = spawnSync(
    'setpriv',
    [...setprivArgs(user), process.execPath, nodeActor, name, action, JSON.stringify(options)],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SHMSTATE_TRUST: '' } },
  );
  if (result.status !== 0) throw new Error(`node actor as ${user.uid}: ${result.stderr}`);
  return parseEvents(result.stdout, user);
}

/** Runs the Python actor as `user` to completion and returns its events. */
function py(user: User, name: string, action: string, options: object = {}): Event[] {
  const args = [pythonActor, String(user.uid), String(user.uid), user.groups.join(','), name];
  const result = spawnSync(python, [...args, action, JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, SHMSTATE_TRUST: '' },
  });
  if (result.status !== 0) throw new Error(`python actor as ${user.uid}: ${result.stderr}`);
  return parseEvents(result.stdout, user);
}

/** Starts the Node subscriber as `user`; `next()` resolves with each event it prints. */
function subscriber(t: ExecutionContext, user: User, name: string, options: object) {
  const child = spawn(
    'setpriv',
    [...setprivArgs(user), process.execPath, nodeActor, name, 'subscribe', JSON.stringify(options)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    exited,
    async next(): Promise<Event> {
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`subscriber silent; stderr: ${stderr}`)), 20_000).unref(),
      );
      const line = await Promise.race([lines.next(), timer]);
      if (line.done === true) throw new Error(`subscriber ended; stderr: ${stderr}`);
      return parseEvents(line.value, user)[0]!;
    },
  };
}

function createAsA(t: ExecutionContext, name: string, mode: number, initial: object): void {
  const [created] = node(A, name, 'create', { initial, mode, group: G });
  t.is(created?.code, 'ok', created?.message);
}

test('a 0660 store of uid A is read and written by group member B from Node and Python, with doorbell delivery', async (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'shared');
  createAsA(t, name, 0o660, { step: 0 });

  const sub = subscriber(t, B, name, { trust: 'group', write: { step: 1, by: 'node-B' } });
  const first = await sub.next();
  t.deepEqual(first.state, { step: 0 });
  t.is(first.readOnly, false);
  const written = await sub.next();
  t.is(written.event, 'set');
  t.is(written.version, 2);
  t.deepEqual((await sub.next()).state, { step: 1, by: 'node-B' });

  const [opened, set] = py(B, name, 'touch', {
    trust: 'group',
    state: { step: 2, by: 'python-B' },
  });
  t.is(opened?.code, 'ok', opened?.message);
  t.is(opened?.readOnly, false);
  t.deepEqual(opened?.state, { step: 1, by: 'node-B' });
  t.is(set?.code, 'ok', set?.message);
  const fromPython = await sub.next();
  t.deepEqual(fromPython.state, { step: 2, by: 'python-B' });
  t.is(fromPython.doorbells, 1, 'B subscribes through a doorbell in A’s segment');

  const [, last] = node(A, name, 'touch', { state: { step: 3, last: true } });
  t.is(last?.code, 'ok', last?.message);
  const final = await sub.next();
  t.deepEqual(final.state, { step: 3, last: true });
  t.is(await sub.exited, 0);
});

test('without trust, or trusting what does not vouch for the owner, B and C get E_PERM and change nothing', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'refused');
  createAsA(t, name, 0o660, { n: 1 });
  const before = readFileSync(segmentPath(name));
  const attempts: Array<[string, Event | undefined]> = [
    ['B, no trust (Node)', node(B, name, 'touch', { state: { n: 2 } })[0]],
    ['B, no trust (Python)', py(B, name, 'touch', { state: { n: 2 } })[0]],
    ['B, another uid trusted', node(B, name, 'touch', { trust: [4242], state: { n: 2 } })[0]],
    ['C, trusting the group', node(C, name, 'touch', { trust: 'group', state: { n: 2 } })[0]],
    ['C, trusting A (Python)', py(C, name, 'touch', { trust: [A.uid], state: { n: 2 } })[0]],
  ];
  for (const [who, event] of attempts) {
    t.is(event?.event, 'open', who);
    t.is(event?.code, 'E_PERM', `${who}: ${event?.message}`);
    t.true(event?.message?.includes(name), `${who}: ${event?.message}`);
  }
  t.regex(attempts[0]![1]!.message!, /owned by uid 61001; this process runs as uid 61002/);
  t.regex(attempts[0]![1]!.message!, /trusts no other uid/);
  t.true(readFileSync(segmentPath(name)).equals(before), 'not one byte changed');
});

test('a world-writable store and a symlink stay E_PERM for a member trusting the group', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'worldw');
  createAsA(t, name, 0o660, { n: 1 });
  chmodSync(segmentPath(name), 0o666);
  const [world] = node(B, name, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(world?.code, 'E_PERM', world?.message);
  t.regex(world?.message ?? '', /world-writable/);
  const [worldPy] = py(B, name, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(worldPy?.code, 'E_PERM', worldPy?.message);

  chmodSync(segmentPath(name), 0o660);
  const link = segmentFor(t, 'link');
  symlinkSync(segmentPath(name), segmentPath(link));
  const [viaLink] = node(B, link, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(viaLink?.code, 'E_PERM', viaLink?.message);
  const [viaLinkPy] = py(B, link, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(viaLinkPy?.code, 'E_PERM', viaLinkPy?.message);
});

test('SHMSTATE_TRUST trusts for an operator; a malformed value is E_INVALID', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'env');
  createAsA(t, name, 0o660, { n: 1 });
  const run = (trust: string) =>
    spawnSync(
      'setpriv',
      [...setprivArgs(B), process.execPath, nodeActor, name, 'touch', '{"state":{"n":2}}'],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, SHMSTATE_TRUST: trust } },
    );
  const [trusted] = parseEvents(run(`uid:${A.uid}`).stdout, B);
  t.is(trusted?.code, 'ok', trusted?.message);
  const [malformed] = parseEvents(run('everyone').stdout, B);
  t.is(malformed?.code, 'E_INVALID', malformed?.message);
  t.regex(malformed?.message ?? '', /SHMSTATE_TRUST/);
});

test('a 0640 store is read-only for group member B: reads and subscribes, writes are E_PERM, no byte changes', async (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'readonly');
  createAsA(t, name, 0o640, { n: 1 });
  const before = readFileSync(segmentPath(name));

  const [opened, set] = node(B, name, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(opened?.code, 'ok', opened?.message);
  t.is(opened?.readOnly, true);
  t.deepEqual(opened?.state, { n: 1 });
  t.is(opened?.attached, 0, 'attached() lists the table of a store B may only read');
  t.is(set?.code, 'E_PERM');
  t.regex(set?.message ?? '', /read-only/);
  const [openedPy, setPy] = py(B, name, 'touch', { trust: 'group', state: { n: 2 } });
  t.is(openedPy?.readOnly, true);
  t.deepEqual(openedPy?.state, { n: 1 });
  t.is(setPy?.code, 'E_PERM', setPy?.message);

  const sub = subscriber(t, B, name, { trust: 'group' });
  const first = await sub.next();
  t.deepEqual(first.state, { n: 1 });
  t.is(first.readOnly, true);
  t.is(first.doorbells, 0, 'a read-only subscriber registers no doorbell');
  t.true(readFileSync(segmentPath(name)).equals(before), 'B changed not one byte');

  const [, last] = node(A, name, 'touch', { state: { n: 3, last: true } });
  t.is(last?.code, 'ok', last?.message);
  t.deepEqual((await sub.next()).state, { n: 3, last: true });
  t.is(await sub.exited, 0);
});

test('create with a group the creator is not in is E_PERM and leaves nothing, in Node and Python', (t) => {
  if (!canSwitchUsers(t)) return;
  const name = segmentFor(t, 'notmine');
  const [created] = node(C, name, 'create', { initial: {}, mode: 0o660, group: G });
  t.is(created?.code, 'E_PERM', created?.message);
  t.regex(created?.message ?? '', /group 61000/);
  const [createdPy] = py(C, name, 'create', { initial: {}, mode: 0o660, group: G });
  t.is(createdPy?.code, 'E_PERM', createdPy?.message);
  t.throws(() => readFileSync(segmentPath(name)), { code: 'ENOENT' });
});
