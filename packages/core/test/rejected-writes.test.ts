/**
 * Every value outside the dialect, and every state too large for the segment, is refused
 * with its code and a message naming the path (or both sizes), by set() and by update(),
 * and the stored version and state stay exactly as they were.
 */
import test from 'ava';
import { SharedStore, ShmStateError } from '../src';
import { segmentFor } from '../../../test/helpers';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

const cycle: Record<string, unknown> = { name: 'loop' };
cycle.self = { back: cycle };

let tooDeep: unknown = 'leaf';
for (let level = 0; level < 65; level += 1) tooDeep = [tooDeep];
const tooDeepPath = `state${'[0]'.repeat(64)}`;

// eslint-disable-next-line no-sparse-arrays
const sparse = [1, , 3];

const capacity = 65536;
// A JSON string of exactly 70000 bytes: 69998 characters between its quotes.
const tooLarge = 'x'.repeat(70000 - 2);

interface Row {
  what: string;
  value: unknown;
  code: 'E_ENCODE' | 'E_CAPACITY';
  message: string | RegExp;
}

const rows: Row[] = [
  {
    what: 'undefined',
    value: { a: [0, { b: undefined }] },
    code: 'E_ENCODE',
    message: 'state.a[1].b is undefined',
  },
  {
    what: 'undefined at the top',
    value: undefined,
    code: 'E_ENCODE',
    message: 'state is undefined',
  },
  {
    what: 'a function',
    value: { onTick: () => 1 },
    code: 'E_ENCODE',
    message: 'state.onTick is a function',
  },
  {
    what: 'a symbol',
    value: { tag: Symbol('x') },
    code: 'E_ENCODE',
    message: 'state.tag is a symbol',
  },
  {
    what: 'a BigInt',
    value: { a: [0, 1, 2, { b: 10n }] },
    code: 'E_ENCODE',
    message: 'state.a[3].b is a BigInt',
  },
  {
    what: 'a cycle',
    value: cycle,
    code: 'E_ENCODE',
    message: 'state.self.back is a cycle (it refers back to state)',
  },
  { what: 'NaN', value: { x: NaN }, code: 'E_ENCODE', message: 'state.x is NaN' },
  {
    what: 'Infinity',
    value: { x: [Infinity] },
    code: 'E_ENCODE',
    message: 'state.x[0] is Infinity',
  },
  { what: '-Infinity', value: { x: -Infinity }, code: 'E_ENCODE', message: 'state.x is -Infinity' },
  {
    what: 'nesting deeper than 64',
    value: tooDeep,
    code: 'E_ENCODE',
    message: `${tooDeepPath} nests deeper than 64 levels`,
  },
  { what: 'a Map', value: { m: new Map([[1, 2]]) }, code: 'E_ENCODE', message: 'state.m is a Map' },
  { what: 'a Set', value: { s: new Set([1]) }, code: 'E_ENCODE', message: 'state.s is a Set' },
  {
    what: 'a Date',
    value: { at: new Date(0) },
    code: 'E_ENCODE',
    message: /^state\.at is a Date: JSON would silently turn it into a string/,
  },
  {
    what: 'a class instance',
    value: { p: new Point(1, 2) },
    code: 'E_ENCODE',
    message: /^state\.p is a Point instance/,
  },
  {
    what: 'a typed array',
    value: { bytes: new Uint8Array(2) },
    code: 'E_ENCODE',
    message: 'state.bytes is a Uint8Array',
  },
  {
    what: 'a sparse array',
    value: { list: sparse },
    code: 'E_ENCODE',
    message: 'state.list[1] is a hole in a sparse array',
  },
  {
    what: 'a symbol key',
    value: { [Symbol('k')]: 1 },
    code: 'E_ENCODE',
    message: 'state has a symbol key',
  },
  {
    what: 'a state too large for the capacity',
    value: tooLarge,
    code: 'E_CAPACITY',
    message: 'state is 70000 bytes; capacity is 65536',
  },
];

for (const row of rows) {
  test(`set() refuses ${row.what} with ${row.code}, and the store is unchanged`, (t) => {
    const store = SharedStore.create<unknown>(segmentFor(t, 'reject-set'), {
      initial: { kept: true },
      capacity,
    });
    t.teardown(() => store.close());
    const before = store.snapshot();

    const error = t.throws(() => store.set(row.value), { instanceOf: ShmStateError });
    t.is(error.code, row.code);
    if (typeof row.message === 'string') t.is(error.message, `${row.message} (${row.code})`);
    else t.regex(error.message, row.message);

    t.is(store.version, before.version);
    t.deepEqual(store.get(), { kept: true });
  });

  // A recipe returning undefined means "keep the draft" in immer: not a replacement.
  if (row.value === undefined) continue;
  test(`update() refuses a recipe result with ${row.what}, and the store is unchanged`, (t) => {
    const store = SharedStore.create<unknown>(segmentFor(t, 'reject-update'), {
      initial: { kept: true },
      capacity,
    });
    t.teardown(() => store.close());
    const before = store.snapshot();

    const error = t.throws(() => store.update(() => row.value), { instanceOf: ShmStateError });
    t.is(error.code, row.code);
    t.is(store.version, before.version);
    t.deepEqual(store.get(), { kept: true });
  });
}

test('create() refuses an initial state outside the dialect before creating anything', (t) => {
  const name = segmentFor(t, 'reject-create');
  const error = t.throws(() => SharedStore.create(name, { initial: { at: 1n } }), {
    instanceOf: ShmStateError,
  });
  t.is(error.code, 'E_ENCODE');
  const absent = t.throws(() => SharedStore.open(name), { instanceOf: ShmStateError });
  t.is(absent.code, 'E_NOENT');
});

test('create() refuses an initial state larger than the capacity with both sizes', (t) => {
  const name = segmentFor(t, 'reject-create-size');
  const error = t.throws(
    () => SharedStore.create(name, { initial: 'x'.repeat(100), capacity: 64 }),
    {
      instanceOf: ShmStateError,
    },
  );
  t.is(error.message, 'state is 102 bytes; capacity is 64 (E_CAPACITY)');
});
