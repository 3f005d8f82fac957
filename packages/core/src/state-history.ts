/**
 * The decoded states of the versions this process has seen, shared by every reader of the
 * store: `get()`, `snapshot()`, every stream and the store's own writes.
 *
 * Reading an unchanged version costs one atomic load (`segment.version`) and returns the
 * same frozen snapshot. When the version moved, the history catches up by the segment's
 * patch ring: it reads the patches after the version it holds and applies them in order
 * (`applyJsonPatch`), so each new state shares every unchanged subtree with the previous
 * one and the cost is the patches', not the state's. It reads the whole state only when a
 * patch is no longer in the ring (the reader fell behind by more than the ring holds, or a
 * commit was a checkpoint without a patch: `set()`, a patch too large for an entry), when a
 * ring entry does not apply (a pointer to nothing), or when the segment has no ring: a
 * fresh read is the checkpoint (a step reached by a full read) plus a step per patch after
 * it.
 *
 * Each version reached is a step: its state, and the patches from the previous step (or
 * `null`: reached by a full read). The last steps are kept, as many as the ring holds, so
 * that every subscriber can be handed the steps after the version it emitted last
 * (`stepsAfter`), whoever advanced the history in between (a `get()`, a commit of this
 * process, another subscriber's notification).
 *
 * A writer records its own commits (`recordCommit`): it knows the state it committed, so it
 * never reads it back. The encoded length of each state is tracked alongside (the full read's
 * byte length plus each patch's `sizeChange`), which a patch commit reports to the core so
 * that a state larger than the capacity is refused before it is made.
 *
 * @example
 * const history = new StateHistory<Robot>(segment);
 * const a = history.current();
 * const b = history.current(); // a === b while nobody commits
 * history.stepsAfter(a.version); // [] until a commit lands
 */
import type { Segment } from '@shmstate/native';
import { applyJsonPatch } from './apply-json-patch';
import { parseStateText } from './codec';
import { freezeParsed } from './deep-freeze';
import { ShmStateError, shmStateError } from './errors';
import type { DeepReadonly, JsonPatchOperation, Snapshot } from './types';

/** Steps kept while no subscriber wants every version. */
const LATEST_KEEP = 64;

/** One version reached: its snapshot, the patches from the step before, and its length. */
export interface Step<T> {
  readonly snapshot: Snapshot<T>;
  /** The RFC 6902 ops from the previous step's state to this one; null after a full read. */
  readonly patches: ReadonlyArray<JsonPatchOperation> | null;
  /** The encoded length of the state in UTF-8 bytes, as tracked. */
  readonly length: number;
}

export class StateHistory<T> {
  private latestStep: Step<T> | undefined;
  // The last steps in version order (latestStep last); trimmed in batches to `keep`, or to
  // LATEST_KEEP while no subscriber wants every version.
  private readonly steps: Step<T>[] = [];
  private readonly keep: number;
  private readonly hasRing: boolean;

  constructor(private readonly segment: Segment) {
    const { entries } = segment.ringInfo();
    this.hasRing = entries > 0;
    this.keep = Math.max(entries, 1);
  }

  /** Whether the segment carries patches (commits may go through `commitPatch`). */
  get ring(): boolean {
    return this.hasRing;
  }

  /** The latest committed snapshot, caught up at most once per version. */
  current(): Snapshot<T> {
    return this.latest().snapshot;
  }

  /** The latest step, caught up to the published version. */
  latest(): Step<T> {
    const cached = this.latestStep;
    if (cached !== undefined && this.segment.version === cached.snapshot.version) return cached;
    if (cached === undefined || !this.hasRing) return this.readFull();
    return this.catchUp(cached);
  }

  /**
   * The steps after `version`, in order, if the kept steps reach back to it (a step of
   * exactly that version is kept); null if they do not, and the caller has lost track.
   */
  stepsAfter(version: number): ReadonlyArray<Step<T>> | null {
    const steps = this.steps;
    // Mostly the caller is one or a few steps behind: search from the end.
    for (let i = steps.length - 1; i >= 0; i -= 1) {
      const at = steps[i]!.snapshot.version;
      if (at === version) return steps.slice(i + 1);
      if (at < version) return null;
    }
    return null;
  }

  /**
   * Records this process's own commit of `state` (reached from `fromVersion` by `patches`,
   * or null for a whole state) as `version`, when the history is at `fromVersion`; else
   * leaves it to be read.
   */
  recordCommit(
    fromVersion: number,
    version: number,
    state: DeepReadonly<T>,
    patches: ReadonlyArray<JsonPatchOperation> | null,
    length: number,
  ): void {
    if (this.latestStep?.snapshot.version !== fromVersion) return;
    this.push(state, version, patches, length);
  }

  /**
   * Whether some subscriber wants every version (set by the change source). When none
   * does, several patches read at once are applied as one: each container on their paths
   * is copied once, not once per patch, which matters when a reader is many versions
   * behind, and most for a fresh read (up to a ring's worth of patches after the
   * checkpoint). The versions in between then get no step of their own.
   */
  everyVersion = false;

  private catchUp(from: Step<T>): Step<T> {
    const read = this.segment.readPatches(from.snapshot.version);
    if (read === null) return this.readFull();
    if (!this.everyVersion && read.patches.length > 1) {
      const applied = applyPatchTexts(from, read.patches);
      if (applied === undefined) return this.readFull();
      return this.push(applied.state, read.version, applied.patches, applied.length);
    }
    let step = from;
    let version = from.snapshot.version;
    for (const text of read.patches) {
      version += 1;
      const applied = applyPatchText(step, text);
      // A ring entry that passed the core's checks but does not apply to the state (a
      // writer's bug, or a state not written through patches): read the whole state.
      if (applied === undefined) return this.readFull();
      step = this.push(applied.state, version, applied.patches, applied.length);
    }
    return step;
  }

  /**
   * A fresh read: the checkpoint (a step with no patches: a full replacement) and a step
   * for each patch after it, those after the version this history holds. Every-change
   * subscribers that fell behind thus resume at the checkpoint, not only at the latest
   * version, as Python's watchers do.
   */
  private readFull(): Step<T> {
    const delta = this.segment.readDelta();
    const cached = this.latestStep;
    if (cached !== undefined && delta.version === cached.snapshot.version) return cached;
    const held = cached?.snapshot.version ?? 0;
    let step: Step<T> = {
      snapshot: {
        version: delta.checkpointVersion,
        state: freezeParsed(parseStateText(delta.state)) as DeepReadonly<T>,
        storeId: this.segment.storeId,
      },
      patches: null,
      length: Buffer.byteLength(delta.state),
    };
    if (!this.everyVersion) {
      // One step at the published version: the patches after the checkpoint applied as one.
      const applied = applyPatchTexts(step, delta.patches);
      if (applied === undefined) {
        throw shmStateError(
          'E_CORRUPT',
          `the patches after the checkpoint of version ${delta.checkpointVersion} do not apply to it`,
        );
      }
      return this.push(applied.state, delta.version, null, applied.length);
    }
    const steps = [step];
    let version = delta.checkpointVersion;
    for (const text of delta.patches) {
      version += 1;
      const applied = applyPatchText(step, text);
      if (applied === undefined) {
        throw shmStateError(
          'E_CORRUPT',
          `the patch of version ${version} does not apply to the checkpoint of version ${delta.checkpointVersion}`,
        );
      }
      step = {
        snapshot: { version, state: applied.state, storeId: this.segment.storeId },
        patches: applied.patches,
        length: applied.length,
      };
      steps.push(step);
    }
    // A checkpoint at or below the version held: the patches after it lead on from the
    // state held (the same JSON), so only they are new.
    let last: Step<T> | undefined;
    for (const each of steps) {
      if (each.snapshot.version > held) {
        last = this.push(each.snapshot.state, each.snapshot.version, each.patches, each.length);
      }
    }
    return last ?? this.push(step.snapshot.state, delta.version, null, step.length);
  }

  private push(
    state: DeepReadonly<T>,
    version: number,
    patches: ReadonlyArray<JsonPatchOperation> | null,
    length: number,
  ): Step<T> {
    const snapshot: Snapshot<T> = Object.freeze({ version, state, storeId: this.segment.storeId });
    const step: Step<T> = Object.freeze({ snapshot, patches, length });
    this.latestStep = step;
    this.steps.push(step);
    // Trim in batches: one splice per `keep` steps keeps a push O(1) on average. Without an
    // every-version subscriber only the latest-wins subscribers need steps (to join their
    // patches), and one behind by more gets the state whole: keep few, keep memory flat.
    const keep = this.everyVersion ? this.keep : Math.min(this.keep, LATEST_KEEP);
    if (this.steps.length > 2 * keep) this.steps.splice(0, this.steps.length - keep);
    return step;
  }
}

/**
 * Parses several ring entries and applies them as one patch (see `everyVersion`);
 * undefined as for applyPatchText, also when an entry is not a JSON array.
 */
function applyPatchTexts<T>(
  step: Step<T>,
  texts: readonly string[],
):
  | { state: DeepReadonly<T>; patches: ReadonlyArray<JsonPatchOperation>; length: number }
  | undefined {
  const joined: unknown[] = [];
  for (const text of texts) {
    let ops: unknown;
    try {
      ops = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!Array.isArray(ops)) return undefined;
    for (const op of ops) joined.push(op);
  }
  return applyOps(step, joined as JsonPatchOperation[]);
}

/**
 * Parses and applies one ring entry; undefined when it is not JSON or does not apply
 * (E_PATCH, or E_ENCODE for a value outside the dialect): the caller reads the whole state.
 */
function applyPatchText<T>(
  step: Step<T>,
  text: string,
):
  | { state: DeepReadonly<T>; patches: ReadonlyArray<JsonPatchOperation>; length: number }
  | undefined {
  let ops: JsonPatchOperation[];
  try {
    ops = JSON.parse(text) as JsonPatchOperation[];
  } catch {
    return undefined;
  }
  return applyOps(step, ops);
}

/** Applies parsed ops to a step's state; undefined when they do not apply. */
function applyOps<T>(
  step: Step<T>,
  ops: JsonPatchOperation[],
):
  | { state: DeepReadonly<T>; patches: ReadonlyArray<JsonPatchOperation>; length: number }
  | undefined {
  try {
    const patches = freezeParsed(ops);
    const { state, sizeChange } = applyJsonPatch(step.snapshot.state, patches);
    return { state, patches, length: step.length + sizeChange };
  } catch (err) {
    if (err instanceof ShmStateError && (err.code === 'E_PATCH' || err.code === 'E_ENCODE')) {
      return undefined;
    }
    throw err;
  }
}
