/**
 * One voice across languages: the same call with the same bad argument fails with the same
 * code in Node and in Python (and with the same message wherever the C core words it), the
 * defaults and the stats() fields are the same, and an update that changes nothing commits
 * nothing in either language. One table, run by both.
 */
import { statSync, existsSync, unlinkSync, readdirSync } from 'node:fs';
import test from 'ava';
import { SharedStore } from '@shmstate/core';
import { uniqueName, spawnPython } from './helpers';

interface Outcome {
  case: string;
  code?: string;
  message?: string;
  ok?: unknown;
}

/** Each row: the case, the code both must give (or 'ok'), and whether the message is the
 * core's (then it must be the same text in both languages). */
const table: Array<[string, string, 'same message' | 'own words']> = [
  ['name-not-a-string', 'E_INVALID', 'own words'],
  ['name-with-a-slash', 'E_NAME', 'same message'],
  ['capacity-too-small', 'E_INVALID', 'same message'],
  ['capacity-fractional', 'E_INVALID', 'own words'],
  ['capacity-negative', 'E_INVALID', 'own words'],
  ['mode-beyond-permission-bits', 'E_INVALID', 'same message'],
  ['mode-owner-cannot-write', 'E_INVALID', 'same message'],
  ['mode-world-writable', 'E_INVALID', 'same message'],
  ['version-zero', 'E_INVALID', 'same message'],
  ['version-beyond-2^53', 'E_INVALID', 'own words'],
  ['initial-nan', 'E_ENCODE', 'own words'],
  ['initial-beyond-capacity', 'E_CAPACITY', 'own words'],
  ['open-empty-name', 'E_NAME', 'same message'],
  ['open-missing', 'E_NOENT', 'own words'],
  ['update-not-a-function', 'E_INVALID', 'own words'],
  ['update-negative-retries', 'E_INVALID', 'own words'],
  ['wait-for-version-not-a-number', 'E_INVALID', 'own words'],
  ['wait-for-negative-timeout', 'E_INVALID', 'own words'],
  ['lock-timeout-negative', 'E_INVALID', 'own words'],
  ['set-after-close', 'E_CLOSED', 'own words'],
];

type Store = SharedStore<{ n: number }>;

let counter = 0;

async function runNode(prefix: string, name: string): Promise<Outcome> {
  const fresh = (): string => `${prefix}-node${(counter += 1)}`;
  const made = (): Store => SharedStore.create(fresh(), { initial: { n: 0 }, capacity: 1024 });
  const withStore = async (use: (store: Store) => unknown): Promise<unknown> => {
    const store = made();
    try {
      return await use(store);
    } finally {
      store.close();
    }
  };
  const loose = SharedStore as unknown as {
    create(name: unknown, options: Record<string, unknown>): Store;
  };
  const calls: Record<string, () => unknown> = {
    'name-not-a-string': () => loose.create(123, { initial: {} }),
    'name-with-a-slash': () => loose.create('a/b', { initial: {} }),
    'capacity-too-small': () => loose.create(fresh(), { initial: {}, capacity: 10 }),
    'capacity-fractional': () => loose.create(fresh(), { initial: {}, capacity: 1.5 }),
    'capacity-negative': () => loose.create(fresh(), { initial: {}, capacity: -1 }),
    'mode-beyond-permission-bits': () => loose.create(fresh(), { initial: {}, mode: 0o1777 }),
    'mode-owner-cannot-write': () => loose.create(fresh(), { initial: {}, mode: 0o400 }),
    'mode-world-writable': () => loose.create(fresh(), { initial: {}, mode: 0o666 }),
    'version-zero': () => loose.create(fresh(), { initial: {}, version: 0 }),
    'version-beyond-2^53': () => loose.create(fresh(), { initial: {}, version: 2 ** 53 }),
    'initial-nan': () => loose.create(fresh(), { initial: { x: NaN } }),
    'initial-beyond-capacity': () =>
      loose.create(fresh(), { initial: { s: 'x'.repeat(100) }, capacity: 64 }),
    'open-empty-name': () => SharedStore.open(''),
    'open-missing': () => SharedStore.open(fresh()),
    'update-not-a-function': () =>
      withStore((store) => store.update(42 as unknown as (draft: { n: number }) => void)),
    'update-negative-retries': () =>
      withStore((store) => store.update(() => undefined, { maxRetries: -1 })),
    'wait-for-version-not-a-number': () =>
      withStore((store) => store.waitFor('x' as unknown as number, { timeout: 100 })),
    'wait-for-negative-timeout': () => withStore((store) => store.waitFor(5, { timeout: -1 })),
    'lock-timeout-negative': () => withStore((store) => store.setLockTimeout(-5)),
    'set-after-close': () => {
      const store = made();
      store.close();
      return store.set({ n: 1 });
    },
    defaults: () => {
      const store = SharedStore.create(fresh(), { initial: { n: 0 } });
      try {
        const mode = statSync(`/dev/shm/shmstate.${store.name}`).mode & 0o777;
        return { capacity: store.stats().capacity, mode };
      } finally {
        store.close();
      }
    },
    'stats-fields': () =>
      withStore((store) =>
        Object.keys(store.stats())
          .map((key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
          .sort(),
      ),
    'update-without-change': () =>
      withStore((store) => {
        const before = store.version;
        const returned = store.update(() => undefined);
        return { returned: returned - before, version: store.version - before };
      }),
  };
  try {
    const result = await calls[name]!();
    return { case: name, ok: result };
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return { case: name, code: code ?? `not a ShmStateError: ${String(error)}`, message };
  }
}

test('node and python give the same codes, defaults, stats fields and no-op update', async (t) => {
  const prefix = uniqueName('voice');
  t.teardown(() => {
    for (const file of readdirSync('/dev/shm')) {
      if (file.startsWith(`shmstate.${prefix}-`)) {
        const path = `/dev/shm/${file}`;
        if (existsSync(path)) unlinkSync(path);
      }
    }
  });
  const cases = [
    ...table.map(([name]) => name),
    'defaults',
    'stats-fields',
    'update-without-change',
  ];
  const child = spawnPython(t, 'one-voice.py', [prefix, ...cases]);
  const fromPython = new Map<string, Outcome>();
  for (const _ of cases) {
    const outcome = JSON.parse(await child.nextLine()) as Outcome;
    fromPython.set(outcome.case, outcome);
  }
  await child.done();

  for (const [name, code, wording] of table) {
    const node = await runNode(prefix, name);
    const py = fromPython.get(name)!;
    t.is(node.code, code, `node: ${name}: ${node.message ?? JSON.stringify(node.ok)}`);
    t.is(py.code, code, `python: ${name}: ${py.message ?? JSON.stringify(py.ok)}`);
    if (wording === 'same message') {
      // Python appends " (E_CODE)" to str(err) as Node does to message; compare whole texts.
      t.is(node.message, py.message, `${name}: the core's message in both languages`);
    }
  }
  const defaults = await runNode(prefix, 'defaults');
  t.deepEqual(defaults.ok, { capacity: 1 << 20, mode: 0o600 });
  t.deepEqual(fromPython.get('defaults')!.ok, defaults.ok);
  const fields = await runNode(prefix, 'stats-fields');
  t.deepEqual(fromPython.get('stats-fields')!.ok, fields.ok);
  const noChange = await runNode(prefix, 'update-without-change');
  t.deepEqual(noChange.ok, { returned: 0, version: 0 });
  t.deepEqual(fromPython.get('update-without-change')!.ok, noChange.ok);
});
