/**
 * immerToJsonPatch: immer's patches as RFC 6902 operations. Over many random recipes on
 * random states, applying the converted ops with applyJsonPatch gives immer's result, a
 * maintained JSON Patch library (fast-json-patch, the oracle) agrees, and sizeChange
 * agrees with the encoded size of the result.
 */
import test from 'ava';
import { seededRandom } from '../../../test/helpers/seeded-random';
import { applyPatch, getValueByPointer, type Operation } from 'fast-json-patch';
import { enablePatches, type Patch, produceWithPatches } from 'immer';
import { deepFreeze, ShmStateError } from '../src';
import { applyJsonPatch } from '../src/apply-json-patch';
import { immerToJsonPatch } from '../src/immer-to-json-patch';
import type { JsonPatchOperation } from '../src/types';

enablePatches();

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

test('object keys and array indices become escaped pointers', (t) => {
  const patches: Patch[] = [
    { op: 'add', path: ['a/b', 'm~n', 0], value: 1 },
    { op: 'replace', path: [], value: {} },
    { op: 'remove', path: ['x', '01'] },
  ];
  t.deepEqual(immerToJsonPatch({}, patches), [
    { op: 'add', path: '/a~1b/m~0n/0', value: 1 },
    { op: 'replace', path: '', value: {} },
    { op: 'remove', path: '/x/01' },
  ]);
});

test('immer 10 writes a shrinking array as removes, highest index first', (t) => {
  const base = deepFreeze({ l: [0, 1, 2, 3] });
  const [, patches] = produceWithPatches(base, (draft) => {
    draft.l.length = 1;
  });
  t.deepEqual(immerToJsonPatch(base, patches), [
    { op: 'remove', path: '/l/3' },
    { op: 'remove', path: '/l/2' },
    { op: 'remove', path: '/l/1' },
  ]);
});

test("a replace of an array's length (older immer) becomes removes, highest first", (t) => {
  const base = deepFreeze({ l: [0, 1, 2, 3] });
  const ops = immerToJsonPatch(base, [{ op: 'replace', path: ['l', 'length'], value: 1 }]);
  t.deepEqual(ops, [
    { op: 'remove', path: '/l/3' },
    { op: 'remove', path: '/l/2' },
    { op: 'remove', path: '/l/1' },
  ]);
});

test('a length replace counts the ops before it (the array as it is at that point)', (t) => {
  const base = deepFreeze({ l: [0, 1] });
  const ops = immerToJsonPatch(base, [
    { op: 'add', path: ['l', 2], value: 2 },
    { op: 'add', path: ['l', 3], value: 3 },
    { op: 'replace', path: ['l', 'length'], value: 3 },
    { op: 'replace', path: ['l', 'length'], value: 1 },
  ]);
  t.deepEqual(applyJsonPatch(base, ops).state, { l: [0] });
  t.deepEqual(ops.slice(2), [
    { op: 'remove', path: '/l/3' },
    { op: 'remove', path: '/l/2' },
    { op: 'remove', path: '/l/1' },
  ]);
});

test('a length replace to the same length is no op', (t) => {
  t.deepEqual(immerToJsonPatch([1], [{ op: 'replace', path: ['length'], value: 1 }]), []);
});

test('a "length" member of an object stays a member', (t) => {
  const base = deepFreeze({ o: { length: 1 } });
  const [next, patches] = produceWithPatches(base, (draft) => {
    draft.o.length = 5;
  });
  const ops = immerToJsonPatch(base, patches);
  t.deepEqual(ops, [{ op: 'replace', path: '/o/length', value: 5 }]);
  t.deepEqual(applyJsonPatch(base, ops).state, next);
});

test('a length that grows an array or is not an index is E_PATCH', (t) => {
  for (const value of [3, -1, 1.5, '1']) {
    const error = t.throws(
      () => immerToJsonPatch([1, 2], [{ op: 'replace', path: ['length'], value }]),
      { instanceOf: ShmStateError },
    );
    t.is(error.code, 'E_PATCH');
  }
});

test('a recipe that returns a new state is one replace of the root', (t) => {
  const base = deepFreeze({ a: 1 });
  const [next, patches] = produceWithPatches(base, () => ({ b: [2] }));
  const ops = immerToJsonPatch(base, patches);
  t.deepEqual(ops, [{ op: 'replace', path: '', value: { b: [2] } }]);
  t.deepEqual(applyJsonPatch(base, ops).state, next);
});

// Random recipes on random states.

const KEYS = ['a', 'b', 'c', 'x', '0', '01', '-', '', 'a/b', 'm~n', '~1', 'length', 'ü', '😀'];
const STRINGS = ['', 's', 'é', '😀', 'a"b', 'line\nbreak', '\u0001', '~/'];

function randomPrimitive(random: () => number): Json {
  const pick = Math.floor(random() * 7);
  if (pick === 0) return null;
  if (pick === 1) return random() < 0.5;
  if (pick === 2) return Math.floor(random() * 2000) - 1000;
  if (pick === 3) return Math.round(random() * 1e6) / 1e3 + 0.5;
  return STRINGS[Math.floor(random() * STRINGS.length)] as string;
}

function randomValue(random: () => number, depth: number): Json {
  if (depth <= 0 || random() < 0.35) return randomPrimitive(random);
  const size = Math.floor(random() * 5);
  if (random() < 0.5) {
    return Array.from({ length: size }, () => randomValue(random, depth - 1));
  }
  const object: { [key: string]: Json } = {};
  for (let i = 0; i < size; i += 1) {
    object[KEYS[Math.floor(random() * KEYS.length)] as string] = randomValue(random, depth - 1);
  }
  return object;
}

/** Every array and object in the draft (the root included). */
function containers(draft: unknown): Array<Json[] | { [key: string]: Json }> {
  const found: Array<Json[] | { [key: string]: Json }> = [];
  const pending: unknown[] = [draft];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    found.push(node as Json[]);
    pending.push(...Object.values(node));
  }
  return found;
}

/** One random edit of a draft: sets, deletes, pushes, splices, shrinks, nested adds. */
function randomEdit(random: () => number, draft: unknown): void {
  const all = containers(draft);
  const target = all[Math.floor(random() * all.length)];
  if (target === undefined) return;
  const value = () => randomValue(random, 3);
  const choice = Math.floor(random() * 8);
  if (Array.isArray(target)) {
    const index = Math.floor(random() * (target.length + 1));
    if (choice === 0) target.push(value(), value());
    else if (choice === 1) target.splice(index, Math.floor(random() * 3), value());
    else if (choice === 2) target.length = Math.floor(random() * (target.length + 1));
    else if (choice === 3) target.splice(index, 1);
    else if (choice === 4) target.unshift(value());
    else if (choice === 5) target.pop();
    else if (choice === 6 && target.length > 0) target[index % target.length] = value();
    else target.reverse();
  } else {
    const key = KEYS[Math.floor(random() * KEYS.length)] as string;
    if (choice < 3) target[key] = value();
    else if (choice < 5) delete target[key];
    else if (choice === 5) target[key] = { nested: { deeper: [value()] } };
    else if (choice === 6) {
      delete target[key];
      target[key] = value();
    } else {
      const keys = Object.keys(target);
      const existing = keys[Math.floor(random() * keys.length)];
      if (existing !== undefined) target[existing] = value();
    }
  }
}

interface RandomCase {
  seed: number;
  base: Json;
  next: Json;
  patches: Patch[];
}

function randomCase(seed: number): RandomCase {
  const random = seededRandom(seed);
  // The root is a container (an array or an object) in every case.
  const inner = randomValue(random, 4);
  const wrap = random() < 0.5 || typeof inner !== 'object' || inner === null;
  const base = deepFreeze(wrap ? { root: inner } : inner);
  const edits = 1 + Math.floor(random() * 5);
  const replaceRoot = random() < 0.03; // now and then a recipe returns a whole new state
  const [next, patches] = produceWithPatches(base as unknown, (draft: unknown) => {
    if (replaceRoot) return randomValue(random, 3);
    for (let i = 0; i < edits; i += 1) randomEdit(random, draft);
    return undefined;
  });
  return { seed, base, next: next as Json, patches };
}

const CASES = 3000;

test(`random recipes: applyJsonPatch(base, converted patches) equals immer's result (${CASES} cases)`, (t) => {
  let ops = 0;
  for (let seed = 1; seed <= CASES; seed += 1) {
    const { base, next, patches } = randomCase(seed);
    const converted = immerToJsonPatch(base, patches);
    ops += converted.length;
    t.deepEqual(applyJsonPatch(base, converted).state, next, `seed ${seed}`);
  }
  t.true(ops > CASES, `only ${ops} ops in ${CASES} cases`);
});

test('random recipes: fast-json-patch (the oracle) gives the same state', (t) => {
  for (let seed = 1; seed <= CASES; seed += 1) {
    const { base, patches } = randomCase(seed);
    const converted = immerToJsonPatch(base, patches);
    const ours = applyJsonPatch(base, converted).state;
    const copy = JSON.parse(JSON.stringify(base)) as Json;
    const opsCopy = JSON.parse(JSON.stringify(converted)) as Operation[];
    const oracle = applyPatch(copy, opsCopy, true, true).newDocument;
    t.deepEqual(ours, oracle, `seed ${seed}`);
  }
});

test('random recipes: sizeChange is the change of the encoded size in UTF-8 bytes', (t) => {
  for (let seed = 1; seed <= CASES; seed += 1) {
    const { base, next, patches } = randomCase(seed);
    const { sizeChange } = applyJsonPatch(base, immerToJsonPatch(base, patches));
    t.is(sizeChange, bytes(next) - bytes(base), `seed ${seed}`);
  }
});

test('random recipes: the result is frozen and untouched subtrees are the old objects', (t) => {
  for (let seed = 1; seed <= 300; seed += 1) {
    const { base, patches } = randomCase(seed);
    const ops = immerToJsonPatch(base, patches);
    const result = applyJsonPatch(base, ops).state;
    t.true(isDeepFrozen(result), `seed ${seed}`);
    // Members of the root no op path goes through are the old objects.
    if (
      typeof base === 'object' &&
      base !== null &&
      !Array.isArray(base) &&
      ops.every((op) => op.path !== '')
    ) {
      const touched = new Set(
        ops.flatMap((op) => [op.path, 'from' in op ? op.from : '']).map((p) => p.split('/')[1]),
      );
      for (const [key, value] of Object.entries(base)) {
        if (!touched.has(key.replace(/~/g, '~0').replace(/\//g, '~1'))) {
          t.is((result as Record<string, unknown>)[key], value, `seed ${seed} key ${key}`);
        }
      }
    }
  }
});

/** Every location in `doc` as [tokens, value], the root included. */
function locations(doc: Json): Array<[string[], Json]> {
  const found: Array<[string[], Json]> = [];
  const pending: Array<[string[], Json]> = [[[], doc]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    found.push(next);
    const [path, node] = next;
    if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) pending.push([[...path, key], child]);
    }
  }
  return found;
}

const pointer = (tokens: string[]): string =>
  tokens.map((token) => '/' + token.replace(/~/g, '~0').replace(/\//g, '~1')).join('');

/** A random op that applies to `doc`: add, remove, replace, move, copy or test. */
function randomOperation(random: () => number, doc: Json): Operation {
  const all = locations(doc);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
  const [path, value] = pick(all);
  const nonRoot = all.filter(([p]) => p.length > 0);
  // A place to add at: a member of an object, an index up to the length or "-" of an array.
  const target = (exclude?: string[], within: Json = doc): string => {
    const parents = locations(within).filter(
      ([p, v]) =>
        typeof v === 'object' &&
        v !== null &&
        (exclude === undefined || !exclude.every((token, i) => p[i] === token)),
    );
    if (parents.length === 0) return '';
    const [p, parent] = pick(parents);
    if (Array.isArray(parent)) {
      const r = random();
      return pointer([...p, r < 0.2 ? '-' : String(Math.floor(r * (parent.length + 1)))]);
    }
    return pointer([...p, pick(KEYS)]);
  };
  const choice = Math.floor(random() * 6);
  if (choice === 0 || nonRoot.length === 0) {
    return { op: 'add', path: target(), value: randomValue(random, 2) };
  }
  const [from] = pick(nonRoot);
  if (choice === 1) return { op: 'remove', path: pointer(from) };
  if (choice === 2) return { op: 'replace', path: pointer(path), value: randomValue(random, 2) };
  if (choice === 3) {
    // A move is a remove, then an add to the document without the value (RFC 6902 4.4),
    // so the target is drawn from that document.
    const removed = applyPatch(JSON.parse(JSON.stringify(doc)) as Json, [
      { op: 'remove', path: pointer(from) },
    ]).newDocument;
    const to = target(from, removed);
    return to === ''
      ? { op: 'remove', path: pointer(from) }
      : { op: 'move', from: pointer(from), path: to };
  }
  if (choice === 4) return { op: 'copy', from: pointer(from), path: target() };
  // A test of the value as it is, its object keys written in reverse order.
  const reordered = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).reverse())
      : v,
  ) as Json;
  return { op: 'test', path: pointer(path), value: reordered };
}

/**
 * `op` for the oracle, a copy: a move as the remove and add RFC 6902 4.4 defines it as
 * (fast-json-patch checks a move's target against the document before the removal).
 */
function oracleOps(doc: Json, op: Operation): Operation[] {
  const copy = JSON.parse(JSON.stringify(op)) as Operation;
  if (copy.op !== 'move') return [copy];
  const value = JSON.parse(JSON.stringify(getValueByPointer(doc, copy.from))) as Json;
  return [
    { op: 'remove', path: copy.from },
    { op: 'add', path: copy.path, value },
  ];
}

test('random RFC 6902 patches (move, copy and test too) agree with fast-json-patch and the size', (t) => {
  for (let seed = 1; seed <= 2000; seed += 1) {
    const random = seededRandom(seed * 7919);
    const base = deepFreeze({ root: randomValue(random, 4), other: randomValue(random, 3) });
    let oracle = JSON.parse(JSON.stringify(base)) as Json;
    const ops: Operation[] = [];
    const count = 1 + Math.floor(random() * 6);
    for (let i = 0; i < count; i += 1) {
      const op = randomOperation(random, oracle);
      ops.push(op);
      oracle = applyPatch(oracle, oracleOps(oracle, op), true, true).newDocument;
    }
    const { state, sizeChange } = applyJsonPatch(base, ops as unknown as JsonPatchOperation[]);
    t.deepEqual(state, oracle, `seed ${seed}: ${JSON.stringify(ops)}`);
    t.is(sizeChange, bytes(oracle) - bytes(base), `seed ${seed}`);
    t.true(isDeepFrozen(state));
  }
});

function isDeepFrozen(value: unknown): boolean {
  const pending: unknown[] = [value];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (typeof node !== 'object' || node === null) continue;
    if (!Object.isFrozen(node)) return false;
    pending.push(...Object.values(node));
  }
  return true;
}
