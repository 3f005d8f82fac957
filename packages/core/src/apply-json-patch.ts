/**
 * Applies an RFC 6902 JSON Patch to a deep-frozen state without copying the state: only
 * the arrays and objects on the path from the root to each changed location are copied
 * (once per patch, however many operations touch them), every other subtree of the
 * result is the same object (===) as in the old state, and the result is deep-frozen.
 * The cost is that of the containers on the paths (their widths) and of the values the
 * operations carry, not of the state's size.
 *
 * Operations: add, remove, replace, move, copy, test, with RFC 6902's semantics: `add`
 * at an array index inserts (`-` appends), at an object key adds or replaces, at the
 * empty pointer replaces the whole state; `move` is a remove then an add of the same
 * value, and a value may not move into its own child; `test` compares as JSON does
 * (1 and 1.0 are equal, key order does not matter, true is not 1). Array indices are
 * decimal without leading zeros; `-` (past the end) is allowed only as the target of an
 * add, move or copy. Removing the whole state (remove or move from `""`) is refused.
 *
 * Values are checked against the JSON dialect (`findDialectViolation`, nesting at most
 * MAX_DEPTH levels counted from the state's root) and added as copies made from their
 * JSON text, so the state holds exactly what another process decodes (-0 becomes 0) and
 * the caller's objects are neither frozen nor kept. `copy` shares the copied subtree.
 *
 * Atomic: the old state is never modified; if any operation fails, nothing is returned
 * and the error is a ShmStateError naming the operation's index, the operation and the
 * reason: E_PATCH when it does not apply (a pointer to nothing, a failed test, a
 * malformed operation, an index out of range, ...), E_ENCODE when its value is outside
 * the dialect.
 *
 * `sizeChange` is the change of `Buffer.byteLength(JSON.stringify(state))` (compact
 * UTF-8 JSON, what the store commits), counted per operation without encoding the state:
 * a value added or removed counts its own encoded bytes, an object member also its key's
 * encoded bytes and the `:`, and one `,` is counted whenever a container goes from one
 * entry to two or more, or back; a replace counts new bytes minus old bytes. Each value
 * involved is encoded once (JSON.stringify), so removing or replacing a large subtree
 * costs an encoding of that subtree; nothing else of the state is encoded.
 *
 * @example
 * const state = deepFreeze({ pose: { x: 1, y: 2 }, log: ['a'] });
 * const { state: next, sizeChange } = applyJsonPatch(state, [
 *   { op: 'replace', path: '/pose/x', value: 10 },
 *   { op: 'add', path: '/log/-', value: 'b' },
 * ]);
 * // next: { pose: { x: 10, y: 2 }, log: ['a', 'b'] }, deep-frozen; sizeChange: 1 + 4
 * applyJsonPatch(state, [{ op: 'remove', path: '/nope' }]);
 * // throws E_PATCH: JSON Patch op 0 {"op":"remove","path":"/nope"}: "/nope" names
 * // nothing: the object at "" has no member "nope"
 */
import { deepFreeze, freezeParsed } from './deep-freeze';
import { ShmStateError, shmStateError } from './errors';
import { findDialectViolation, MAX_DEPTH } from './find-dialect-violation';
import { formatJsonPointer, parseJsonPointer } from './json-pointer';
import type { JsonPatchOperation, JsonPatchResult } from './types';

/** Applies `ops` in order to `state`; see the file's docblock. */
export function applyJsonPatch<T>(
  state: T,
  ops: ReadonlyArray<JsonPatchOperation>,
): JsonPatchResult<T> {
  if (!Array.isArray(ops)) {
    throw shmStateError(
      'E_PATCH',
      `a JSON Patch is an array of operations, got ${describe(ops, 100)}`,
    );
  }
  // The contract is a deep-frozen state (every state a store hands out is); a state whose
  // root is not frozen yet is frozen first, so that it is never written to below.
  let root: unknown = deepFreeze(state);
  // The containers this patch copied, written in place until the end, then frozen.
  const created: Container[] = [];
  let sizeChange = 0;
  for (let index = 0; index < ops.length; index += 1) {
    const op: unknown = ops[index];
    try {
      const applied = applyOperation(root, op, created);
      root = applied.root;
      sizeChange += applied.sizeChange;
    } catch (err) {
      if (!(err instanceof Failure)) throw err;
      throw shmStateError(err.code, `JSON Patch op ${index} ${describe(op, 200)}: ${err.reason}`);
    }
  }
  // Everything else in the result is frozen already: the old state's containers, the
  // added values (frozen copies) and what a copy op shared (frozen when copied).
  for (const node of created) Object.freeze(node);
  return { state: root as T, sizeChange };
}

/** Why an operation fails, before the op's index and text are put in front. */
class Failure extends Error {
  constructor(
    readonly code: 'E_PATCH' | 'E_ENCODE',
    readonly reason: string,
  ) {
    super(reason);
  }
}

type Container = unknown[] | Record<string, unknown>;

interface Applied {
  root: unknown;
  sizeChange: number;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function applyOperation(root: unknown, op: unknown, created: Container[]): Applied {
  if (typeof op !== 'object' || op === null || Array.isArray(op)) {
    throw new Failure('E_PATCH', 'an operation is an object');
  }
  const record = op as Record<string, unknown>;
  const name = record.op;
  if (typeof name !== 'string' || !OPS.has(name)) {
    throw new Failure(
      'E_PATCH',
      `"op" must be one of add, remove, replace, move, copy, test; got ${describe(name, 50)}`,
    );
  }
  const path = pointerMember(record, 'path');
  switch (name) {
    case 'add': {
      const added = addedValue(record, path);
      return add(root, path, added.value, added.bytes, created);
    }
    case 'remove':
      return remove(root, path, created);
    case 'replace': {
      const added = addedValue(record, path);
      // A value JSON-equal to the one there changes nothing: nothing is copied, and a
      // patch of such ops leaves the state the same object (a commit of nothing). The
      // comparison costs the value's size, like the copy it saves.
      if (jsonEqual(valueAt(root, path), added.value)) return { root, sizeChange: 0 };
      return replace(root, path, added.value, added.bytes, created);
    }
    case 'move': {
      const from = pointerMember(record, 'from');
      if (isPrefix(from, path)) {
        if (from.length === path.length) {
          valueAt(root, from); // must exist; moving a value onto itself changes nothing
          return { root, sizeChange: 0 };
        }
        throw new Failure(
          'E_PATCH',
          `cannot move ${quote(from)} into its own child ${quote(path)}`,
        );
      }
      const value = valueAt(root, from);
      checkDepth(value, path, from.length);
      const removed = remove(root, from, created);
      const added = add(removed.root, path, value, encodedBytes(value), created);
      return { root: added.root, sizeChange: removed.sizeChange + added.sizeChange };
    }
    case 'copy': {
      const from = pointerMember(record, 'from');
      // The copy shares the subtree, so it must be frozen: a container this patch created
      // and would otherwise write in place is frozen here, and copied on its next write.
      const value = deepFreeze(valueAt(root, from));
      checkDepth(value, path, from.length);
      return add(root, path, value, encodedBytes(value), created);
    }
    default: {
      // test
      if (!('value' in record)) throw new Failure('E_PATCH', 'a "test" needs a "value"');
      const problem = findDialectViolation(record.value);
      if (problem !== undefined) throw new Failure('E_ENCODE', valueProblem(problem));
      const actual = valueAt(root, path);
      if (!jsonEqual(actual, record.value)) {
        throw new Failure(
          'E_PATCH',
          `test failed: ${quote(path)} is ${describe(actual, 100)}, not ${describe(record.value, 100)}`,
        );
      }
      return { root, sizeChange: 0 };
    }
  }
}

function pointerMember(record: Record<string, unknown>, member: 'path' | 'from'): string[] {
  const pointer = record[member];
  if (typeof pointer !== 'string') {
    throw new Failure(
      'E_PATCH',
      `${article(record.op)} needs a string "${member}", got ${describe(pointer, 50)}`,
    );
  }
  try {
    return parseJsonPointer(pointer);
  } catch (err) {
    if (!(err instanceof ShmStateError)) throw err;
    throw new Failure('E_PATCH', `"${member}": ${withoutCode(err)}`);
  }
}

/** The op's value, checked and copied from its JSON text, with that text's UTF-8 size. */
function addedValue(
  record: Record<string, unknown>,
  path: readonly string[],
): { value: unknown; bytes: number } {
  if (!('value' in record)) {
    throw new Failure('E_PATCH', `${article(record.op)} needs a "value"`);
  }
  const problem = findDialectViolation(record.value);
  if (problem !== undefined) throw new Failure('E_ENCODE', valueProblem(problem));
  const text = JSON.stringify(record.value);
  const value = freezeParsed(JSON.parse(text) as unknown);
  checkDepth(value, path, 0);
  return { value, bytes: Buffer.byteLength(text, 'utf8') };
}

/** E_ENCODE if `value` placed at `path` would nest deeper than MAX_DEPTH. `knownFits`:
 * the value already sits under that many containers in the state, so it fits there. */
function checkDepth(value: unknown, path: readonly string[], knownFits: number): void {
  if (path.length <= knownFits) return;
  const depth = nestingDepth(value, MAX_DEPTH - path.length + 1);
  if (path.length + depth > MAX_DEPTH) {
    throw new Failure(
      'E_ENCODE',
      `the value would nest deeper than ${MAX_DEPTH} levels at ${quote(path)}`,
    );
  }
}

/** Levels of arrays and objects in `value` (0 for a primitive), counted up to `limit`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, level] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (level > deepest) deepest = level;
    if (deepest >= limit) return deepest;
    for (const child of Object.values(node)) pending.push([child, level + 1]);
  }
  return deepest;
}

function add(
  root: unknown,
  path: readonly string[],
  value: unknown,
  bytes: number,
  created: Container[],
): Applied {
  if (path.length === 0) return { root: value, sizeChange: bytes - encodedBytes(root) };
  let sizeChange = 0;
  const newRoot = editParent(
    root,
    path,
    (parent, token) => {
      if (Array.isArray(parent)) {
        const index = token === '-' ? parent.length : arrayIndex(parent, token, path, true);
        sizeChange = bytes + (parent.length > 0 ? 1 : 0);
        parent.splice(index, 0, value);
      } else if (Object.hasOwn(parent, token)) {
        sizeChange = bytes - encodedBytes(parent[token]);
        setMember(parent, token, value);
      } else {
        sizeChange = keyBytes(token) + 1 + bytes + (hasMembers(parent) ? 1 : 0);
        setMember(parent, token, value);
      }
    },
    created,
  );
  return { root: newRoot, sizeChange };
}

function remove(root: unknown, path: readonly string[], created: Container[]): Applied {
  if (path.length === 0) throw new Failure('E_PATCH', 'cannot remove the whole state ("")');
  let sizeChange = 0;
  const newRoot = editParent(
    root,
    path,
    (parent, token) => {
      if (Array.isArray(parent)) {
        const index = arrayIndex(parent, token, path, false);
        sizeChange = -(encodedBytes(parent[index]) + (parent.length > 1 ? 1 : 0));
        parent.splice(index, 1);
      } else {
        const old = member(parent, token, path, path.length);
        delete parent[token];
        sizeChange = -(keyBytes(token) + 1 + encodedBytes(old) + (hasMembers(parent) ? 1 : 0));
      }
    },
    created,
  );
  return { root: newRoot, sizeChange };
}

function replace(
  root: unknown,
  path: readonly string[],
  value: unknown,
  bytes: number,
  created: Container[],
): Applied {
  if (path.length === 0) return { root: value, sizeChange: bytes - encodedBytes(root) };
  let sizeChange = 0;
  const newRoot = editParent(
    root,
    path,
    (parent, token) => {
      if (Array.isArray(parent)) {
        const index = arrayIndex(parent, token, path, false);
        sizeChange = bytes - encodedBytes(parent[index]);
        parent[index] = value;
      } else {
        sizeChange = bytes - encodedBytes(member(parent, token, path, path.length));
        setMember(parent, token, value);
      }
    },
    created,
  );
  return { root: newRoot, sizeChange };
}

/**
 * Makes the containers from the root to the parent of `path` writable (a frozen one is
 * copied and the copy put in its parent; one this patch created already is written in
 * place), then lets `edit` change the parent at the last token. Returns the new root.
 */
function editParent(
  root: unknown,
  path: readonly string[],
  edit: (parent: Container, token: string) => void,
  created: Container[],
): unknown {
  const newRoot = writable(container(root, path, 0), created);
  let parent = newRoot;
  for (let depth = 0; depth < path.length - 1; depth += 1) {
    const token = path[depth] as string;
    const child = childAt(parent, token, path, depth + 1);
    const copy = writable(container(child, path, depth + 1), created);
    if (copy !== child) {
      if (Array.isArray(parent)) parent[Number(token)] = copy;
      else setMember(parent, token, copy);
    }
    parent = copy;
  }
  edit(parent, path[path.length - 1] as string);
  return newRoot;
}

/** The value at `path`; E_PATCH if there is none. */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (let depth = 0; depth < path.length; depth += 1) {
    node = childAt(container(node, path, depth), path[depth] as string, path, depth + 1);
  }
  return node;
}

/** The child of `parent` at `path[depth - 1]` (which must exist). */
function childAt(
  parent: Container,
  token: string,
  path: readonly string[],
  depth: number,
): unknown {
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, path, false)];
  return member(parent, token, path, depth);
}

/** `node`, the value at the first `depth` tokens of `path`, as a container to descend. */
function container(node: unknown, path: readonly string[], depth: number): Container {
  if (typeof node === 'object' && node !== null) return node as Container;
  throw new Failure(
    'E_PATCH',
    `${quote(path)} names nothing: ${quote(path.slice(0, depth))} is ${describe(node, 50)}, not an array or object`,
  );
}

/** `node` if this patch created it, else a copy (recorded in `created`). */
function writable(node: Container, created: Container[]): Container {
  if (!Object.isFrozen(node)) return node;
  // Array.from, not slice: V8 slices a frozen array several times slower.
  const copy = Array.isArray(node) ? Array.from(node) : copyObject(node);
  created.push(copy);
  return copy;
}

/** Past this many members a container is "wide" (V8's limit for keeping an object's
 * members in fast mode when they are added one by one). */
const WIDE_MEMBERS = 128;
/** Copies this module made of wide objects: their copies are made the wide way at once,
 * without counting members again. */
const wideObjects = new WeakSet<object>();

/**
 * A shallow copy of a plain object, made the way that is fastest for its width (measured
 * in V8 on Node 20, copy then change one member then freeze, version after version):
 * - up to WIDE_MEMBERS members, spread: the copy shares the source's hidden class and stays
 *   in fast mode, about 1 us for 32 members. A for-in loop adds the members one by one
 *   with keyed stores, which puts every object of more than about 16 members in
 *   dictionary mode, and each later copy of such an object costs 8 to 10 us.
 * - wider objects are in dictionary mode whatever is done (JSON.parse leaves objects of
 *   more than about 1,000 members there), and for-in copies them about 1.4 times faster
 *   than spread (11,000 members: 5.9 against 8.2 ms).
 * Counting the members stops at WIDE_MEMBERS + 1, and the copy of a wide object is
 * remembered as wide, so counting is paid once per wide object a read produced.
 * Spread and setMember both make "__proto__" an own member, never the prototype.
 */
function copyObject(node: Record<string, unknown>): Record<string, unknown> {
  if (!wideObjects.has(node)) {
    let members = 0;
    for (const _key in node) if (++members > WIDE_MEMBERS) break;
    if (members <= WIDE_MEMBERS) return { ...node };
  }
  const copy: Record<string, unknown> = {};
  for (const key in node) setMember(copy, key, node[key]);
  wideObjects.add(copy);
  return copy;
}

/** The index an array token names: decimal digits without leading zeros, below the
 * length (or up to it, when `end` allows inserting at the end). */
function arrayIndex(
  array: readonly unknown[],
  token: string,
  path: readonly string[],
  end: boolean,
): number {
  const where = quote(path);
  if (token === '-') {
    throw new Failure(
      'E_PATCH',
      `${where} names nothing: "-" is past the end of the array (only add, move and copy may write there)`,
    );
  }
  if (!/^(0|[1-9][0-9]*)$/.test(token)) {
    const why = /^0[0-9]+$/.test(token) ? ' (leading zeros)' : '';
    throw new Failure('E_PATCH', `${where}: "${token}" is not an array index${why}`);
  }
  const index = Number(token);
  if (index < array.length || (end && index === array.length)) return index;
  throw new Failure(
    'E_PATCH',
    `${where}: index ${token} is out of range (the array has ${array.length} elements)`,
  );
}

/** The member `key` (`path[depth - 1]`) of `object`; E_PATCH naming `path` if none. */
function member(
  object: Record<string, unknown>,
  key: string,
  path: readonly string[],
  depth: number,
): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  throw new Failure(
    'E_PATCH',
    `${quote(path)} names nothing: the object at ${quote(path.slice(0, depth - 1))} has no member ${JSON.stringify(key)}`,
  );
}

function setMember(object: Record<string, unknown>, key: string, value: unknown): void {
  // `object.__proto__ = v` would set the prototype, not a member.
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

function hasMembers(object: Record<string, unknown>): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (prefix[i] !== path[i]) return false;
  return true;
}

/** JSON equality (RFC 6902 4.6): numbers by value, objects regardless of key order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i += 1) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(right, key) || !jsonEqual(left[key], right[key])) return false;
  }
  return true;
}

function encodedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function keyBytes(key: string): number {
  return Buffer.byteLength(JSON.stringify(key), 'utf8');
}

/** `an "add"`, `a "move"`. */
function article(op: unknown): string {
  const name = String(op);
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} "${name}"`;
}

function quote(path: readonly string[]): string {
  return JSON.stringify(formatJsonPointer(path));
}

/** `state.a[0] is a BigInt` from the dialect check, about the op's value instead. */
function valueProblem(problem: string): string {
  return `"value": ${problem.replace(/^state/, 'value')}`;
}

function withoutCode(err: ShmStateError): string {
  const suffix = ` (${err.code})`;
  return err.message.endsWith(suffix) ? err.message.slice(0, -suffix.length) : err.message;
}

/** A short JSON text of `value` for a message, cut at `max` characters. */
function describe(value: unknown, max: number): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
