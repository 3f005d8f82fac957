// Commits argv[3] random small edits to store argv[2] with update() (seed argv[4]): each
// edit is made by an immer recipe, so what is committed is the recipe's patches. After each
// it reads the store afresh through its own raw segment handle (the checkpoint and the
// patches after it, as any fresh reader does) and prints "<version> <sha1 of that state's
// canonical form>", then "done".
import {
  applyJsonPatch,
  SharedStore,
  type JsonPatchOperation,
  type JsonValue,
} from '@shmstate/core';
import { Segment } from '@shmstate/native';
import { canonical, randomEdit, seededRandom, stateHash } from '../helpers/random-edits';

type Container = JsonValue[] | { [key: string]: JsonValue };

const [name, count, seed] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const random = seededRandom(seed);
const store = SharedStore.open<Record<string, unknown>>(name);
const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** The container a pointer's parent names in the draft, and the last token. */
function locate(draft: Container, pointer: string): [Container, string] {
  const tokens = pointer.split('/').slice(1).map(unescape);
  let at: Container = draft;
  for (const token of tokens.slice(0, -1)) {
    at = (Array.isArray(at) ? at[Number(token)] : at[token]) as Container;
  }
  return [at, tokens[tokens.length - 1]!];
}

function take(draft: Container, pointer: string): JsonValue {
  const [parent, token] = locate(draft, pointer);
  if (Array.isArray(parent)) return parent.splice(Number(token), 1)[0]!;
  const value = parent[token]!;
  delete parent[token];
  return value;
}

function put(draft: Container, pointer: string, value: JsonValue, insert: boolean): void {
  const [parent, token] = locate(draft, pointer);
  if (!Array.isArray(parent)) parent[token] = value;
  else if (token === '-') parent.push(value);
  else if (insert) parent.splice(Number(token), 0, value);
  else parent[Number(token)] = value;
}

/** Edits the state once with a random recipe; the version committed, or the one read when
 * the edit changed nothing. */
function editOnce(): number {
  const state = store.get() as JsonValue;
  const ops = randomEdit(random, state, canonical(state).length > 12_000);
  return store.update((root) => {
    const draft = root as Container;
    for (const op of ops) {
      if (op.op === 'add') put(draft, op.path, structuredClone(op.value as JsonValue), true);
      else if (op.op === 'replace')
        put(draft, op.path, structuredClone(op.value as JsonValue), false);
      else if (op.op === 'remove') take(draft, op.path);
      else if (op.op === 'move') put(draft, op.path, take(draft, op.from), true);
      else if (op.op === 'copy') {
        const [parent, token] = locate(draft, op.from);
        const value = Array.isArray(parent) ? parent[Number(token)] : parent[token];
        put(draft, op.path, JSON.parse(JSON.stringify(value)) as JsonValue, true);
      }
    }
  });
}

const fresh = Segment.open(name);
const lines: string[] = [];
for (let i = 0; i < count; i += 1) {
  // An edit may change nothing (a value replaced by an equal one): edit again.
  const before = store.version;
  let version = editOnce();
  while (version === before) version = editOnce();
  const read = fresh.readDelta();
  if (read.version !== version) throw new Error(`read ${read.version} after committing ${version}`);
  let state = JSON.parse(read.state) as unknown;
  for (const patch of read.patches) {
    state = applyJsonPatch(state, JSON.parse(patch) as JsonPatchOperation[]).state;
  }
  lines.push(`${version} ${stateHash(state)}`);
}
store.close();
fresh.close();
process.stdout.write(`${lines.join('\n')}\ndone\n`);
