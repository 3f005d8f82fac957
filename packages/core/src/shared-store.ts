/**
 * A JSON state shared live with other processes (Node or Python) through a shmstate
 * segment, exposed as RxJS streams.
 *
 * Reads are lock-free and cached per version: `get()`, `snapshot()` and every stream of
 * one store share one deep-frozen state per version. A store created here keeps a ring of
 * recent patches next to the state: a small change costs a small change, at any state
 * size. `update()` commits the immer patches of its recipe and `patch()` RFC 6902 ops,
 * both under compare-and-set (retrying when another writer got there first, so concurrent
 * increments are never lost); readers apply the patches with structural sharing, so every
 * unchanged subtree of a new state is the same object as before and `select()` by
 * reference emits only when its slice changed. Writes are checked against the shmstate
 * JSON dialect (E_ENCODE, naming the path) and the capacity (E_CAPACITY).
 * One native watcher per store, started by the first subscriber and stopped after the
 * last, feeds `state$`, `changes$`, `everyChange$`, every selection and `waitFor`.
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
import {
  type Attachment,
  LIMITS,
  type NotifyMechanism,
  Segment,
  type SegmentOpenOptions,
  type SegmentOpenWaitOptions,
  type SegmentStats,
} from '@shmstate/native';
import {
  argument,
  checkCreateNumbers,
  checkFunction,
  checkIntegerIn,
  checkKnownOptions,
  checkNumber,
  checkObject,
  checkRange,
  checkString,
  invalidArgument,
  MAX_VERSION,
  option,
  type CreateNumbers,
} from '@shmstate/native/internal';
import { enablePatches, Immer, type Draft, type Patch, type Producer } from 'immer';
import { distinctUntilChanged, map, Subject, Subscription, type Observable } from 'rxjs';
import { applyJsonPatch } from './apply-json-patch';
import { ChangeSource, type StoreParts } from './change-source';
import { encodeState, encodeStateText, parseStateText } from './codec';
import { ShmStateError, shmStateError } from './errors';
import { freezeParsed } from './deep-freeze';
import { findDialectViolation } from './find-dialect-violation';
import { immerToJsonPatch } from './immer-to-json-patch';
import { pauseBeforeRetry } from './pause-before-retry';
import { StateHistory } from './state-history';
import type {
  Change,
  DeepReadonly,
  JsonPatchOperation,
  JsonState,
  PatchOptions,
  ReopenOptions,
  SharedStoreCreateOptions,
  Snapshot,
  UpdateOptions,
  WaitForOptions,
} from './types';

/** The capacity of a store created without one: 1 MiB, as in Python. */
const DEFAULT_CAPACITY = 1 << 20;
/** How many times update() re-runs its recipe after losing a compare-and-set. */
const DEFAULT_MAX_RETRIES = 100;
/** The longest waitFor() timeout, the longest delay a Node timer takes: about 24.8 days. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// A private immer: the global one's settings belong to the application. Only its patches
// are used (the state committed is the one applyJsonPatch builds from them, frozen), so
// freezing its result would be wasted work.
const immer = new Immer({ autoFreeze: false });
// Patches are a plugin of immer's, enabled once for the process (it changes nothing for
// recipes that do not ask for patches).
enablePatches();

export class SharedStore<T extends JsonState<T> = unknown> {
  /** The current state on subscribe, then every newer committed state (latest wins). */
  readonly state$: Observable<DeepReadonly<T>>;
  /** Like state$, with each state's version, the store id, how many versions were
   * skipped and the patches from the previous emission (latest wins). */
  readonly changes$: Observable<Change<T>>;
  /**
   * Every committed version, in order, exactly once, with the patches from the version
   * before (`missed` 0), while the subscriber keeps within the patch ring; a subscriber that
   * falls further behind (its event loop blocked while the ring wrapped) receives the state
   * of the segment's checkpoint whole (`patches` null), its `missed` counting exactly the
   * versions lost, then every version after it.
   */
  readonly everyChange$: Observable<Change<T>>;

  /** The segment and its history; swapped whole when `reopen` follows a replacement. */
  private readonly parts: StoreParts<T>;
  private readonly closing = new Subject<void>();
  private isClosed = false;

  private constructor(
    segment: Segment,
    private readonly reopenTimeout: number | null = null,
    /** How the store was opened (trust, readOnly): a replacement is opened the same way. */
    private readonly openOptions: SegmentOpenOptions = {},
  ) {
    this.parts = { segment, history: new StateHistory<T>(segment) };
    const source = new ChangeSource<T>(
      this.parts,
      () => this.isClosed,
      this.closing,
      () => this.followReplacement(),
    );
    this.changes$ = source.stream(false);
    this.everyChange$ = source.stream(true);
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
    return new SharedStore<T>(Segment.create(name, checkCreateArguments(name, options, 'create')));
  }

  /**
   * Opens the existing segment `name` (E_NOENT if absent). A store another user created is
   * E_PERM unless `options.trust` (or the environment variable SHMSTATE_TRUST) trusts its
   * owner or its group; `options.readOnly` opens it without write access (docs/node.md,
   * "Sharing between users"). With `options.reopen`, the store follows a replacement: when
   * the name is unlinked (the segment is retired), its streams wait for the store created
   * under the name (opened with the same options) and carry on with it (see
   * `ReopenOptions`).
   *
   * @example
   * ```ts
   * const robot = SharedStore.open<Robot>('robot', { trust: 'group' });
   * ```
   */
  static open<T extends JsonState<T> = unknown>(
    name: string,
    options?: SegmentOpenOptions & ReopenOptions,
  ): SharedStore<T> {
    checkString(argument('name'), name);
    const reopen = checkReopenOptions(options);
    return new SharedStore<T>(Segment.open(name, options), reopen, openOptionsOf(options));
  }

  /**
   * Opens `name` once it exists: a subscriber started before its publisher waits for the
   * publisher's store instead of creating one of the wrong size. Resolves with the store as
   * soon as another process has created it; rejects with E_TIMEOUT after `options.timeout`
   * ms (default: no limit) and at once with any other failure of `open`. The event loop
   * keeps running meanwhile (the wait sleeps on a worker thread).
   *
   * @example
   * ```ts
   * const robot = await SharedStore.openWhenReady<Robot>('robot', { timeout: 10_000 });
   * ```
   */
  static async openWhenReady<T extends JsonState<T> = unknown>(
    name: string,
    options?: SegmentOpenWaitOptions & SegmentOpenOptions & ReopenOptions,
  ): Promise<SharedStore<T>> {
    const reopenTimeout = checkReopenOptions(options);
    const segment = await Segment.openWait(name, options);
    return new SharedStore<T>(segment, reopenTimeout, openOptionsOf(options));
  }

  /**
   * Opens `name`, or creates it with `initial` (as version `options.version`, default 1)
   * if absent; safe against concurrent callers.
   */
  static openOrCreate<T extends JsonState<T> = unknown>(
    name: string,
    options: SharedStoreCreateOptions<NoInfer<T>>,
  ): SharedStore<T> {
    return new SharedStore<T>(
      Segment.openOrCreate(name, checkCreateArguments(name, options, 'openOrCreate')).segment,
    );
  }

  /**
   * Retires the store and removes its name (E_NOENT if absent). Every process's `state$`,
   * `changes$`, `everyChange$`, selection and `waitFor` on it ends with E_RETIRED (or, in a
   * store opened with `reopen`, moves on to the store next created under the name); commits
   * to it are refused with E_RETIRED; `get()` keeps returning its last state.
   */
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

  /**
   * How changes reach this store while something subscribes: `'doorbell'` (one wake-up
   * per delivery) or `'thread'` (a watcher thread, two); `undefined` while nobody
   * subscribes. See the native `Segment#notifyMechanism`.
   */
  get notifyMechanism(): NotifyMechanism | undefined {
    return this.segment.notifyMechanism;
  }

  /**
   * Whether this handle is read-only (opened with `readOnly`, or the segment is not
   * writable by this user): set, update and patch are E_PERM; reads and subscriptions work.
   */
  get readOnly(): boolean {
    return this.segment.readOnly;
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
    return this.history.current();
  }

  /**
   * Commits `state` as the next version and returns that version. A state read from a
   * store (deep-readonly) is accepted as well as a fresh one. It is committed whole (a
   * checkpoint): subscribers read it whole once; prefer `update()` or `patch()` for small
   * changes to a large state.
   */
  set(state: T | DeepReadonly<T>): number {
    const segment = this.live();
    return segment.commitText(encodeStateText(state));
  }

  /**
   * Applies an immer recipe to the latest state and commits the change only if nobody
   * committed in between (compare-and-set); otherwise re-reads and re-runs the recipe,
   * up to `maxRetries` times, then throws E_CONFLICT. What is committed is the recipe's
   * patches, as RFC 6902 operations: the cost is the change's, not the state's. A recipe
   * that throws commits nothing; one that changes nothing commits nothing and returns the
   * version it read. Returns the committed version.
   */
  update(recipe: Producer<T>, options?: UpdateOptions): number {
    checkFunction(argument('recipe'), recipe);
    const maxRetries = checkUpdateOptions(options);
    this.live();
    for (let retry = 0; retry <= maxRetries; retry += 1) {
      pauseBeforeRetry(retry);
      const { version, state } = this.history.current();
      // The frozen state is the base immer copies on write: the draft is mutable.
      let patches: Patch[] = [];
      immer.produce(
        state as T,
        (draft: Draft<T>) => checkReplacement(recipe(draft), draft),
        (recorded) => {
          patches = recorded;
        },
      );
      if (patches.length === 0) return version;
      const committed = this.commitOps(immerToJsonPatch(state, patches), version);
      if (committed !== undefined) return committed;
    }
    throw gaveUp('update()', maxRetries);
  }

  /**
   * Applies the RFC 6902 JSON Patch `ops` to the latest state and commits the result as the
   * next version, which it returns, with compare-and-set: if another writer committed
   * first it applies them again to the new state (up to `maxRetries` times, then
   * E_CONFLICT), or, with `expectedVersion`, throws E_CONFLICT at once. `test` ops are
   * checked like the others. A patch that does not apply (a pointer to nothing, a failed
   * `test`, a malformed op) throws E_PATCH naming the op, one with a value outside the
   * dialect E_ENCODE, one that would make the state larger than the capacity E_CAPACITY;
   * each leaves the version and the state unchanged. A patch that changes nothing (only
   * `test` ops, `replace`s with a JSON-equal value, or none) commits nothing and returns
   * the version it applied to.
   */
  patch(ops: ReadonlyArray<JsonPatchOperation>, options?: PatchOptions): number {
    const { expectedVersion, maxRetries } = checkPatchOptions(options);
    this.live();
    for (let retry = 0; retry <= maxRetries; retry += 1) {
      pauseBeforeRetry(retry);
      const { version } = this.history.current();
      if (expectedVersion !== undefined && version !== expectedVersion) {
        throw conflict(expectedVersion, version);
      }
      const committed = this.commitOps(ops, version);
      if (committed !== undefined) return committed;
      if (expectedVersion !== undefined) {
        throw conflict(expectedVersion, this.segment.version);
      }
    }
    throw gaveUp('patch()', maxRetries);
  }

  /**
   * Applies `ops` to the state of `version` and commits them as the patch to the next
   * version; returns that version, `version` itself when the ops change nothing, or
   * undefined when another commit came first (E_CONFLICT). The state after the patch is
   * built here with structural sharing and recorded, so it is never read back.
   */
  private commitOps(ops: ReadonlyArray<JsonPatchOperation>, version: number): number | undefined {
    const segment = this.segment;
    const base = this.history.latest();
    if (base.snapshot.version !== version) return undefined;
    const { state, sizeChange } = applyJsonPatch(base.snapshot.state, ops);
    if (Object.is(state, base.snapshot.state)) return version;
    const { ops: frozenOps, text: patchText } = canonicalOps(ops);
    const length = base.length + sizeChange;
    try {
      let committed: number;
      if (!this.history.ring) {
        committed = segment.commitText(encodeStateText(state), { expectedVersion: version });
      } else {
        const options = { expectedVersion: version, stateLength: length };
        committed = segment.commitPatch(patchText, options);
        // A checkpoint is due: the whole state goes with the patch.
        if (committed === 0) {
          committed = segment.commitPatch(patchText, {
            ...options,
            stateText: encodeStateText(state),
          });
        }
      }
      this.history.recordCommit(
        version,
        committed,
        state,
        this.history.ring ? frozenOps : null,
        length,
      );
      return committed;
    } catch (err) {
      if (err instanceof ShmStateError && err.code === 'E_CONFLICT') return undefined;
      throw err;
    }
  }

  /**
   * The slice `selector` picks from each state, emitted only when it changes by `equal`
   * (default Object.is). States reached by patches share every unchanged subtree with the
   * state before, so an object slice outside what changed is the same object and does not
   * emit; after a full read (see `Change.patches`) every object is new, so an object slice
   * emits once even when its content is equal, unless `equal` compares by value.
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
      // changes$ watches first, then reads the current state: a commit after the read
      // above is either in that read or reported by the watcher.
      held.add(
        this.changes$.subscribe({
          next: ({ version: at, state, storeId }) =>
            check(Object.freeze({ version: at, state, storeId })),
          error: (err: unknown) => settle(() => reject(err)),
        }),
      );
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

  /** Who has this store open, in every process (see `Segment#attached`): this store is a
   * reader until it commits (writer) or is subscribed to (subscriber). */
  attached(): Attachment[] {
    return this.live().attached();
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

  private get segment(): Segment {
    return this.parts.segment;
  }

  private get history(): StateHistory<T> {
    return this.parts.history;
  }

  private live(): Segment {
    if (this.isClosed)
      throw shmStateError('E_CLOSED', `the store "${this.segment.name}" is closed`);
    return this.segment;
  }

  /**
   * The retired store's replacement: waits (up to the reopen timeout, on a worker thread)
   * for a store under the same name, then swaps it in. False when this store does not
   * follow replacements or was closed meanwhile; rejects with E_TIMEOUT naming the wait.
   */
  private async followReplacement(): Promise<boolean> {
    if (this.reopenTimeout === null || this.isClosed) return false;
    const next = await Segment.openWait(this.segment.name, {
      ...this.openOptions,
      timeout: this.reopenTimeout,
    });
    if (this.isClosed) {
      next.close();
      return false;
    }
    const everyVersion = this.history.everyVersion;
    const retired = this.parts.segment;
    this.parts.segment = next;
    this.parts.history = new StateHistory<T>(next);
    this.parts.history.everyVersion = everyVersion;
    retired.close();
    return true;
  }
}

/** Default of `ReopenOptions.reopenTimeout`: how long a retired store waits for its
 * replacement, in ms. */
const DEFAULT_REOPEN_TIMEOUT_MS = 10_000;

/** The trust and readOnly options of an open (already checked by the open itself). */
function openOptionsOf(options: SegmentOpenOptions | undefined): SegmentOpenOptions {
  if (options === undefined) return {};
  const { trust, readOnly } = options;
  return {
    ...(trust === undefined || trust === null ? {} : { trust }),
    ...(readOnly === undefined ? {} : { readOnly }),
  };
}

/** The reopen timeout in ms, or null when the store does not follow replacements. */
function checkReopenOptions(options: ReopenOptions | undefined): number | null {
  if (options === undefined) return null;
  const fields = checkObject(argument('options'), options);
  const reopen = fields['reopen'];
  if (reopen !== undefined && typeof reopen !== 'boolean') {
    throw invalidArgument(`options.reopen must be a boolean, got ${String(reopen)}`);
  }
  const given = fields['reopenTimeout'];
  // Infinity: no limit, as Python's reopen_timeout=math.inf.
  const timeout =
    given === undefined
      ? DEFAULT_REOPEN_TIMEOUT_MS
      : given === Infinity
        ? Infinity
        : checkRange(
            option('reopenTimeout'),
            checkNumber(option('reopenTimeout'), given),
            0,
            MAX_TIMEOUT_MS,
          );
  return reopen === true ? timeout : null;
}

/** Every option create() and openOrCreate() take (SharedStoreCreateOptions): opening
 * options (trust, readOnly, reopen) are refused, as Python's open_or_create refuses them. */
const CREATE_OPTIONS = [
  'initial',
  'capacity',
  'mode',
  'group',
  'version',
  'ringEntries',
  'ringPatchMax',
  'selfCleaning',
] as const;

/**
 * The arguments of create() and openOrCreate(): all checked (E_INVALID) before `initial`
 * is encoded (E_ENCODE, or E_CAPACITY naming both sizes, as set() does), and that before
 * the segment is made. Capacity, mode and version ranges are the core's: a capacity it
 * refuses is not measured against here, so its E_INVALID comes first, as in Python.
 */
function checkCreateArguments(
  name: unknown,
  options: unknown,
  call: 'create' | 'openOrCreate',
): CreateNumbers & { initial: Buffer } {
  checkString(argument('name'), name);
  const fields = checkObject(argument('options'), options);
  checkKnownOptions(fields, CREATE_OPTIONS, call);
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

function checkPatchOptions(options: PatchOptions | undefined): {
  expectedVersion: number | undefined;
  maxRetries: number;
} {
  if (options === undefined) return { expectedVersion: undefined, maxRetries: DEFAULT_MAX_RETRIES };
  const fields = checkObject(argument('options'), options);
  const expectedVersion =
    fields['expectedVersion'] === undefined
      ? undefined
      : checkIntegerIn(option('expectedVersion'), fields['expectedVersion'], 1, MAX_VERSION);
  return {
    expectedVersion,
    maxRetries: checkUpdateOptions({ maxRetries: fields['maxRetries'] as number }),
  };
}

function conflict(expected: number, version: number): ShmStateError {
  return shmStateError(
    'E_CONFLICT',
    `the version is ${version}, not the expected version ${expected}: another writer committed first`,
  );
}

function gaveUp(call: string, maxRetries: number): ShmStateError {
  return shmStateError(
    'E_CONFLICT',
    `${call} lost the compare-and-set ${maxRetries + 1} times in a row: other writers kept committing`,
  );
}

/**
 * The ops as they are committed, kept in a step and handed to subscribers: only their
 * RFC 6902 members (others are ignored, as RFC 6902 says), values as their JSON (the
 * caller's objects are neither frozen nor kept), deep-frozen. Called after the ops
 * applied, so each is well-formed and its value in the dialect.
 */
function canonicalOps(ops: ReadonlyArray<JsonPatchOperation>): {
  ops: ReadonlyArray<JsonPatchOperation>;
  text: string;
} {
  const canonical = ops.map((op): JsonPatchOperation => {
    switch (op.op) {
      case 'move':
      case 'copy':
        return { op: op.op, from: op.from, path: op.path };
      case 'remove':
        return { op: op.op, path: op.path };
      default:
        return { op: op.op, path: op.path, value: op.value };
    }
  });
  const text = encodeStateText(canonical);
  return { ops: freezeParsed(parseStateText(text) as JsonPatchOperation[]), text };
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
