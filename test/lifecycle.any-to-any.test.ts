/**
 * Lifecycle across languages. A subscriber started 2 s before its publisher gets the
 * publisher's first state (Node waiting with openWhenReady and Python publishing; Python
 * waiting with Store.open(wait=) and Node publishing). A self-cleaning store whose
 * attached Node and Python processes were all killed with SIGKILL is removed by the next
 * `shmstate ls`, or by the next open (E_NOENT) in Node and in Python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import test from 'ava';
import { SharedStore, ShmStateError } from '@shmstate/core';
import { python, segmentFor, segmentPath, spawnNode, spawnPython } from './helpers';

const FIRST = { pose: { x: 1.5, y: -2 }, tick: 1, label: 'first' };

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('a Node subscriber started 2 s before its Python publisher gets its first state', async (t) => {
  const name = segmentFor(t, 'ready-py-node');
  const subscriber = spawnNode(t, 'open-when-ready.mjs', [name, 'hold']);
  t.is(await subscriber.nextLine(), 'waiting');
  await sleep(2000);
  const publisher = spawnPython(t, 'publish.py', [name, JSON.stringify(FIRST)]);
  t.is(await publisher.nextLine(), 'published');
  t.deepEqual(JSON.parse(await subscriber.nextLine()), { version: 1, state: FIRST });
  publisher.process.stdin?.end();
  await publisher.done();
});

test('a Python subscriber started 2 s before its Node publisher gets its first state', async (t) => {
  const name = segmentFor(t, 'ready-node-py');
  const subscriber = spawnPython(t, 'open-when-ready.py', [name, 'hold']);
  t.is(await subscriber.nextLine(), 'waiting');
  await sleep(2000);
  const publisher = SharedStore.create(name, { initial: FIRST, capacity: 4096 });
  t.teardown(() => publisher.close());
  t.deepEqual(JSON.parse(await subscriber.nextLine()), { version: 1, state: FIRST });
});

/** A self-cleaning store created by Python, held by a Node and a Python process, whose
 * creator then left: both holders are SIGKILLed, and the store is still in /dev/shm. */
async function orphaned(t: Parameters<typeof segmentFor>[0], prefix: string): Promise<string> {
  const name = segmentFor(t, prefix);
  const creator = spawnPython(t, 'publish.py', [name, JSON.stringify(FIRST), 'clean']);
  t.is(await creator.nextLine(), 'published');
  const holders = [
    spawnNode(t, 'open-when-ready.mjs', [name, 'hold']),
    spawnPython(t, 'open-when-ready.py', [name, 'hold']),
  ];
  for (const holder of holders) {
    t.is(await holder.nextLine(), 'waiting');
    t.deepEqual(JSON.parse(await holder.nextLine()), { version: 1, state: FIRST });
  }
  creator.process.stdin?.end();
  await creator.done();
  t.true(existsSync(segmentPath(name)), 'the holders keep it');
  for (const holder of holders) {
    holder.process.kill('SIGKILL');
    await holder.exited;
  }
  t.true(existsSync(segmentPath(name)), 'nobody has looked yet');
  return name;
}

test.serial(
  'after every Node and Python holder is SIGKILLed, shmstate ls removes a self-cleaning store',
  async (t) => {
    const name = await orphaned(t, 'clean-ls');
    const ls = spawnSync(python, ['-m', 'shmstate', 'ls'], { encoding: 'utf8', timeout: 30_000 });
    t.is(ls.status, 0, ls.stderr);
    t.regex(ls.stderr, new RegExp(`removed ${name}: self-cleaning`));
    t.false(existsSync(segmentPath(name)));
  },
);

test.serial('after every holder is SIGKILLed, a Node open is E_NOENT and removes it', async (t) => {
  const name = await orphaned(t, 'clean-open-node');
  const err = t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError });
  t.is(err?.code, 'E_NOENT');
  t.false(existsSync(segmentPath(name)));
});

test.serial(
  'after every holder is SIGKILLed, a Python open is E_NOENT and removes it',
  async (t) => {
    const name = await orphaned(t, 'clean-open-py');
    const open = spawnSync(
      python,
      [
        '-c',
        `from shmstate import Store\ntry:\n    Store.open(${JSON.stringify(name)})\nexcept FileNotFoundError as e:\n    print(e)`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    t.is(open.status, 0, open.stderr);
    t.regex(open.stdout, /self-cleaning.*\(E_NOENT\)/);
    t.false(existsSync(segmentPath(name)));
  },
);
