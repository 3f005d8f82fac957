import type { NativeAttachment } from './attachment';
import type { ShmStateErrorCode } from './error-codes';
import type { ShmStateError } from './shm-state-error';

/** How a segment's changes reach the event loop (see change-notifier.ts). */
export type NotifyMechanism = 'doorbell' | 'thread';

/** What `NativeSegment#stats()` returns: the core's `shmstate_stats`, as numbers. */
export interface NativeStats {
  version: number;
  capacity: number;
  commits: number;
  conflicts: number;
  lockRecoveries: number;
  waiters: number;
  layoutVersion: number;
  /** Subscriber processes notified through a doorbell (header table, at most 64). */
  doorbells: number;
  /** Doorbell entries freed after their subscriber died without unregistering. */
  doorbellReclaims: number;
  /** The store id drawn at creation, as 16 lowercase hex digits (see `Segment#storeId`). */
  storeId: string;
  /** The header's flags word (bit 0 untracked, bit 1 self-cleaning, bit 3 mirror). */
  flags: number;
  /**
   * The version of the full state the segment holds: the last checkpoint on a segment with
   * a patch ring (readers apply the ring's patches after it), else the published version.
   */
  checkpointVersion: number;
  /** Patches the ring holds; 0 without a ring. */
  ringEntries: number;
  /** The largest patch a ring entry holds, in bytes; 0 without a ring. */
  ringPatchMax: number;
  /** Bytes of patches committed since the last checkpoint. */
  ringPatchBytes: number;
  /** When the last commit happened, in ns since the epoch (0: not recorded by its maker). */
  lastCommitNs: number;
  /**
   * A mirror store (flags bit 3): the bridge keeps it on a leader's versions, and local
   * writes fail with `E_MIRROR` (docs/bridge.md).
   */
  mirror: boolean;
  /** A mirror's leader as the bridge described it; null for a store that is not a mirror. */
  leader: string | null;
}

/** What `NativeSegment#ringInfo()` returns: the ring's geometry, all 0 without a ring. */
export interface NativeRingInfo {
  entries: number;
  patchMax: number;
  /** The most patch bytes a fresh read can return. */
  deltaBytesMax: number;
}

/**
 * One open `shmstate_segment*` (addon/segment_wrap.cc). Arguments are validated by the
 * callers in this package (argument-checks.ts); the glue only refuses wrong types, with
 * `E_INVALID` like them.
 */
export interface NativeSegment {
  name(): string;
  capacity(): number;
  /** Whether the handle is read-only (asked for, or the file was not writable). */
  readOnly(): boolean;
  /** The store id, 64 random bits drawn at creation, as 16 lowercase hex digits. */
  storeId(): string;
  version(): number;
  read(): { version: number; bytes: Buffer };
  /** The payload as strict UTF-8 text (else E_CORRUPT); its version goes to versionOut[0]. */
  readText(versionOut: Float64Array): string;
  /**
   * `expectedVersion` 0 commits unconditionally. `version` undefined commits the next
   * version; a number is published exactly (`shmstate_segment_commit_at`): the core
   * refuses 0 (E_INVALID) and a version not above the published one (E_CONFLICT).
   */
  commit(bytes: Uint8Array, expectedVersion: number, version: number | undefined): number;
  /** Commits the UTF-8 encoding of `text`; `expectedVersion` and `version` as for commit. */
  commitText(text: string, expectedVersion: number, version: number | undefined): number;
  stats(): NativeStats;
  ringInfo(): NativeRingInfo;
  /**
   * Commits the patch `patchText` from `expectedVersion` (required, >= 1) to the next
   * version. Without `stateText`, `stateLength` is the encoded length of the state after the
   * patch as the caller tracks it, and 0 is returned (nothing committed) when the commit
   * must be a checkpoint: call again with the state's text. With it, the commit is a
   * checkpoint. Returns the new version otherwise.
   */
  commitPatch(
    patchText: string,
    stateText: string | undefined,
    stateLength: number,
    expectedVersion: number,
  ): number;
  /**
   * The patch texts fromVersion+1..V in order, V (= fromVersion + their count) written to
   * versionOut[0]; null when one of them is not in the ring any more (a fresh read is due).
   */
  readPatches(fromVersion: number, versionOut: Float64Array): string[] | null;
  /**
   * A fresh read: `[stateText, ...patchTexts]`, the full state at a checkpoint
   * (versionsOut[1]) and the patches after it up to the version written to versionsOut[0].
   */
  readDelta(versionsOut: Float64Array): string[];
  setLockTimeout(ms: number): void;
  /** Claims an entry of the attach table (`shmstate_segment_attach`), numbers as the core's. */
  attach(role: number, language: number): void;
  /** Changes this handle's entry's role in place (`shmstate_segment_set_role`). */
  setRole(role: number): void;
  /** The attach table's used entries (`shmstate_segment_attached`). */
  attached(): NativeAttachment[];
  /**
   * Starts the notification path: `callback()` on the event loop after changes (conflated;
   * with a doorbell, as the core's delivery turn decides), or `callback(error)` once if
   * notification fails for good. Keeps the loop alive until
   * `watchStop()`. `mechanism` picks a doorbell polled by the event loop (one wake-up; falls
   * back to the thread when the segment's doorbell table is full) or a watcher thread.
   * Returns the mechanism in use. Starting twice is a no-op.
   */
  watchStart(
    callback: (error?: ShmStateError) => void,
    mechanism: NotifyMechanism,
  ): NotifyMechanism;
  watchStop(): void;
  close(): void;
}

/** The addon's exports (addon/addon.cc). */
export interface NativeAddon {
  initialize(errorClass: typeof ShmStateError): void;
  NativeSegment: {
    /** `version` is the version `initial` is published as (the core refuses 0). */
    /** `ringEntries` undefined: the core's default ring for the capacity; 0: no ring. */
    create(
      name: string,
      capacity: number,
      mode: number,
      initial: Uint8Array,
      version: number,
      ringEntries: number | undefined,
      ringPatchMax: number | undefined,
      selfCleaning: boolean,
      group: string | undefined,
    ): NativeSegment;
    /** `trust` in the core's grammar (undefined: SHMSTATE_TRUST's). */
    open(name: string, trust: string | undefined, readOnly: boolean): NativeSegment;
    /** open(), waiting up to `timeoutMs` (Infinity: no limit) on a worker thread. */
    openWait(
      name: string,
      timeoutMs: number,
      trust: string | undefined,
      readOnly: boolean,
    ): Promise<NativeSegment>;
    /** `version` as for create, used only when this call creates the segment. */
    openOrCreate(
      name: string,
      capacity: number,
      mode: number,
      initial: Uint8Array,
      version: number,
      ringEntries: number | undefined,
      ringPatchMax: number | undefined,
      selfCleaning: boolean,
      group: string | undefined,
    ): { segment: NativeSegment; created: boolean };
    unlink(name: string): void;
  };
  /** The rows of errors.def except OK, in table order. */
  errorCodes: ReadonlyArray<{ code: ShmStateErrorCode; number: number; meaning: string }>;
  limits: {
    nameMax: number;
    capacityMin: number;
    capacityMax: number;
    defaultMode: number;
    defaultLockTimeoutMs: number;
  };
}
