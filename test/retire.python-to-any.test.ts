/**
 * Replacing a store never strands anyone. A Python writer's "clean restart"
 * (`Store.unlink(name)`, `Store.create(name, ...)`, 3 versions): a Node `state$` subscriber
 * and a Python `watch()` both end with E_RETIRED within 100 ms of the unlink (the
 * acceptance bound, measured on CLOCK_MONOTONIC in both processes); with the re-open option
 * (Node `{ reopen: true }`, Python `reopen=True`) both carry on with the new store and see
 * its states. A segment file removed by hand (`rm /dev/shm/...`) is found at the writer's
 * next commit: the writer is refused with E_RETIRED and the subscribers end with it.
 */
import { unlinkSync } from 'node:fs';
import test from 'ava';
import { type Change, SharedStore, ShmStateError } from '@shmstate/core';
import { segmentFor, segmentPath, spawnPython, type Child } from './helpers';

/** The acceptance bound from the unlink to each subscriber's error, in ms. */
const RETIRED_WITHIN_MS = 100;

interface State {
  gen: number;
  n: number;
}

interface NodeEnd {
  states: State[];
  changes: Change<State>[];
  code: string | undefined;
  atNs: bigint;
}

/** Follows `store.changes$` in this process until it errors, or until `until` is seen. */
function follow(store: SharedStore<State>, until?: State): Promise<NodeEnd> {
  return new Promise((resolve) => {
    const end: NodeEnd = { states: [], changes: [], code: undefined, atNs: 0n };
    const subscription = store.changes$.subscribe({
      next: (change) => {
        end.changes.push(change);
        end.states.push(change.state as State);
        if (until !== undefined && change.state.gen === until.gen && change.state.n === until.n) {
          subscription.unsubscribe();
          resolve(end);
        }
      },
      error: (error: unknown) => {
        end.atNs = process.hrtime.bigint(); // CLOCK_MONOTONIC, as Python's monotonic_ns
        end.code = error instanceof ShmStateError ? error.code : String(error);
        resolve(end);
      },
    });
  });
}

async function startWriter(t: Parameters<typeof segmentFor>[0], name: string): Promise<Child> {
  const writer = spawnPython(t, 'retire-writer.py', [name]);
  t.is(await writer.nextLine(), 'created');
  t.teardown(() => writer.process.stdin?.end());
  return writer;
}

async function startWatcher(name: string, child: Child): Promise<Child> {
  void name;
  if ((await child.nextLine()) !== 'ready') throw new Error('the watcher did not start');
  return child;
}

/** Every JSON line of a Python watcher until it ends. */
async function linesOf(child: Child): Promise<Array<Record<string, unknown>>> {
  const lines: Array<Record<string, unknown>> = [];
  for (;;) {
    const line = await child.nextLine().catch(() => undefined);
    if (line === undefined) return lines;
    lines.push(JSON.parse(line) as Record<string, unknown>);
  }
}

test.serial(
  'a Python restart ends a Node state$ and a Python watch() with E_RETIRED within 100 ms',
  async (t) => {
    const name = segmentFor(t, 'retire-restart');
    const writer = await startWriter(t, name);
    const store = SharedStore.open<State>(name);
    t.teardown(() => store.close());
    const nodeEnd = follow(store);
    const watcher = await startWatcher(name, spawnPython(t, 'retire-watch.py', [name]));
    const pythonLines = linesOf(watcher);
    writer.process.stdin?.write('restart\n');
    const unlinked = BigInt((JSON.parse(await writer.nextLine()) as { unlinked: number }).unlinked);
    t.is(await writer.nextLine(), 'written');

    const node = await nodeEnd;
    t.is(node.code, 'E_RETIRED');
    t.deepEqual(node.states, [{ gen: 1, n: 0 }], 'the old store only, then the error');
    const nodeMs = Number(node.atNs - unlinked) / 1e6;
    t.true(nodeMs < RETIRED_WITHIN_MS, `Node ended ${nodeMs.toFixed(2)} ms after the unlink`);

    const python = await pythonLines;
    const last = python.at(-1) as { error: string; at: number };
    t.is(last.error, 'E_RETIRED');
    t.deepEqual(python[0]?.['state'], { gen: 1, n: 0 });
    const pythonMs = Number(BigInt(last.at) - unlinked) / 1e6;
    t.true(pythonMs < RETIRED_WITHIN_MS, `Python ended ${pythonMs.toFixed(2)} ms after the unlink`);
    t.log(
      `E_RETIRED after the unlink: Node ${nodeMs.toFixed(2)} ms, Python ${pythonMs.toFixed(2)} ms`,
    );
    // The name names the new store; the old handle still reads its last state.
    t.deepEqual(store.get(), { gen: 1, n: 0 });
    const fresh = SharedStore.open<State>(name);
    t.teardown(() => fresh.close());
    t.deepEqual(fresh.get(), { gen: 2, n: 3 });
  },
);

test.serial('with the re-open option, Node and Python carry on with the new store', async (t) => {
  const name = segmentFor(t, 'retire-reopen');
  const writer = await startWriter(t, name);
  const store = SharedStore.open<State>(name, { reopen: true });
  t.teardown(() => store.close());
  const nodeEnd = follow(store, { gen: 2, n: 3 });
  const watcher = await startWatcher(name, spawnPython(t, 'retire-watch.py', [name, 'reopen']));
  const pythonLines = linesOf(watcher);
  writer.process.stdin?.write('restart\n');
  await writer.nextLine();
  t.is(await writer.nextLine(), 'written');

  const node = await nodeEnd;
  t.is(node.code, undefined);
  t.deepEqual(node.states[0], { gen: 1, n: 0 });
  const replacedAt = node.changes.findIndex((change) => change.replaced);
  t.true(replacedAt > 0, 'one emission says the store was replaced');
  const replaced = node.changes[replacedAt]!;
  t.is(replaced.state.gen, 2);
  t.is(replaced.missed, replaced.version - 1);
  t.is(replaced.patches, null);
  t.not(replaced.storeId, node.changes[0]!.storeId);
  t.deepEqual(node.states.at(-1), { gen: 2, n: 3 });
  t.is(node.changes.filter((change) => change.replaced).length, 1);

  const python = await pythonLines;
  t.deepEqual(python[0]?.['state'], { gen: 1, n: 0 });
  const pythonReplaced = python.filter((line) => line['replaced'] === true);
  t.is(pythonReplaced.length, 1);
  t.is((pythonReplaced[0]?.['state'] as State).gen, 2);
  t.deepEqual(python.at(-1)?.['state'], { gen: 2, n: 3 });
  await watcher.done();
  // The Node store now reads and writes the new store.
  t.deepEqual(store.get(), { gen: 2, n: 3 });
});

test.serial('a segment file removed by hand is found at the next commit', async (t) => {
  const name = segmentFor(t, 'retire-hand');
  const writer = await startWriter(t, name);
  const store = SharedStore.open<State>(name);
  t.teardown(() => store.close());
  const nodeEnd = follow(store);
  const watcher = await startWatcher(name, spawnPython(t, 'retire-watch.py', [name]));
  const pythonLines = linesOf(watcher);
  unlinkSync(segmentPath(name)); // rm /dev/shm/shmstate.<name>
  writer.process.stdin?.write('set\n');
  t.is(await writer.nextLine(), 'E_RETIRED', 'the writer is refused');
  const node = await nodeEnd;
  t.is(node.code, 'E_RETIRED');
  t.deepEqual(node.states, [{ gen: 1, n: 0 }]);
  const python = await pythonLines;
  t.is(python.at(-1)?.['error'], 'E_RETIRED');
});
