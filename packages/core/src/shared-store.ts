/**
 * A JSON state shared live with other processes (Node or Python) through a shmstate
 * segment, exposed as RxJS streams.
 *
 * Reads are lock-free and cached per version: `get()`, `snapshot()` and every stream of
 * one store share one decoded, deep-frozen state per version. Writes encode in the
 * shmstate JSON dialect (E_ENCODE, naming the path), check the size (E_CAPACITY) and
 * commit atomically; `update()` runs an immer recipe under compare-and-set and retries
 * when another writer got there first, so concurrent increments are never lost.
 * One native watcher per store, started by the first subscriber and stopped after the
 * last, feeds `state$`, `changes$`, every selection and `waitFor`.
 *
 * States are handed out deep-frozen and typed `DeepReadonly<T>`; `T` must be a JSON type
 * (`JsonState<T>`). A bad argument is a `ShmStateError` with code E_INVALID.
 *
 * @example
 * interface Robot { pose: { x: number; y: number }; tick: number }
 * const store = SharedStore.create<Robot>('robot', { initial: { pose: { x: 0, y: 0 }, tick: 0 } });
 * store.select((s) => s.pose.x).subscribe((x) => console.log('x', x));
 * store.update((draft) => { draft.tick += 1; draft.pose.x = 1.5 });
 * store.close();
 * SharedStore.unlink('robot');
 */
import { LIMITS, Segment, type SegmentStats } from '@shmstate/native';
import {
  argument,
  checkCreateNumbers,
  checkFunction,
  checkIntegerIn,
  checkNumber,
  checkObject,
  checkRange,
  checkString,
  invalidArgument,
  MAX_VERSION,
  option,
  type CreateNumbers,
} from '@shmstate/native/internal';
import { Immer, type Draft, type Producer } from 'immer';
import { distinctUntilChanged, map, Subject, Subscription, type Observable } from 'rxjs';
import { changeStream } from './change-stream';
import { encodeState, encodeStateText } from './codec';
import { ShmStateError, shmStateError } from './errors';
import { findDialectViolation } from './find-dialect-violation';
import { pauseBeforeRetry } from './pause-before-retry';
import type {
  Change,
  DeepReadonly,
  JsonState,
  SharedStoreCreateOptions,
  Snapshot,
  UpdateOptions,
  WaitForOptions,
} from './types';
import { VersionCache } from './version-cache';
import { watchVersions } from './watch-versions';

/** The capacity of a store created without one: 1 MiB, as in Python. */
const DEFAULT_CAPACITY = 1 << 20;
/** How many times update() re-runs its recipe after losing a compare-and-set. */
const DEFAULT_MAX_RETRIES = 100;
/** The longest waitFor() timeout, the longest delay a Node timer takes: about 24.8 days. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// A private immer: the global one's settings belong to the application. Results are only
// encoded, never handed out, so freezing them would be wasted work (the states handed
// out come from the VersionCache, which freezes them).
const immer = new Immer({ autoFreeze: false });

export class SharedStore<T extends JsonState<T> = unknown> {
  /** The current state on subscribe, then every newer committed state (latest wins). */
  readonly state$: Observable<DeepReadonly<T>>;
  /** Like state$, with each state's version, the store id and how many versions were
   * skipped. */
  readonly changes$: Observable<Change<T>>;

  private readonly cache: VersionCache<T>;
  private readonly versions$: Observable<Snapshot<T>>;
  private readonly closing = new Subject<void>();
  private isClosed = false;

  private constructor(private readonly segment: Segment) {
    this.cache = new VersionCache<T>(segment);
    this.versions$ = watchVersions(segment, this.cache);
    this.changes$ = changeStream(this.cache, this.versions$, () => this.isClosed, this.closing);
    this.state$ = this.changes$.pipe(map((change) => change.state));
  }

  /**
   * Creates the segment `name` holding `initial` as version `options.version` (default 1;
   * E_EXISTS if it exists). The state type is the one you name (`create<Robot>(...)`), not
   * inferred from `initial`, which it must match.
   */
  static create<T extends JsonState<T> = unknown>(
    name: string,
    options: SharedStoreCreateOptions<NoInfer<T>>,
  ): SharedStore<T> {
    const { capacity, mode, version, initial } = checkCreateArguments(name, options);
    return new SharedStore<T>(Segment.create(name, { capacity, mode, initial, version }));
  }

  /** Opens the existing segment `name` (E_NOENT if absent). */
  static open<T extends JsonState<T> = unknown>(name: string): SharedStore<T> {
    checkString(argument('name'), name);
    return new SharedStore<T>(Segment.open(name));
  }

  /**
   * Opens `name`, or creates it with `initial` (as version `options.version`, default 1)
   * if absent; safe against concurrent callers.
   */
  static openOrCreate<T extends JsonState<T> = unknown>(
    name: string,
    options: SharedStoreCreateOptions<NoInfer<T>>,
  ): SharedStore<T> {
    const { capacity, mode, version, initial } = checkCreateArguments(name, options);
    return new SharedStore<T>(
      Segment.openOrCreate(name, { capacity, mode, initial, version }).segment,
    );
  }

  /** Removes the name (E_NOENT if absent); processes that have it open keep using it. */
  static unlink(name: string): void {
    checkString(argument('name'), name);
    Segment.unlink(name);
  }

  /** The segment name. */
  get name(): string {
    return this.segment.name;
  }

  /** The largest encoded state in bytes. */
  get capacity(): number {
    return this.segment.capacity;
  }

  /**
   * The store id: 64 random bits drawn when the segment was created, as 16 lowercase hex
   * digits. A store unlinked and created again under the same name has another id.
   */
  get storeId(): string {
    return this.segment.storeId;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The latest committed version: one atomic load, no copy. */
  get version(): number {
    return this.live().version;
  }

  /** The latest committed state, deep-frozen; the same object while the version stays. */
  get(): DeepReadonly<T> {
    return this.snapshot().state;
  }

  /** The latest committed state with its version and the store id, deep-frozen and cached
   * per version. */
  snapshot(): Snapshot<T> {
    this.live();
    return this.cache.current();
  }

  /**
   * Commits `state` as the next version and returns that version. A state read from a
   * store (deep-readonly) is accepted as well as a fresh one.
   */
  set(state: T | DeepReadonly<T>): number {
    const segment = this.live();
    return segment.commitText(encodeStateText(state));
  }

  /**
   * Applies an immer recipe to the latest state and commits the result only if nobody
   * committed in between (compare-and-set); otherwise re-reads and re-runs the recipe,
   * up to `maxRetries` times, then throws E_CONFLICT. A recipe that throws commits
   * nothing; one that changes nothing commits nothing and returns the version it read.
   * Returns the committed version.
   */
  update(recipe: Producer<T>, options?: UpdateOptions): number {
    checkFunction(argument('recipe'), recipe);
    const maxRetries = checkUpdateOptions(options);
    const segment = this.live();
    for (let retry = 0; retry <= maxRetries; retry += 1) {
      pauseBeforeRetry(retry);
      const { version, state } = this.cache.current();
      // The frozen state is the base immer copies on write: the draft is mutable.
      const next = immer.produce(state as T, (draft: Draft<T>) =>
        checkReplacement(recipe(draft), draft),
      );
      if (Object.is(next, state)) return version;
      const text = encodeStateText(next);
      try {
        return segment.commitText(text, { expectedVersion: version });
      } catch (err) {
        if (!(err instanceof ShmStateError) || err.code !== 'E_CONFLICT') throw err;
      }
    }
    throw shmStateError(
      'E_CONFLICT',
      `update() lost the compare-and-set ${maxRetries + 1} times in a row: other writers kept committing`,
    );
  }

  /**
   * The slice `selector` picks from each state, emitted only when it changes by `equal`
   * (default Object.is). Each version decodes to new objects, so an object slice is a new
   * object at every version even when its content is equal: select primitives, or pass
   * an `equal` that compares by value.
   */
  select<S>(
    selector: (state: DeepReadonly<T>) => S,
    equal: (previous: S, current: S) => boolean = Object.is,
  ): Observable<S> {
    checkFunction(argument('selector'), selector);
    checkFunction(argument('equal'), equal);
    this.live();
    return this.state$.pipe(map(selector), distinctUntilChanged(equal));
  }

  /**
   * Resolves with the snapshot `{ version, state, storeId }` once the published version
   * is `version` or later: at once if it already is (without starting a watcher),
   * otherwise on the first change notification that finds it, from any process. Rejects
   * with E_TIMEOUT after `options.timeout` ms (default: no limit), with E_CLOSED if the
   * store is closed before, and with the watcher's error if notification fails for good.
   * Waiting blocks nothing: it rides the store's shared watcher, which keeps the process
   * alive only while a wait is pending; once the promise settles, nothing of it is left.
   * Bad arguments reject with E_INVALID.
   */
  waitFor(version: number, options?: WaitForOptions): Promise<Snapshot<T>> {
    return new Promise<Snapshot<T>>((resolve, reject) => {
      // Thrown here, an error rejects the promise: waitFor never throws synchronously.
      checkIntegerIn(argument('version'), version, 1, MAX_VERSION);
      const timeout = checkWaitForOptions(options);
      const now = this.snapshot();
      if (now.version >= version) {
        resolve(now);
        return;
      }
      // Everything the wait holds (the closing listener, the watcher subscription, the
      // timer) goes into `held`; settling releases it all, and anything added after that
      // is released at once (rxjs runs a teardown added to a closed Subscription).
      const held = new Subscription();
      const settle = (outcome: () => void): void => {
        if (held.closed) return;
        held.unsubscribe();
        outcome();
      };
      const check = (snapshot: Snapshot<T>): void => {
        if (snapshot.version >= version) settle(() => resolve(snapshot));
      };
      const closed = () =>
        shmStateError(
          'E_CLOSED',
          `the store "${this.name}" was closed before version ${version} arrived`,
        );
      held.add(this.closing.subscribe(() => settle(() => reject(closed()))));
      // Watch first, then read again: a commit between the read above and the start of
      // the watcher is then either in this read or reported by the watcher.
      held.add(
        this.versions$.subscribe({
          next: check,
          error: (err: unknown) => settle(() => reject(err)),
        }),
      );
      if (held.closed) return;
      try {
        check(this.cache.current());
      } catch (err) {
        settle(() => reject(err));
      }
      if (held.closed || timeout === undefined) return;
      const timer = setTimeout(() => {
        const message = `version ${version} did not arrive within ${timeout} ms; the version is ${this.segment.version}`;
        settle(() => reject(shmStateError('E_TIMEOUT', message)));
      }, timeout);
      held.add(() => clearTimeout(timer));
    });
  }

  /** Writer-side statistics kept in the segment (commits, conflicts, lock recoveries,
   * waiters), the current version, the store id and the flags word. */
  stats(): SegmentStats {
    return this.live().stats();
  }

  /** How long a commit waits for the writer lock (held by a stalled writer) before
   * E_TIMEOUT; default 5000 ms. A lock is never stolen from a live process. */
  setLockTimeout(ms: number): void {
    this.live().setLockTimeout(ms);
  }

  /**
   * Completes state$, changes$ and every selection, stops the watcher and closes the
   * segment. Every later call throws E_CLOSED; closing again does nothing.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // Completing the subscribers releases their references to the shared watcher, whose
    // teardown stops it; only then is the segment closed under it.
    this.closing.next();
    this.closing.complete();
    this.segment.close();
  }

  private live(): Segment {
    if (this.isClosed)
      throw shmStateError('E_CLOSED', `the store "${this.segment.name}" is closed`);
    return this.segment;
  }
}

/**
 * The arguments of create() and openOrCreate(): all checked (E_INVALID) before `initial`
 * is encoded (E_ENCODE, or E_CAPACITY naming both sizes, as set() does), and that before
 * the segment is made. Capacity, mode and version ranges are the core's: a capacity it
 * refuses is not measured against here, so its E_INVALID comes first, as in Python.
 */
function checkCreateArguments(
  name: unknown,
  options: unknown,
): CreateNumbers & { initial: Buffer } {
  checkString(argument('name'), name);
  const fields = checkObject(argument('options'), options);
  if (fields['initial'] === undefined) {
    throw invalidArgument('Option "initial" must be a JSON value, got undefined');
  }
  const numbers = checkCreateNumbers({
    ...fields,
    capacity: fields['capacity'] === undefined ? DEFAULT_CAPACITY : fields['capacity'],
  });
  const { capacity } = numbers;
  const measure = capacity >= LIMITS.capacityMin && capacity <= LIMITS.capacityMax;
  return { ...numbers, initial: encodeState(fields['initial'], measure ? capacity : undefined) };
}

function checkUpdateOptions(options: UpdateOptions | undefined): number {
  if (options === undefined) return DEFAULT_MAX_RETRIES;
  const fields = checkObject(argument('options'), options);
  if (fields['maxRetries'] === undefined) return DEFAULT_MAX_RETRIES;
  return checkIntegerIn(option('maxRetries'), fields['maxRetries'], 0, MAX_VERSION);
}

/** The timeout of waitFor() in ms, undefined for none. */
function checkWaitForOptions(options: WaitForOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  const fields = checkObject(argument('options'), options);
  if (fields['timeout'] === undefined) return undefined;
  return checkRange(
    option('timeout'),
    checkNumber(option('timeout'), fields['timeout']),
    0,
    MAX_TIMEOUT_MS,
  );
}

/**
 * Checks a replacement state returned by a recipe before immer walks it: immer's
 * finalisation recurses through a returned value without cycle detection, so a cyclic
 * replacement would overflow the stack instead of failing with E_ENCODE. (The walk sees
 * live drafts inside the replacement, which are valid JSON values.)
 */
function checkReplacement<D>(returned: D | void, draft: D): D | void {
  if (returned !== undefined && returned !== draft) {
    const problem = findDialectViolation(returned);
    if (problem !== undefined) throw shmStateError('E_ENCODE', problem);
  }
  return returned;
}
