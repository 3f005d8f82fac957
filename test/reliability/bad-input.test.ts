/**
 * The bad-input table of docs/reliability.md, Node side: each row feeds one kind of bad
 * input to the public API (SharedStore, or Segment for what only a raw writer can do)
 * and expects the documented stable code. test_bad_input.py is the Python side, the C
 * tests named in the table the C side.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { SharedStore, ShmStateError, type JsonState } from '@shmstate/core';
import { Segment } from '@shmstate/native';
import { segmentFor, segmentPath } from '../helpers';
import { startStalledWriter } from './lib/stalled-writer';

/** `code` is the stable code expected (a bad argument is E_INVALID, as in C and Python).
 * `remote`: the failure happens in a child process, which reports its code. */
type Row = {
  row: string;
  code: string;
  remote?: boolean;
  run: (t: ExecutionContext) => void | Promise<void>;
};

function created<T extends JsonState<T> = unknown>(
  t: ExecutionContext,
  prefix: string,
  initial: T = { ok: true } as unknown as T,
) {
  const name = segmentFor(t, prefix);
  const store = SharedStore.create<T>(name, { initial, capacity: 1024 });
  t.teardown(() => store.close());
  return { name, store };
}

/** Overwrites bytes of a segment file in place. */
function poke(name: string, offset: number, bytes: Buffer): void {
  const fd = openSync(segmentPath(name), 'r+');
  writeSync(fd, bytes, 0, bytes.length, offset);
  closeSync(fd);
}

const SLOT1_DATA = 4096 + 64 + 1024 + 64; // capacity 1024: slot 1 holds version 1

const rows: Row[] = [
  {
    row: 'name: empty, path separator, too long',
    code: 'E_NAME',
    run: () => {
      for (const bad of ['', 'a/b', '../x', '.hidden', 'x'.repeat(201)]) SharedStore.open(bad);
    },
  },
  {
    row: 'name: no such segment',
    code: 'E_NOENT',
    run: (t) => {
      SharedStore.open(segmentFor(t, 'absent'));
    },
  },
  {
    row: 'name: create of a taken name',
    code: 'E_EXISTS',
    run: (t) => {
      const { name } = created(t, 'taken');
      SharedStore.create(name, { initial: {}, capacity: 1024 });
    },
  },
  {
    row: 'foreign segment: random bytes under the name',
    code: 'E_CORRUPT',
    run: (t) => {
      const name = segmentFor(t, 'foreign');
      writeFileSync(segmentPath(name), Buffer.alloc(8192, 0x5a), { mode: 0o600 });
      SharedStore.open(name);
    },
  },
  {
    row: 'foreign segment: shorter than a header',
    code: 'E_CORRUPT',
    run: (t) => {
      const name = segmentFor(t, 'short');
      writeFileSync(segmentPath(name), Buffer.from('SHMSTAT1 but nothing else'), { mode: 0o600 });
      SharedStore.open(name);
    },
  },
  {
    row: 'corrupt segment: another layout version',
    code: 'E_VERSION',
    run: (t) => {
      const { name } = created(t, 'layout');
      poke(name, 8, Buffer.from([1, 0, 0, 0])); // layout_version: 1, an older shmstate's (this is 2)
      SharedStore.open(name);
    },
  },
  {
    row: 'corrupt segment: truncated by another process',
    code: 'E_CORRUPT',
    run: (t) => {
      const { name } = created(t, 'trunc');
      truncateSync(segmentPath(name), 4096);
      SharedStore.open(name);
    },
  },
  {
    row: 'corrupt segment: payload bytes flipped',
    code: 'E_CORRUPT',
    run: (t) => {
      const { name } = created(t, 'flip');
      poke(name, SLOT1_DATA, Buffer.from('X'));
      const reader = SharedStore.open(name);
      t.teardown(() => reader.close());
      reader.get();
    },
  },
  {
    row: 'corrupt segment: a buggy writer committed non-JSON',
    code: 'E_CORRUPT',
    run: (t) => {
      const { name } = created(t, 'nonjson');
      const raw = Segment.open(name);
      t.teardown(() => raw.close());
      raw.commit(Buffer.from('{"half": '));
      const reader = SharedStore.open(name);
      t.teardown(() => reader.close());
      reader.get();
    },
  },
  {
    row: 'trust: world-writable segment',
    code: 'E_PERM',
    run: (t) => {
      const { name } = created(t, 'worldw');
      chmodSync(segmentPath(name), 0o666);
      SharedStore.open(name);
    },
  },
  {
    row: 'trust: symlink under the name',
    code: 'E_PERM',
    run: (t) => {
      const { name } = created(t, 'target');
      const link = segmentFor(t, 'link');
      symlinkSync(segmentPath(name), segmentPath(link));
      SharedStore.openOrCreate(link, { initial: {}, capacity: 1024 });
    },
  },
  {
    row: 'capacity: state larger than the capacity',
    code: 'E_CAPACITY',
    run: (t) => {
      const { store } = created(t, 'big');
      store.set({ blob: 'x'.repeat(2000) });
    },
  },
  {
    row: 'capacity: capacity below the minimum',
    code: 'E_INVALID',
    run: (t) => {
      SharedStore.create(segmentFor(t, 'tiny'), { initial: {}, capacity: 10 });
    },
  },
  {
    row: 'dialect: NaN',
    code: 'E_ENCODE',
    run: (t) => {
      created(t, 'nan').store.set({ x: NaN });
    },
  },
  {
    row: 'dialect: undefined, BigInt, function, cycle',
    code: 'E_ENCODE',
    run: (t) => {
      const { store } = created(t, 'dialect');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const bad of [{ x: undefined }, { x: 1n }, { x: () => 1 }, cyclic]) {
        try {
          store.set(bad);
        } catch (err) {
          if ((err as ShmStateError).code !== 'E_ENCODE') throw err;
          continue;
        }
        throw new Error(`accepted ${String(bad)}`);
      }
      store.set({ x: undefined });
    },
  },
  {
    row: 'conflict: compare-and-set on a stale version',
    code: 'E_CONFLICT',
    run: (t) => {
      const { name, store } = created(t, 'cas', { n: 0 });
      const other = SharedStore.open<{ n: number }>(name);
      t.teardown(() => other.close());
      store.update(
        (draft) => {
          other.set({ n: 99 });
          draft.n += 1;
        },
        { maxRetries: 0 },
      );
    },
  },
  {
    row: 'use after close',
    code: 'E_CLOSED',
    run: (t) => {
      const { store } = created(t, 'closed');
      store.close();
      store.close(); // closing twice is fine
      store.get();
    },
  },
  {
    row: 'lock timeout: a stalled writer holds the lock',
    code: 'E_TIMEOUT',
    run: async (t) => {
      const { store } = created(t, 'locked', { n: 0 });
      const stalled = await startStalledWriter(t, store.name, '{"n":1}');
      store.setLockTimeout(200);
      try {
        store.set({ n: 2 });
      } finally {
        stalled.process.kill('SIGCONT');
        await stalled.exited;
      }
    },
  },
  {
    row: 'no space: a full tmpfs at create',
    code: 'E_NOSPC',
    remote: true,
    run: (t) => {
      const script = join(__dirname, 'children', 'create-in-full-tmpfs.mjs');
      const result = spawnSync(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --make-rprivate / && mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "$0" "$1"',
          process.execPath,
          script,
        ],
        { encoding: 'utf8' },
      );
      if (result.status !== 0 && /Operation not permitted|cannot/i.test(result.stderr)) {
        t.log(`not run here: a private tmpfs needs root (${result.stderr.trim()})`);
        throw Object.assign(new Error('E_NOSPC not provoked'), { code: 'E_NOSPC', notRun: true });
      }
      const code = result.stdout.trim();
      throw Object.assign(new Error(`child said ${code}: ${result.stderr}`), { code });
    },
  },
];

for (const { row, code, remote, run } of rows) {
  test(`${row}: ${code}`, async (t) => {
    let caught: unknown;
    try {
      await run(t);
    } catch (err) {
      caught = err;
    }
    t.truthy(caught, 'no error was thrown');
    const error = caught as Error & { code?: string; notRun?: boolean };
    t.is(error.code, code, error.message);
    if (remote) return;
    t.true(error instanceof ShmStateError, 'thrown as ShmStateError');
    t.true(error.message.length > 0);
  });
}
