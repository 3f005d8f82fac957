/**
 * Containers, emulated with namespaces: a Node subscriber in its own network, PID and
 * mount namespaces (`unshare --net --pid --mount --fork`, /dev/shm the same tmpfs) gets a
 * Python writer's commits through its doorbell, a socket file next to the segment
 * (docs/protocol.md "Doorbells"). It reports the doorbell mechanism, its entry's ring
 * count rises by one per commit, and once it is SIGKILLed the writer's next commit frees
 * its entry and removes its socket file (docs/deploy.md "Containers and network
 * namespaces").
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SharedStore } from '@shmstate/core';
import { python, segmentFor, spawnPython, track } from './helpers';

const COMMITS = 5;

interface DoorbellEntry {
  index: number;
  state: string;
  pid: number;
  socket: string;
  rings: number;
}

function doorbells(name: string): DoorbellEntry[] {
  const out = execFileSync(python, ['-m', 'shmstate', 'info', '--json', name]).toString();
  return (JSON.parse(out) as { doorbells: DoorbellEntry[] }).doorbells;
}

/** The doorbell socket files of a store in /dev/shm. */
function socketFiles(storeId: string): string[] {
  return readdirSync('/dev/shm').filter((f) => f.startsWith(`shmstate-bell.${storeId}.`));
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a Node subscriber in its own network namespace is rung by a Python writer; its socket file goes when it is killed', async (t) => {
  const name = segmentFor(t, 'netns');
  const store = SharedStore.create<{ n: number }>(name, { initial: { n: 0 } });
  t.teardown(() => store.close());
  const storeId = store.storeId;

  const child = spawn(
    'unshare',
    [
      '--net',
      '--pid',
      '--mount',
      '--fork',
      '--kill-child',
      process.execPath,
      join(__dirname, 'children', 'namespaced-subscriber.mjs'),
      name,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const subscriber = track(t, child, 'namespaced subscriber');
  const hello = JSON.parse(await subscriber.nextLine()) as { netns: string; mechanism: string };
  t.not(hello.netns, readlinkSync('/proc/self/ns/net'), 'the subscriber has its own network');
  t.is(hello.mechanism, 'doorbell');

  await until('the doorbell to be armed', () => doorbells(name)[0]?.state === 'armed');
  const [entry] = doorbells(name);
  t.is(entry?.socket, 'path');
  t.is(entry?.rings, 0);
  t.is(socketFiles(storeId).length, 1);

  for (let commit = 1; commit <= COMMITS; commit += 1) {
    await spawnPython(t, 'increment.py', [name, '1']).done();
    const change = JSON.parse(await subscriber.nextLine()) as {
      version: number;
      n: number;
      mechanism: string;
    };
    t.deepEqual(change, { version: commit + 1, n: commit, mechanism: 'doorbell' });
    // The subscriber re-arms after its delivery; the next commit then rings it again.
    await until('the doorbell to be re-armed', () => doorbells(name)[0]?.state === 'armed');
    t.is(doorbells(name)[0]?.rings, commit, `rung once per commit (commit ${commit})`);
  }

  child.kill('SIGKILL'); // unshare --kill-child takes the subscriber with it
  await subscriber.exited;
  t.is(socketFiles(storeId).length, 1, 'a killed subscriber leaves its socket file');
  await spawnPython(t, 'increment.py', [name, '1']).done();
  t.deepEqual(doorbells(name), [], "the writer freed the dead subscriber's entry");
  t.deepEqual(socketFiles(storeId), [], 'and removed its socket file');
});
