/**
 * The soak: two Node processes (SharedStore) and two Python processes (Store) share one
 * store for SOAK_SECONDS (default 10; CI's reliability run uses 60, longer on demand),
 * each subscribing, reading and updating with compare-and-set. Every process's anonymous
 * RSS (its own memory; the segment's shared pages are bounded by its size, and the patch
 * ring's become resident as it is first written around) at the end is within 5 MiB of its
 * value after warm-up and its fd count is unchanged; no
 * update is lost (the total counts every one of them); nothing is left in /dev/shm.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { SharedStore } from '@shmstate/core';
import { type Child, segmentFor, segmentPath, spawnNode, spawnPython } from '../helpers';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 10);
const WARM_SECONDS = Math.max(2, Math.min(10, SECONDS / 5));
const RSS_SLACK_KIB = 5 * 1024;

interface Report {
  who: string;
  warm: [number, number];
  end: [number, number, number, number, number];
}

async function report(who: string, child: Child): Promise<Report> {
  const warm = (await child.nextLine()).split(' ');
  const end = (await child.nextLine()).split(' ');
  if (warm[0] !== 'warm' || end[0] !== 'end') throw new Error(`${who}: ${warm} / ${end}`);
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`${who} exited with ${code}: ${child.stderr()}`);
  return {
    who,
    warm: [Number(warm[1]), Number(warm[2])],
    end: end.slice(1, 6).map(Number) as Report['end'],
  };
}

test(`soak: Node and Python subscribe, read and update for ${SECONDS} s; RSS and fds flat`, async (t) => {
  t.timeout((SECONDS + 120) * 1000);
  const name = segmentFor(t, 'soak');
  const store = SharedStore.create(name, { initial: { total: 0 }, capacity: 64 * 1024 });
  const args = [name, String(SECONDS), String(WARM_SECONDS)];
  const node = () =>
    spawnNode(t, 'soak-worker.mjs', args, {
      // A fixed young generation: V8 grows its semi-spaces with allocation rate, which
      // moves RSS by several MiB without any leak. Pinned, RSS growth is the heap's own.
      nodeArgs: ['--expose-gc', '--min-semi-space-size=8', '--max-semi-space-size=8'],
    });
  const workers: Array<[string, Child]> = [
    ['node-1', node()],
    ['node-2', node()],
    ['python-1', spawnPython(t, 'soak_worker.py', args)],
    ['python-2', spawnPython(t, 'soak_worker.py', args)],
  ];
  const reports = await Promise.all(workers.map(([who, child]) => report(who, child)));

  let updates = 0;
  for (const { who, warm, end } of reports) {
    const [rss, fds, workerUpdates, reads, emissions] = end;
    t.log(
      `${who}: rss ${warm[0]} -> ${rss} KiB (${rss - warm[0] >= 0 ? '+' : ''}${rss - warm[0]}), ` +
        `fds ${warm[1]} -> ${fds}, ${workerUpdates} updates, ${reads} reads, ${emissions} emissions`,
    );
    if (fds !== warm[1]) t.log(workers.find(([w]) => w === who)![1].stderr());
  }
  for (const { who, warm, end } of reports) {
    const [rss, fds, workerUpdates, , emissions] = end;
    updates += workerUpdates;
    t.true(rss - warm[0] <= RSS_SLACK_KIB, `${who}: RSS grew ${rss - warm[0]} KiB after warm-up`);
    t.is(fds, warm[1], `${who}: fd count changed`);
    t.true(workerUpdates > 0 && emissions > 0, `${who} made progress`);
  }
  t.is((store.get() as { total: number }).total, updates, 'every update is counted once');
  store.close();
  SharedStore.unlink(name);
  t.false(existsSync(segmentPath(name)), 'nothing left in /dev/shm');
});
