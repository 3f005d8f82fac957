/**
 * Type tests, checked by `tsc -p tsconfig.json` (part of `pnpm test` and of lint): the
 * state type flows into selectors, recipes, snapshots and streams, and wrong usages are
 * compile errors (each `@ts-expect-error` line fails the check if it ever compiles).
 * Nothing here runs: the function is never called.
 */
import { firstValueFrom, type Observable } from 'rxjs';
import { SharedStore, type Change, type Snapshot } from '../src';

type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(): T | void {}

interface State {
  a: { b: number; c: string[] };
  flag: boolean;
}

export function typeChecks(store: SharedStore<State>): void {
  // Reads are typed by the store's state type.
  expectType<Equal<ReturnType<typeof store.get>, State>>();
  expectType<Equal<ReturnType<typeof store.snapshot>, Snapshot<State>>>();
  expectType<Equal<typeof store.version, number>>();
  expectType<Equal<typeof store.state$, Observable<State>>>();
  expectType<Equal<typeof store.changes$, Observable<Change<State>>>>();
  expectType<Equal<ReturnType<typeof firstValueFrom<State>>, Promise<State>>>();

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
  expectType<Equal<typeof _a$, Observable<State['a']>>>();
  // @ts-expect-error: the selector's state has no such key
  store.select((s) => s.missing);
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

  // set() takes a whole State.
  store.set({ a: { b: 1, c: [] }, flag: true });
  // @ts-expect-error: flag is missing
  store.set({ a: { b: 1, c: [] } });

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
}
