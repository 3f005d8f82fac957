/**
 * Random states and random small edits for the delta tests, and a canonical form to compare
 * states across languages (test/py/random_edits.py is the Python twin). Seeded, so a failure
 * can be replayed. Numbers are integers or have a fraction of .25 (never a whole float: Python writes 1.0 where Node writes 1), strings come from a small alphabet with
 * non-ASCII letters: values whose JSON text is the same in both languages.
 */
import { createHash } from 'node:crypto';
import type { JsonPatchOperation, JsonValue } from '@shmstate/core';

export { seededRandom } from './seeded-random';

type JsonObject = { [key: string]: JsonValue };

const LETTERS = ['a', 'b', 'k', 'z', 'é', 'ß', '字', '~', '/', ' '];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomKey(random: () => number): string {
  let key = '';
  const length = 1 + Math.floor(random() * 4);
  for (let i = 0; i < length; i += 1) key += pick(random, LETTERS);
  return key;
}

function randomLeaf(random: () => number): JsonValue {
  switch (Math.floor(random() * 5)) {
    case 0:
      return Math.floor(random() * 2000) - 1000;
    case 1:
      return Math.floor(random() * 400) - 200 + 0.25;
    case 2:
      return randomKey(random);
    case 3:
      return random() < 0.5;
    default:
      return null;
  }
}

/** A random value `depth` levels deep at most. */
export function randomValue(random: () => number, depth: number): JsonValue {
  const roll = random();
  if (depth <= 0 || roll < 0.5) return randomLeaf(random);
  const size = Math.floor(random() * 4);
  if (roll < 0.75) return Array.from({ length: size }, () => randomValue(random, depth - 1));
  const object: JsonObject = {};
  for (let i = 0; i < size; i += 1) object[randomKey(random)] = randomValue(random, depth - 1);
  return object;
}

/** A random state: an object of a few dozen members, nested up to 4 levels. */
export function randomState(random: () => number): JsonObject {
  const state: JsonObject = {};
  for (let i = 0; i < 24; i += 1) state[`m${i}`] = randomValue(random, 4);
  return state;
}

function escape(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Every container of `state` with its pointer, the root first. */
function containers(state: JsonValue): Array<{ pointer: string; value: JsonValue[] | JsonObject }> {
  const found: Array<{ pointer: string; value: JsonValue[] | JsonObject }> = [];
  const visit = (value: JsonValue, pointer: string): void => {
    if (value === null || typeof value !== 'object') return;
    found.push({ pointer, value });
    if (Array.isArray(value)) value.forEach((child, i) => visit(child, `${pointer}/${i}`));
    else
      for (const [key, child] of Object.entries(value)) visit(child, `${pointer}/${escape(key)}`);
  };
  visit(state, '');
  return found;
}

/**
 * One small random edit of `state` as RFC 6902 ops: add, replace, remove, move or copy.
 * With `shrink` (the caller's state grew large), a removal wherever one is possible.
 */
export function randomEdit(
  random: () => number,
  state: JsonValue,
  shrink = false,
): JsonPatchOperation[] {
  const all = containers(state);
  const { pointer, value } = pick(random, all);
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  const roll = shrink && keys.length > 0 ? 0.7 : random();
  if (keys.length === 0 || roll < 0.3) {
    const at = Array.isArray(value)
      ? random() < 0.5
        ? '-'
        : String(Math.floor(random() * (value.length + 1)))
      : escape(randomKey(random));
    return [{ op: 'add', path: `${pointer}/${at}`, value: randomValue(random, 2) }];
  }
  const key = escape(pick(random, keys));
  const path = `${pointer}/${key}`;
  if (roll < 0.65) return [{ op: 'replace', path, value: randomValue(random, 1) }];
  if (roll < 0.85 || pointer === '') {
    // Keep the root's members: the edits stay small.
    if (pointer === '') return [{ op: 'replace', path, value: randomValue(random, 2) }];
    return [{ op: 'remove', path }];
  }
  // Move or copy to a member of the root (never into its own child: the root is no child).
  const target = `/${escape(`x${randomKey(random)}`)}`;
  return [{ op: random() < 0.5 ? 'move' : 'copy', from: path, path: target }];
}

/** JSON with object keys sorted, the form both languages hash. */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as JsonObject)[key])}`).join(',')}}`;
}

/** The SHA-1 of a canonical form, in hex. */
export function textHash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The SHA-1 of a value's canonical form, in hex. */
export function stateHash(value: unknown): string {
  return textHash(canonical(value));
}
