/**
 * Deltas across languages, 10,000 random small edits of a random state in each direction:
 * Python patch() -> Node changes$, and Node update() -> Python watch(). After every
 * emission the subscriber's state equals a fresh read of that version made by the writer
 * (compared by the SHA-1 of the canonical JSON), and the patches it received, applied to
 * its previous state, give that state.
 */
import test from 'ava';
import { applyJsonPatch, SharedStore, type Change } from '@shmstate/core';
import { segmentFor, spawnNode, spawnPython, type Child } from './helpers';
import { canonical, randomState, seededRandom, textHash } from './helpers/random-edits';

const EDITS = Number(process.env['DELTA_EDITS'] ?? 10_000);

/** The writer's lines "<version> <hash>" up to "done", as a map. */
async function writerHashes(writer: Child): Promise<Map<number, string>> {
  const hashes = new Map<number, string>();
  for (let line = await writer.nextLine(); line !== 'done'; line = await writer.nextLine()) {
    const [version, hash] = line.split(' ');
    hashes.set(Number(version), hash!);
  }
  await writer.done();
  return hashes;
}

function createRandomStore(t: Parameters<typeof segmentFor>[0], prefix: string, seed: number) {
  const name = segmentFor(t, prefix);
  const initial = randomState(seededRandom(seed));
  const store = SharedStore.create<Record<string, unknown>>(name, {
    initial,
    capacity: 1 << 16,
    // A small ring: checkpoints every few dozen versions, and subscribers that fall
    // behind it read the whole state, so both paths are exercised.
    ringEntries: 64,
  });
  t.teardown(() => store.close());
  return { name, store };
}

test(`Python patch() -> Node changes$: ${EDITS} random edits, every emission equals a fresh read and its patches`, async (t) => {
  t.timeout(600_000); // 10,000 edits, each checked against a fresh read: minutes on a busy machine
  const seed = 1000 + Math.floor(Math.random() * 1000);
  t.log(`seed ${seed}`);
  const { name, store } = createRandomStore(t, 'deltas-py', seed);
  const reader = SharedStore.open<Record<string, unknown>>(name);
  t.teardown(() => reader.close());
  const emissions: Array<{ version: number; hash: string }> = [];
  const problems: string[] = [];
  let previous: Change<Record<string, unknown>> | undefined;
  let patched = 0;
  const last = store.version + EDITS;
  const finished = new Promise<void>((resolve, reject) => {
    reader.changes$.subscribe({
      next: (change) => {
        const text = canonical(change.state);
        if (previous !== undefined && change.patches !== null) {
          patched += 1;
          const applied = applyJsonPatch(previous.state, change.patches).state;
          if (canonical(applied) !== text) {
            problems.push(`the patches of version ${change.version} do not give its state`);
          }
        }
        emissions.push({ version: change.version, hash: textHash(text) });
        previous = change;
        if (change.version >= last) resolve();
      },
      error: reject,
    });
  });
  const writer = spawnPython(t, 'random-patches.py', [name, String(EDITS), String(seed)]);
  const hashes = await writerHashes(writer);
  await finished;
  t.is(hashes.size, EDITS);
  for (const { version, hash } of emissions.slice(1)) {
    if (hashes.get(version) !== hash)
      problems.push(`version ${version}: state differs from a fresh read`);
  }
  t.log(`${emissions.length} emissions, ${patched} by patches, last version ${last}`);
  t.deepEqual(problems.slice(0, 5), []);
  t.true(patched > 0, 'some emissions came by patches');
  t.is(emissions[emissions.length - 1]!.version, last);
});

test(`Node update() -> Python watch(): ${EDITS} random edits, every change equals a fresh read and its patches`, async (t) => {
  t.timeout(600_000);
  const seed = 2000 + Math.floor(Math.random() * 1000);
  t.log(`seed ${seed}`);
  const { name, store } = createRandomStore(t, 'deltas-node', seed);
  const last = store.version + EDITS;
  const watcher = spawnPython(t, 'watch-deltas.py', [name, String(last)]);
  t.is(await watcher.nextLine(), 'ready');
  const writer = spawnNode(t, 'random-updates.ts', [name, String(EDITS), String(seed)]);
  const hashes = await writerHashes(writer);
  t.is(hashes.size, EDITS);
  const problems: string[] = [];
  let changes = 0;
  let patched = 0;
  let lastSeen = 0;
  for (let line = await watcher.nextLine(); line !== 'done'; line = await watcher.nextLine()) {
    const {
      v,
      h,
      ok,
      patched: byPatches,
    } = JSON.parse(line) as {
      v: number;
      h: string;
      ok: boolean;
      patched: boolean;
    };
    changes += 1;
    if (byPatches) patched += 1;
    if (!ok) problems.push(`the patches of version ${v} do not give its state`);
    if (hashes.get(v) !== h) problems.push(`version ${v}: state differs from a fresh read`);
    if (v <= lastSeen) problems.push(`version ${v} after ${lastSeen}`);
    lastSeen = v;
  }
  await watcher.done();
  t.log(`${changes} changes, ${patched} by patches, last version ${last}`);
  t.deepEqual(problems.slice(0, 5), []);
  t.true(patched > 0, 'some changes came by patches');
  t.is(lastSeen, last);
});
