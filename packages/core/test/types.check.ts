/**
 * Type tests, checked by `tsc -p tsconfig.json` (part of `pnpm test` and of lint): the
 * state type flows into selectors, recipes, snapshots and streams, and wrong usages are
 * compile errors (each `@ts-expect-error` line fails the check if it ever compiles).
 * Nothing here runs: the function is never called.
 */
import { firstValueFrom, type Observable } from 'rxjs';
import {
  SharedStore,
  type Change,
  type DeepReadonly,
  type JsonPatchOperation,
  type JsonValue,
  type Snapshot,
} from '../src';

type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

interface State {
  a: { b: number; c: string[] };
  flag: boolean;
}

export function typeChecks(store: SharedStore<State>): void {
  // Reads are typed by the store's state type, read-only all the way down: states are
  // deep-frozen.
  expectType<Equal<ReturnType<typeof store.get>, DeepReadonly<State>>>();
  expectType<Equal<ReturnType<typeof store.snapshot>, Snapshot<State>>>();
  expectType<Equal<Snapshot<State>['state'], DeepReadonly<State>>>();
  expectType<Equal<typeof store.version, number>>();
  expectType<Equal<typeof store.state$, Observable<DeepReadonly<State>>>>();
  expectType<Equal<typeof store.changes$, Observable<Change<State>>>>();
  expectType<Equal<Change<State>['state'], DeepReadonly<State>>>();
  expectType<Equal<ReturnType<typeof firstValueFrom<State>>, Promise<State>>>();
  expectType<Equal<DeepReadonly<State>['a']['c'], readonly string[]>>();
  const state = store.get();
  const _b: number = state.a.b;
  const _first: string | undefined = state.a.c[0];
  // @ts-expect-error: a state handed out is frozen
  store.get().flag = true;
  // @ts-expect-error: ... all the way down
  state.a.b = 3;
  // @ts-expect-error: ... arrays included
  state.a.c.push('x');
  // @ts-expect-error: ... in snapshots
  store.snapshot().state.a.b = 3;
  store.changes$.subscribe((change) => {
    // @ts-expect-error: ... in changes
    change.state.flag = false;
  });
  store.state$.subscribe((current) => {
    // @ts-expect-error: ... in state$
    current.a.c[0] = 'y';
  });
  // @ts-expect-error: ... and in selections
  store.select((s) => s.a).subscribe((a) => (a.b = 3));

  // select() infers the slice type from the selector.
  const _b$ = store.select((s) => s.a.b);
  expectType<Equal<typeof _b$, Observable<number>>>();
  const _pair$ = store.select((s) => [s.flag, s.a.c.length] as const);
  expectType<Equal<typeof _pair$, Observable<readonly [boolean, number]>>>();
  // The equality function gets the slice type.
  const _a$ = store.select(
    (s) => s.a,
    (x, y) => x.b === y.b,
  );
  expectType<Equal<typeof _a$, Observable<DeepReadonly<State['a']>>>>();
  // @ts-expect-error: the selector's state has no such key
  store.select((s) => s.missing);
  // @ts-expect-error: the selector's state is read-only
  store.select((s) => (s.flag = true));
  const sameText = (x: string, y: string) => x === y;
  // @ts-expect-error: the equality function must take the slice type
  store.select((s) => s.a.b, sameText);

  // update() recipes are typed against the state.
  const version: number = store.update((draft) => {
    draft.a.b += 1;
    draft.a.c.push('x');
    draft.flag = !draft.flag;
  });
  void version;
  store.update(() => ({ a: { b: 0, c: [] }, flag: false }));
  store.update((draft) => {
    // @ts-expect-error: b is a number
    draft.a.b = 'one';
  });
  store.update((draft) => {
    // @ts-expect-error: no such key in the state
    draft.extra = 1;
  });
  // @ts-expect-error: a replacement state must be a whole State
  store.update(() => ({ a: { b: 0 } }));
  // @ts-expect-error: maxRetries is a number
  store.update(() => {}, { maxRetries: 'many' });

  // set() takes a whole State, fresh or read from a store.
  store.set({ a: { b: 1, c: [] }, flag: true });
  // @ts-expect-error: flag is missing
  store.set({ a: { b: 1, c: [] } });
  store.set(store.get());
  store.set({ ...store.get(), flag: true });

  // create() checks `initial` against the named state type...
  SharedStore.create<State>('n', { initial: { a: { b: 0, c: [] }, flag: false } });
  // @ts-expect-error: initial does not match State
  SharedStore.create<State>('n', { initial: { a: { b: 'zero', c: [] }, flag: false } });
  // ...and without one the state is unknown, not guessed from `initial`.
  const untyped = SharedStore.create('n', { initial: null });
  expectType<Equal<typeof untyped, SharedStore<unknown>>>();
  untyped.set({ anything: ['json'] });
  const _opened = SharedStore.open<State>('n');
  expectType<Equal<typeof _opened, SharedStore<State>>>();

  // A store may start at a given version; snapshots, changes and stats name the store.
  SharedStore.create<State>('n', { initial: { a: { b: 0, c: [] }, flag: false }, version: 7 });
  SharedStore.openOrCreate<State>('n', {
    initial: { a: { b: 0, c: [] }, flag: false },
    // @ts-expect-error: version is a number
    version: '7',
  });
  expectType<Equal<typeof store.storeId, string>>();
  expectType<Equal<ReturnType<typeof store.snapshot>['storeId'], string>>();
  expectType<Equal<Change<State>['storeId'], string>>();
  expectType<Equal<ReturnType<typeof store.stats>['storeId'], string>>();
  expectType<Equal<ReturnType<typeof store.stats>['flags'], number>>();

  // Deltas: every change says what changed; patch() takes RFC 6902 ops.
  expectType<Equal<Change<State>['patches'], ReadonlyArray<JsonPatchOperation> | null>>();
  expectType<Equal<typeof store.everyChange$, Observable<Change<State>>>>();
  expectType<Equal<ReturnType<typeof store.patch>, number>>();
  store.patch([{ op: 'replace', path: '/tick', value: 1 }], { expectedVersion: 2 });
  // @ts-expect-error: a move needs "from"
  store.patch([{ op: 'move', path: '/tick' }]);
  expectType<Equal<ReturnType<typeof store.stats>['checkpointVersion'], number>>();

  // waitFor() resolves with a snapshot; its timeout is in milliseconds.
  expectType<Equal<ReturnType<typeof store.waitFor>, Promise<Snapshot<State>>>>();
  void store.waitFor(3);
  void store.waitFor(3, { timeout: 500 });
  // @ts-expect-error: the timeout is a number of milliseconds
  void store.waitFor(3, { timeout: '500' });
  // @ts-expect-error: the version is a number
  void store.waitFor('3');
}

/** A state type like the README's: an interface, with no index signature. */
interface Robot {
  pose: { x: number; y: number };
  tick: number;
}
interface Fleet {
  robots: Robot[];
  names: Record<string, string>;
  pair: [number, string];
  note?: string;
  status: 'idle' | 'moving';
  payload: unknown;
  nothing: null;
}
interface Tree {
  value: number;
  children: Tree[];
}

/** The state type must be JSON, as far as TypeScript can say it. */
export function jsonStates(): void {
  // JSON types compile: interfaces, nested arrays and records, tuples, optional
  // properties, unions, recursive types, JsonValue, primitives, unknown (the default).
  SharedStore.create<Robot>('n', { initial: { pose: { x: 0, y: 0 }, tick: 0 } });
  SharedStore.open<Fleet>('n');
  SharedStore.open<Tree>('n');
  SharedStore.open<JsonValue>('n');
  SharedStore.open<Record<string, number[][]>>('n');
  SharedStore.open<{ kind: 'a' } | { kind: 'b'; n: number }>('n');
  SharedStore.open<number>('n');
  SharedStore.open<string[]>('n');
  SharedStore.open<null>('n');
  SharedStore.open<unknown>('n');
  SharedStore.open<{ optional?: { deep?: string[] } }>('n');
  const _robot: SharedStore<Robot> = SharedStore.open<Robot>('n');

  // What JSON cannot hold does not compile, at the top or nested anywhere.
  // @ts-expect-error: a Date would be read back as a string
  SharedStore.create<{ d: Date }>('n', { initial: { d: new Date() } });
  // @ts-expect-error: a Map would be written as {}
  SharedStore.open<{ m: Map<string, number> }>('n');
  // @ts-expect-error: a Set nested in an array
  SharedStore.open<{ s: Set<number>[] }>('n');
  // @ts-expect-error: an optional Date is still a Date
  SharedStore.open<{ when?: Date }>('n');
  // @ts-expect-error: a Map as the whole state
  SharedStore.open<Map<string, string>>('n');
  // @ts-expect-error: BigInt has no JSON form
  SharedStore.open<{ big: bigint }>('n');
  // @ts-expect-error: ... not even in a union
  SharedStore.open<{ n: number | bigint }>('n');
  // @ts-expect-error: functions are dropped by JSON
  SharedStore.open<{ f: () => void }>('n');
  // @ts-expect-error: a property present as undefined is refused (optional is fine)
  SharedStore.open<{ u: number | undefined }>('n');
  // @ts-expect-error: the constraint holds for the class too
  const _dated: SharedStore<{ d: Date }> | undefined = undefined;
  // @ts-expect-error: ... and for openOrCreate
  SharedStore.openOrCreate<{ d: Date }>('n', { initial: { d: new Date() } });
}

/** update() recipes still get a mutable draft of a store's (read-only) state. */
export function drafts(store: SharedStore<Fleet>): void {
  store.update((draft) => {
    draft.robots.push({ pose: { x: 1, y: 2 }, tick: 0 });
    draft.robots[0]!.pose.x = 3;
    draft.names['r1'] = 'first';
    draft.pair[0] = 2;
  });
}
