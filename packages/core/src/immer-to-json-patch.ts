/**
 * Converts the patches immer records (`produceWithPatches` after `enablePatches()`) to
 * RFC 6902 JSON Patch operations, so that `applyJsonPatch(base, ops)` gives the state
 * immer produced from `base`, as JSON: the same values everywhere. (Key order may differ:
 * a member deleted and set again in a recipe is at the end of immer's object and in its
 * old place here; JSON objects are unordered, and the encoded size is the same.)
 *
 * immer's patches (immer 10) are `{ op: 'add' | 'replace' | 'remove', path, value? }`
 * with `path` an array of object keys (strings) and array indices (numbers); they have
 * RFC 6902's meaning once the path is written as a pointer (`formatJsonPointer`, which
 * escapes `~` and `/`). immer 10 writes an array that shrank as `remove` ops of its
 * trailing indices, highest first; older immer versions wrote a `replace` of the array's
 * `length` instead, which has no JSON Patch form: such an op becomes the `remove` ops of
 * the indices from the old length - 1 down to the new length (a `length` member of an
 * object stays a member). Telling the two apart needs the array's length at that point,
 * which is why `base` is an argument: it is read only for such ops (by applying the ops
 * converted so far to it).
 *
 * @example
 * enablePatches();
 * const base = deepFreeze({ log: ['a', 'b', 'c'], 'a/b': 1 });
 * const [next, patches] = produceWithPatches(base, (draft) => {
 *   draft.log.length = 1;
 *   draft['a/b'] = 2;
 * });
 * const ops = immerToJsonPatch(base, patches);
 * // [{ op: 'remove', path: '/log/2' }, { op: 'remove', path: '/log/1' },
 * //  { op: 'replace', path: '/a~1b', value: 2 }]
 * applyJsonPatch(base, ops).state; // deep-equal to next
 */
import type { Patch } from 'immer';
import { applyJsonPatch } from './apply-json-patch';
import { shmStateError } from './errors';
import { formatJsonPointer } from './json-pointer';
import type { JsonPatchOperation } from './types';

/** RFC 6902 operations equivalent to immer's `patches` applied to `base`. */
export function immerToJsonPatch(
  base: unknown,
  patches: ReadonlyArray<Patch>,
): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  // `base` with ops[0 .. appliedUpTo) applied: built only when a `length` op needs it.
  let current = base;
  let appliedUpTo = 0;
  for (const patch of patches) {
    const last = patch.path[patch.path.length - 1];
    if (patch.op === 'replace' && last === 'length') {
      current = applyJsonPatch(current, ops.slice(appliedUpTo)).state;
      appliedUpTo = ops.length;
      const arrayPath = patch.path.slice(0, -1);
      const array = lookup(current, arrayPath);
      if (Array.isArray(array)) {
        ops.push(...shrink(arrayPath, array.length, patch.value));
        continue;
      }
    }
    const path = formatJsonPointer(patch.path);
    if (patch.op === 'remove') ops.push({ op: 'remove', path });
    else if (patch.op === 'add' || patch.op === 'replace') {
      ops.push({ op: patch.op, path, value: patch.value as unknown });
    } else {
      throw shmStateError(
        'E_PATCH',
        `immer patch ${JSON.stringify(patch.op)} at ${JSON.stringify(path)} is not add, replace or remove`,
      );
    }
  }
  return ops;
}

/** The removes that take the array at `arrayPath` from `length` elements to `newLength`. */
function shrink(
  arrayPath: ReadonlyArray<string | number>,
  length: number,
  newLength: unknown,
): JsonPatchOperation[] {
  if (typeof newLength !== 'number' || !Number.isInteger(newLength) || newLength < 0) {
    throw shmStateError(
      'E_PATCH',
      `immer patch sets the length of ${JSON.stringify(formatJsonPointer(arrayPath))} to ${String(newLength)}`,
    );
  }
  if (newLength > length) {
    throw shmStateError(
      'E_PATCH',
      `immer patch grows ${JSON.stringify(formatJsonPointer(arrayPath))} from ${length} to ${newLength} elements by its length (JSON arrays have no holes)`,
    );
  }
  const ops: JsonPatchOperation[] = [];
  for (let index = length - 1; index >= newLength; index -= 1) {
    ops.push({ op: 'remove', path: formatJsonPointer([...arrayPath, index]) });
  }
  return ops;
}

/** The value at `path` in `root`, or undefined if there is none. */
function lookup(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
