/**
 * The values a store hands out, and the types that describe states. Each value carries
 * the version it was committed as and the id of the store it was read from; states are
 * deep-frozen and shared by every reader of that version in the process, so they are
 * typed `DeepReadonly<T>`: an assignment to one fails to compile, as it would fail to run.
 *
 * @example
 * const { version, state, storeId }: Snapshot<Robot> = store.snapshot();
 * store.changes$.subscribe(({ version, state, missed }: Change<Robot>) => {});
 * state.tick = 3; // error TS2540: 'tick' is a read-only property
 */

/** A JSON value other than an array or an object. */
export type JsonPrimitive = string | number | boolean | null;

/** Any value of the JSON dialect, as TypeScript can say it (finite numbers not told apart). */
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };

/**
 * `T` read-only all the way down: what a store hands out, since its states are
 * deep-frozen. Arrays become `readonly` arrays, object properties `readonly`.
 */
export type DeepReadonly<T> = T extends object
  ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/**
 * The constraint on a store's state type: `T extends JsonState<T>` holds when every part
 * of `T` is a JSON value (strings, finite numbers, booleans, null, arrays, plain objects
 * with string keys; a property may be optional, but not `undefined` when present), so
 * `SharedStore.create<{ at: Date }>` or a `Map`, `Set`, `bigint` or function anywhere in
 * the type fails to compile. Interfaces qualify without an index signature. `unknown`
 * and `any` qualify too (nothing is known about them); what TypeScript cannot tell apart
 * (a class instance with only data fields, `NaN`, `undefined` as the whole state) is
 * refused when written, with E_ENCODE.
 */
export type JsonState<T> = JsonShape<T> | Extract<Empty, Record<keyof T, never>> | null | undefined;
// The second member admits types without keys, `unknown` above all (the default state
// type; `unknown` is assignable to `{} | null | undefined`): a conditional on T here would
// make the constraint circular (TS2313).

/** The empty object type, on purpose: see JsonState. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type Empty = {};

/** `T` with each part replaced by the JSON type it may hold: T is assignable iff JSON. */
type JsonShape<T> = {
  [K in keyof T]: K extends symbol
    ? never
    : JsonPart<T[K], Empty extends Pick<T, K> ? true : false>;
};

/** One property (or element) of a JSON shape; `Optional`: may it be undefined? */
type JsonPart<V, Optional extends boolean> = unknown extends V
  ? V
  : V extends JsonValue
    ? V
    : V extends undefined
      ? Optional extends true
        ? V
        : never
      : V extends (...args: never[]) => unknown
        ? never
        : V extends bigint | symbol
          ? never
          : V extends object
            ? JsonShape<V>
            : never;

/** A committed state, its version and the store it belongs to. */
export interface Snapshot<T> {
  readonly version: number;
  /** Deep-frozen, shared by every reader of this version in the process. */
  readonly state: DeepReadonly<T>;
  /**
   * The id of the store (segment) the state was read from, 16 lowercase hex digits,
   * drawn when it was created: a store unlinked and created again under the same name has
   * another id, so a version number is only comparable between equal store ids.
   */
  readonly storeId: string;
}

/** One emission of `changes$` or `everyChange$`: a committed state, its version, the
 * store id, the versions skipped since the previous emission to the same subscriber (0 for
 * the first emission; a commit that jumped versions counts the versions jumped over), and
 * what changed. */
export interface Change<T> extends Snapshot<T> {
  /**
   * Versions skipped since the previous emission to the same subscriber. On the first
   * emission from a replacement store (`replaced`), whose versions start again, the versions
   * of the new store before this one: `version - 1` for a store that started at 1.
   */
  readonly missed: number;
  /**
   * `true` on the first emission after the store was replaced: its name was unlinked and
   * created again, and a store opened with `reopen` followed it (`storeId` differs,
   * `patches` is null, versions restart). `false` otherwise.
   */
  readonly replaced: boolean;
  /**
   * The RFC 6902 operations that take the state of the previous emission to the same
   * subscriber to this one (deep-frozen), or `null` when this state is a full replacement:
   * the first emission, a version reached by reading the whole state (after falling behind
   * the patch ring, after a `set()` or another commit without a patch, or on a store
   * without a ring).
   */
  readonly patches: ReadonlyArray<JsonPatchOperation> | null;
}

/**
 * Options of `SharedStore.open` and `SharedStore.openWhenReady`: following a replacement.
 * A store is replaced when its name is unlinked (`SharedStore.unlink`, Python's
 * `Store.unlink`, `shmstate rm`) and created again. Without `reopen` every stream of the old
 * store ends with E_RETIRED. With it, the streams wait up to `reopenTimeout` for the new
 * store (an E_TIMEOUT error if none appears), then go on from its current state: that
 * emission has `replaced` true, `patches` null, a new `storeId`, and `missed` counting the
 * new store's versions before it. `get()`, `set()` and the rest then use the new store
 * too; until then `get()` returns the old store's last state and writes throw E_RETIRED.
 * The swap is made by a stream that meets E_RETIRED: a store no stream follows keeps the
 * retired one until one of its streams is subscribed to.
 */
export interface ReopenOptions {
  /** Follow the store that replaces this one. Default false. */
  readonly reopen?: boolean;
  /** The longest wait for the replacement, in ms (0 .. 2^31-1), or Infinity (no limit, as
   * Python's `reopen_timeout=math.inf`). Default 10000. */
  readonly reopenTimeout?: number;
}

/** Options of `SharedStore.create` and `SharedStore.openOrCreate`. */
export interface SharedStoreCreateOptions<T> {
  /** The state published as the first version when this call creates the segment. */
  initial: T;
  /** Largest encoded state in bytes (64 .. 2^30). Default 1 MiB. */
  capacity?: number;
  /**
   * Permission bits of a new segment (umask does not apply). Default 0o600. The owner
   * must have read and write; world-writable modes are refused.
   */
  mode?: number;
  /**
   * The group of a new segment, a group name or a gid (default: the creator's group); the
   * creator must belong to it (E_PERM). With mode 0o660 the group's members read and
   * write, with 0o640 they only read; they open it with `trust: 'group'`.
   */
  group?: string | number;
  /**
   * The version `initial` is published as when this call creates the segment, an integer
   * from 1 to 2^53 - 1: a mirror of another store starts at that store's version. Later
   * commits add 1. Default 1.
   */
  version?: number;
  /**
   * Patches the store's ring keeps when this call creates it: 2 to 65536, or 0 for no ring
   * (every commit then writes the whole state). Default 1024. A subscriber that falls
   * behind by more than this reads the whole state once.
   */
  ringEntries?: number;
  /**
   * The largest patch a ring entry holds in bytes (rounded up so that an entry is a
   * multiple of 64 bytes); a larger patch is committed as a checkpoint (the whole state).
   * Default 1984, or the capacity when smaller.
   */
  ringPatchMax?: number;
  /**
   * A store that removes itself (default false): when the last attached process closes
   * it, and, when every attached process died (SIGKILL included), at the next `open` of
   * its name in any language (which then finds no store; `openOrCreate` creates a fresh
   * one), `shmstate ls` or `shmstate doctor`. Used only when this call creates the store.
   */
  selfCleaning?: boolean;
}

/** Options of `SharedStore.update`. */
export interface UpdateOptions {
  /** How many times to re-read and re-run the recipe after losing a compare-and-set to
   * another writer before giving up with E_CONFLICT. Default 100. */
  maxRetries?: number;
}

/** Options of `SharedStore.patch`. */
export interface PatchOptions {
  /** Apply only to this version: E_CONFLICT, instead of a retry, if another commit came
   * first. */
  expectedVersion?: number;
  /** Without `expectedVersion`: how many times to re-apply after losing a compare-and-set
   * before giving up with E_CONFLICT. Default 100. */
  maxRetries?: number;
}

/** Options of `SharedStore.waitFor`. */
export interface WaitForOptions {
  /** Milliseconds to wait before rejecting with E_TIMEOUT, 0 to 2^31 - 1. Default: no limit. */
  timeout?: number;
}

/**
 * One RFC 6902 JSON Patch operation; paths are RFC 6901 pointers (`parseJsonPointer`).
 * Members other than these are ignored, as RFC 6902 says. `value` is checked when the
 * patch is applied: it must be in the JSON dialect (E_ENCODE otherwise).
 */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/** What `applyJsonPatch` returns. */
export interface JsonPatchResult<T> {
  /** The patched state, deep-frozen, sharing every untouched subtree with the old one. */
  readonly state: T;
  /**
   * The change of the state's encoded size in UTF-8 bytes:
   * `Buffer.byteLength(JSON.stringify(state))` after minus before (compact JSON, what the
   * store commits), computed from the values, keys and commas the patch touched.
   */
  readonly sizeChange: number;
}
