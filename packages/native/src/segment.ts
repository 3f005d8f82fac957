import {
  argument,
  checkBytes,
  checkCreateNumbers,
  checkFunction,
  checkIntegerIn,
  checkNumber,
  checkObject,
  checkRange,
  checkString,
  checkVersion,
  type CreateNumbers,
  MAX_LOCK_TIMEOUT_MS,
  MAX_VERSION,
  option,
} from './argument-checks';
import {
  type Attachment,
  LANGUAGE_NODE,
  ROLE_READER,
  ROLE_SUBSCRIBER,
  ROLE_WRITER,
  toAttachment,
} from './attachment';
import { ChangeNotifier, type WatchHandle, type WatchListener } from './change-notifier';
import { checkOpenOptions, type SegmentOpenOptions } from './open-options';
import { loadAddon } from './load-addon';
import type { NativeRingInfo, NativeSegment, NativeStats, NotifyMechanism } from './native-addon';
import { ShmStateError } from './shm-state-error';

export type { WatchHandle, WatchListener } from './change-notifier';

/**
 * Options of `Segment.create` and `Segment.openOrCreate`. Values the core refuses (a
 * capacity out of range, a mode it does not accept, version 0) are `E_INVALID` with the
 * core's message, the same in every language.
 */
export interface SegmentCreateOptions {
  /** Largest payload in bytes, 64 B to 1 GiB. */
  capacity: number;
  /**
   * Permission bits of the new segment (default 0o600; 0 also means the default); the
   * umask does not apply. The owner must have read and write, and world-writable modes
   * are refused.
   */
  mode?: number;
  /** The payload published as the first version. */
  initial: Uint8Array;
  /**
   * The version `initial` is published as, a safe integer >= 1 (default 1): a mirror of
   * another store starts at that store's version. Later commits add 1 as usual.
   * `openOrCreate` uses it only when it creates the segment.
   */
  version?: number;
  /**
   * Patches the segment's ring holds (docs/protocol.md, "The patch ring"): 0 for no ring,
   * else 2 to 65536. Default: 1024 (`shmstate_ring_default`).
   */
  ringEntries?: number;
  /**
   * The largest patch a ring entry holds, in bytes (rounded up so that an entry is a
   * multiple of 64 bytes). Default: 1984, or the capacity when smaller.
   */
  ringPatchMax?: number;
  /**
   * The group of the new segment: a group name or a gid (default: the creator's group).
   * The creator must belong to it (else `E_PERM`); an unknown name is `E_INVALID`. With a
   * mode such as 0o660 (members read and write) or 0o640 (members read only), members of
   * the group who trust it open the store (`trust: 'group'`).
   */
  group?: string | number;
  /**
   * A store that removes itself (default false): when the last attached process closes
   * it, or, when every attached process died, at the next `open` of its name (which then
   * finds no store), `shmstate ls` or `shmstate doctor`. Set at creation only;
   * `openOrCreate` uses it only when it creates the segment. docs/protocol.md, flag bit 1.
   */
  selfCleaning?: boolean;
}

/** The ring's geometry (`Segment#ringInfo`): all 0 when the segment has no ring. */
export type RingInfo = NativeRingInfo;

/** What `Segment#readPatches` returns. */
export interface PatchesRead {
  /** The version the patches lead to: the `from` version plus their number. */
  version: number;
  /** The patch texts of versions from+1..version, in order. */
  patches: string[];
}

/** What `Segment#readDelta` returns. */
export interface DeltaRead {
  /** The version of `state`, a checkpoint. */
  checkpointVersion: number;
  /** The full state's text at the checkpoint. */
  state: string;
  /** The patch texts of versions checkpointVersion+1..version, in order. */
  patches: string[];
  /** The version the state reaches with the patches applied. */
  version: number;
}

/** Options of `Segment#commitPatch`. */
export interface CommitPatchOptions {
  /** The version the patch applies to (required): `E_CONFLICT` if it is not published. */
  expectedVersion: number;
  /** The encoded length in bytes of the state after the patch, as the caller tracks it. */
  stateLength: number;
  /**
   * The full state after the patch: the commit is then also a checkpoint. Without it a
   * commit that must be a checkpoint is not made, and `commitPatch` returns 0.
   */
  stateText?: string;
}

/** Options of `Segment#commit` and `Segment#commitText`. */
export interface CommitOptions {
  /** Commit only if this is still the published version (else `E_CONFLICT`). */
  expectedVersion?: number;
  /**
   * Publish exactly this version instead of the next one (the mirror path: a store that
   * follows another store's versions). It must be above the published version, else
   * `E_CONFLICT`: versions never go backwards. Subscribers count the versions jumped
   * over as missed.
   */
  version?: number;
}

/**
 * Writer-side statistics kept in the segment header, plus the current waiter count: the
 * same fields as Python's `Store.stats()` (there in snake_case).
 */
export type SegmentStats = NativeStats;

/** Options of `Segment.openWait` (and `SharedStore.openWhenReady`). */
export interface SegmentOpenWaitOptions {
  /** The longest wait in ms, >= 0; default: no limit. 0 tries once. */
  readonly timeout?: number;
}

/** The timeout of openWait() in ms, Infinity for none. */
function checkOpenWaitOptions(options: SegmentOpenWaitOptions | undefined): number {
  if (options === undefined) return Infinity;
  const fields = checkObject(argument('options'), options);
  if (fields['timeout'] === undefined) return Infinity;
  return checkRange(
    option('timeout'),
    checkNumber(option('timeout'), fields['timeout']),
    0,
    Infinity,
  );
}

/**
 * One open shared-memory segment `/shmstate.<name>`: opaque byte payloads committed as
 * numbered versions (1, 2, 3, ..., or from the version given at creation) and read back
 * whole, without locks, by any process.
 * Every call is synchronous; `watch()` is the only asynchronous path. A bad argument is
 * a `ShmStateError` with code `E_INVALID`.
 *
 * @example
 * ```ts
 * const segment = Segment.create('robot', { capacity: 1 << 16, initial: Buffer.from('{}') });
 * const version = segment.commit(Buffer.from('{"x":1}'));
 * const handle = segment.watch(() => console.log(segment.read().bytes.toString()));
 * handle.stop();
 * segment.close();
 * Segment.unlink('robot');
 * ```
 */
export class Segment {
  /** The name given at open or create (without the `/shmstate.` prefix). */
  readonly name: string;
  /** Largest payload in bytes. */
  readonly capacity: number;
  /**
   * The store id: 64 random bits drawn when the segment was created, as 16 lowercase hex
   * digits. A segment unlinked and created again under the same name has another id.
   */
  readonly storeId: string;
  #native: NativeSegment | null;
  readonly #notifier: ChangeNotifier;
  // Where the addon writes the version of a readText(): reused, so a read allocates only
  // the string.
  readonly #versionOut = new Float64Array(2);
  // This handle's role in the attach table: a reader until it first commits (writer, for
  // good) or first watches (subscriber, unless a writer already). Kept here so that a
  // commit after the first one costs a comparison, not a store to shared memory.
  #role = ROLE_READER;

  private constructor(native: NativeSegment) {
    this.#native = native;
    this.name = native.name();
    this.capacity = native.capacity();
    this.storeId = native.storeId();
    this.#notifier = new ChangeNotifier(native);
    // Every handle is listed while open, so `shmstate ls` and `doctor` never call a store
    // in use orphaned. A handle that cannot attach (the name was unlinked meanwhile, no
    // descriptor left) is not handed out.
    try {
      native.attach(ROLE_READER, LANGUAGE_NODE);
    } catch (err) {
      native.close();
      throw err;
    }
  }

  /**
   * Creates the segment exclusively (`E_EXISTS` if the name is taken) and publishes
   * `initial` as version `options.version` (default 1).
   */
  static create(name: string, options: SegmentCreateOptions): Segment {
    return new Segment(loadAddon().NativeSegment.create(...createArguments(name, options)));
  }

  /**
   * Opens an existing segment (`E_NOENT` if absent) after the core has checked it. A
   * segment owned by another uid is `E_PERM` unless `options.trust` (or the environment
   * variable `SHMSTATE_TRUST`) trusts its owner or its group.
   */
  static open(name: string, options?: SegmentOpenOptions): Segment {
    checkString(argument('name'), name);
    const { trust, readOnly } = checkOpenOptions(options);
    return new Segment(loadAddon().NativeSegment.open(name, trust, readOnly));
  }

  /**
   * Opens the segment or, if absent, creates it with `options`; `created` says which.
   * Safe against other processes doing the same at the same time.
   */
  static openOrCreate(
    name: string,
    options: SegmentCreateOptions,
  ): { segment: Segment; created: boolean } {
    const result = loadAddon().NativeSegment.openOrCreate(...createArguments(name, options));
    return { segment: new Segment(result.segment), created: result.created };
  }

  /**
   * Opens the segment once it exists: waits up to `options.timeout` ms (default: no limit)
   * for another process to create it, without blocking the event loop (the wait runs on a
   * libuv worker thread, asleep between creations in /dev/shm). Rejects with `E_TIMEOUT` if
   * no segment of that name could be opened in time, at once with any other failure of
   * `open` (`E_NAME`, `E_PERM`, `E_CORRUPT`, ...), and with `E_INVALID` for bad arguments.
   *
   * @example
   * ```ts
   * const segment = await Segment.openWait('robot', { timeout: 5000 });
   * ```
   */
  static async openWait(
    name: string,
    options?: SegmentOpenWaitOptions & SegmentOpenOptions,
  ): Promise<Segment> {
    checkString(argument('name'), name);
    const timeout = checkOpenWaitOptions(options);
    const { trust, readOnly } = checkOpenOptions(options);
    return new Segment(await loadAddon().NativeSegment.openWait(name, timeout, trust, readOnly));
  }

  /**
   * Retires the segment and removes its name (`E_NOENT` if absent): every wait and watch on
   * it, in every process, ends with `E_RETIRED`; commits to it through handles still open
   * are refused with `E_RETIRED`; their reads keep returning its last state.
   */
  static unlink(name: string): void {
    checkString(argument('name'), name);
    loadAddon().NativeSegment.unlink(name);
  }

  get closed(): boolean {
    return this.#native === null;
  }

  /**
   * Whether this handle is read-only: opened with `readOnly`, or on a segment this user may
   * read but not write. Its commits are `E_PERM`; it reads and watches as usual.
   */
  get readOnly(): boolean {
    return this.#open().readOnly();
  }

  /** The published version: a single atomic load, no copy. */
  get version(): number {
    return this.#open().version();
  }

  /** A consistent copy of the committed payload and its version. */
  read(): { version: number; bytes: Buffer } {
    return this.#open().read();
  }

  /**
   * The committed payload decoded as text, with its version: `E_CORRUPT` if the bytes are
   * not strict UTF-8. Cheaper than `read()` when the payload is text (JSON): no Buffer.
   */
  readText(): { version: number; text: string } {
    const text = this.#open().readText(this.#versionOut);
    return { version: this.#versionOut[0]!, text };
  }

  /**
   * Commits `bytes` as the next version and returns it. With `expectedVersion`, commits
   * only if that is still the published version (else `E_CONFLICT`). With `version`,
   * publishes exactly that version, which must be above the published one (else
   * `E_CONFLICT`). `E_CAPACITY` if `bytes` is larger than the capacity, `E_TIMEOUT` if
   * the writer lock stays taken.
   */
  commit(bytes: Uint8Array, options?: CommitOptions): number {
    const native = this.#open();
    checkBytes(argument('bytes'), bytes);
    const { expectedVersion, version } = checkCommitOptions(options);
    this.#becomeWriter(native);
    return native.commit(bytes, expectedVersion, version);
  }

  /**
   * Commits the UTF-8 encoding of `text`, like `commit(Buffer.from(text))` (a lone
   * surrogate becomes U+FFFD, as there) without the Buffer: the text is encoded natively,
   * straight into place. The counterpart of `readText()`; `E_CAPACITY` names the encoded
   * size. `options` as for `commit()`.
   */
  commitText(text: string, options?: CommitOptions): number {
    const native = this.#open();
    checkString(argument('text'), text);
    const { expectedVersion, version } = checkCommitOptions(options);
    this.#becomeWriter(native);
    return native.commitText(text, expectedVersion, version);
  }

  stats(): SegmentStats {
    return this.#open().stats();
  }

  /** The patch ring's geometry; all 0 when the segment has none. */
  ringInfo(): RingInfo {
    return this.#open().ringInfo();
  }

  /**
   * Commits `patchText` (the patch from `expectedVersion` to the next version: opaque text
   * to the core; the store puts RFC 6902 JSON Patch in it) on a segment with a patch ring,
   * and returns the new version, or 0 when the commit must be a checkpoint and no
   * `stateText` was given (nothing is committed: call again with it). `E_CONFLICT` if
   * `expectedVersion` is not the published version, `E_CAPACITY` if `stateLength` (or the
   * state text) is larger than the capacity, `E_INVALID` without a ring.
   */
  commitPatch(patchText: string, options: CommitPatchOptions): number {
    const native = this.#open();
    checkString(argument('patchText'), patchText);
    const fields = checkObject(argument('options'), options);
    const expectedVersion = checkIntegerIn(
      option('expectedVersion'),
      fields['expectedVersion'],
      1,
      MAX_VERSION,
    );
    const stateLength = checkIntegerIn(
      option('stateLength'),
      fields['stateLength'],
      0,
      MAX_VERSION,
    );
    const stateText =
      fields['stateText'] === undefined
        ? undefined
        : checkString(option('stateText'), fields['stateText']);
    this.#becomeWriter(native);
    return native.commitPatch(patchText, stateText, stateLength, expectedVersion);
  }

  /**
   * The patches after `fromVersion` up to the published version (or fewer, when a writer
   * keeps committing: call again from the version returned), or `null` when one of them
   * is no longer in the ring (overwritten, a checkpoint without a patch, or no ring): do a
   * fresh `readDelta()`. Never returns a torn or overwritten patch (`E_CORRUPT` when one
   * fails its checksum). `fromVersion` above the published version is `E_INVALID`.
   */
  readPatches(fromVersion: number): PatchesRead | null {
    const native = this.#open();
    checkIntegerIn(argument('fromVersion'), fromVersion, 0, MAX_VERSION);
    const patches = native.readPatches(fromVersion, this.#versionOut);
    if (patches === null) return null;
    return { version: this.#versionOut[0]!, patches };
  }

  /**
   * A fresh read: the full state at a checkpoint and the patches after it, which together
   * give the state at `version`. Without a ring, the state at `version` and no patches.
   */
  readDelta(): DeltaRead {
    const [state, ...patches] = this.#open().readDelta(this.#versionOut);
    return {
      checkpointVersion: this.#versionOut[1]!,
      state: state!,
      patches,
      version: this.#versionOut[0]!,
    };
  }

  /** How long a commit waits for the writer lock before `E_TIMEOUT` (default 5000 ms). */
  setLockTimeout(ms: number): void {
    const native = this.#open();
    native.setLockTimeout(checkIntegerIn(argument('ms'), ms, 0, MAX_LOCK_TIMEOUT_MS));
  }

  /**
   * How this process is told of commits while someone watches: `'doorbell'` (a doorbell
   * socket the event loop polls, one wake-up per delivery) or `'thread'` (a native thread
   * blocked on the futex: the `SHMSTATE_NOTIFY=thread` choice, or the fall-back when no
   * doorbell can be had, e.g. 64 subscriber processes already); `undefined` while nobody
   * watches.
   */
  get notifyMechanism(): NotifyMechanism | undefined {
    return this.#notifier.mechanism;
  }

  /**
   * Calls `listener` on the event loop when the version may have changed (by a commit in
   * any process; changes are conflated, read `version` to know where you are). All
   * listeners of a segment share one native watcher; it keeps the process alive until the
   * last handle is stopped. A listener that throws is reported as an uncaught exception on
   * the next tick and keeps being called. If the native wait fails for good, every
   * listener is called once with the `ShmStateError` and its handle is stopped.
   */
  watch(listener: WatchListener): WatchHandle {
    const native = this.#open();
    checkFunction(argument('listener'), listener);
    const handle = this.#notifier.add(listener);
    if (this.#role === ROLE_READER) {
      native.setRole(ROLE_SUBSCRIBER);
      this.#role = ROLE_SUBSCRIBER;
    }
    return handle;
  }

  /**
   * Who has this segment open: one entry per attached handle of any process (Node and
   * Python attach every handle), alive or dead (killed without closing), this handle's own
   * marked `self`. Liveness is a kernel lock, not the pid. Each call makes system calls:
   * one per entry.
   */
  attached(): Attachment[] {
    return this.#open().attached().map(toAttachment);
  }

  /** Stops every watcher and unmaps the segment. Idempotent; other calls then throw `E_CLOSED`. */
  close(): void {
    const native = this.#native;
    if (native === null) return;
    this.#notifier.stopAll();
    this.#native = null;
    native.close();
  }

  /** Before a commit: listed as a writer from now on (before, so a commit is never seen
   * from a handle still listed as a reader). */
  #becomeWriter(native: NativeSegment): void {
    if (this.#role === ROLE_WRITER) return;
    native.setRole(ROLE_WRITER);
    this.#role = ROLE_WRITER;
  }

  #open(): NativeSegment {
    if (this.#native === null) {
      throw new ShmStateError(`segment "${this.name}" is closed`, 'E_CLOSED');
    }
    return this.#native;
  }
}

/** The arguments of the addon's create and openOrCreate, checked (E_INVALID). */
function createArguments(
  name: string,
  options: SegmentCreateOptions,
): [
  string,
  number,
  number,
  Uint8Array,
  number,
  number | undefined,
  number | undefined,
  boolean,
  string | undefined,
] {
  checkString(argument('name'), name);
  const { capacity, mode, initial, version, ringEntries, ringPatchMax, selfCleaning, group } =
    checkCreateOptions(options);
  return [name, capacity, mode, initial, version, ringEntries, ringPatchMax, selfCleaning, group];
}

function checkCreateOptions(
  options: SegmentCreateOptions,
): CreateNumbers & { initial: Uint8Array } {
  const fields = checkObject(argument('options'), options);
  const numbers = checkCreateNumbers(fields);
  const initial = checkBytes(option('initial'), fields['initial']);
  return { ...numbers, initial };
}

/**
 * A commit's options as the addon takes them: `expectedVersion` 0 commits unconditionally;
 * `version` undefined commits the next version, any number is published as given (the
 * core refuses 0).
 */
function checkCommitOptions(options: CommitOptions | undefined): {
  expectedVersion: number;
  version: number | undefined;
} {
  if (options === undefined) return { expectedVersion: 0, version: undefined };
  const fields = checkObject(argument('options'), options);
  const expectedVersion =
    fields['expectedVersion'] === undefined
      ? 0
      : checkIntegerIn(option('expectedVersion'), fields['expectedVersion'], 1, MAX_VERSION);
  const version =
    fields['version'] === undefined
      ? undefined
      : checkVersion(option('version'), fields['version']);
  return { expectedVersion, version };
}
