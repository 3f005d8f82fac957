/**
 * The store's one change source: the streams `changes$` (latest wins) and `everyChange$`
 * (every version), and through them `state$`, every selection and `waitFor`.
 *
 * One pass from the native callback to the emissions: the segment's watcher (one per
 * store, started by the first subscriber, stopped after the last, so a process with no
 * subscribers keeps nothing alive) calls `deliver()`, which brings the shared history up to
 * the published version once and hands each subscriber the steps after the version it
 * emitted last:
 *
 * - latest wins: the newest state, its `patches` the concatenated patches of the steps in
 *   between (null when one of them was a full read), `missed` the versions in between;
 * - every change: each step in order, `missed` 0 while the steps are contiguous; a step
 *   reached by a full read (after the history fell behind the ring: the checkpoint it
 *   resumed from) arrives whole (`patches` null) with `missed` counting exactly the
 *   versions lost; when the kept steps no longer reach back to the subscriber's version,
 *   the latest state, whole, with `missed` exact.
 *
 * For every subscriber: versions strictly increase, the first emission is the current
 * state on subscribe (`patches` null, `missed` 0), and last - first = (emissions - 1) +
 * sum(missed). A read that fails (E_CORRUPT, E_BUSY) or a native wait that fails for good
 * errors every subscriber, so nobody silently sees stale state. Subscribing to a closed
 * store errors with E_CLOSED; closing completes every stream.
 *
 * A retired store (its name unlinked, E_RETIRED) errors every subscriber too, unless the
 * store was opened with `reopen`: then `replace()` is asked for the store that took the
 * name, the subscribers stay, and each next receives the new store's current state whole
 * (`replaced` true, `missed` its versions before it); the invariant above holds per store.
 *
 * @example
 * const source = new ChangeSource({ segment, history }, () => closed, closing$, async () => false);
 * source.stream(false).subscribe(({ version, missed }) => missed > 0 && console.log(missed));
 */
import type { Segment, WatchHandle } from '@shmstate/native';
import { Observable, takeUntil, type Subscriber } from 'rxjs';
import { ShmStateError, shmStateError } from './errors';
import type { StateHistory, Step } from './state-history';
import type { Change, JsonPatchOperation } from './types';

interface Follower<T> {
  readonly subscriber: Subscriber<Change<T>>;
  readonly every: boolean;
  /** The version this follower emitted last; 0 before its first emission. */
  last: number;
  /** The next emission is the first from a replacement store. */
  replaced: boolean;
}

/** The store's segment and history: one object the store swaps both in when it follows a
 * replacement store, so the source always reads the current pair. */
export interface StoreParts<T> {
  segment: Segment;
  history: StateHistory<T>;
}

/** Swaps in the store that took a retired store's name: resolves true once `parts` hold
 * it, false when the store does not follow replacements (or was closed meanwhile); rejects
 * with the failure of the re-open. */
export type Replace = () => Promise<boolean>;

export class ChangeSource<T> {
  private readonly followers = new Set<Follower<T>>();
  private watch: WatchHandle | undefined;
  private replacing = false;

  constructor(
    private readonly parts: StoreParts<T>,
    private readonly isClosed: () => boolean,
    private readonly closing$: Observable<unknown>,
    private readonly replace: Replace,
  ) {}

  private get history(): StateHistory<T> {
    return this.parts.history;
  }

  /** A stream of changes: every version (`every`) or the latest one. */
  stream(every: boolean): Observable<Change<T>> {
    return new Observable<Change<T>>((subscriber) => {
      if (this.isClosed()) {
        subscriber.error(shmStateError('E_CLOSED', 'the store is closed'));
        return undefined;
      }
      const follower: Follower<T> = { subscriber, every, last: 0, replaced: false };
      // Watch first, then read the current state: a commit that lands between the two is
      // then either in the read or reported by the watcher, never lost.
      this.follow(follower);
      if (!subscriber.closed) {
        try {
          const step = this.history.latest();
          this.emit(follower, step, null, 0);
        } catch (err) {
          subscriber.error(err);
        }
      }
      return () => this.unfollow(follower);
    }).pipe(takeUntil(this.closing$));
  }

  private follow(follower: Follower<T>): void {
    this.followers.add(follower);
    if (follower.every) this.history.everyVersion = true;
    if (this.watch === undefined && !this.replacing) {
      this.watch = this.parts.segment.watch((failure?: Error) => this.deliver(failure));
    }
  }

  private unfollow(follower: Follower<T>): void {
    this.followers.delete(follower);
    if (follower.every) {
      this.history.everyVersion = [...this.followers].some((other) => other.every);
    }
    if (this.followers.size === 0 && this.watch !== undefined) {
      const watch = this.watch;
      this.watch = undefined;
      watch.stop();
    }
  }

  /** The native callback: the version may have moved, or notification failed for good. */
  private deliver(failure?: Error): void {
    let latest: Step<T> | undefined;
    let error: unknown = failure;
    // The native side stopped the watch: the next subscriber starts a new one.
    if (failure !== undefined) this.watch = undefined;
    if (failure instanceof ShmStateError && failure.code === 'E_RETIRED') {
      this.followReplacement(failure);
      return;
    }
    if (error === undefined) {
      try {
        latest = this.history.latest();
      } catch (err) {
        error = err;
      }
    }
    // Iterate a copy: subscribers may unsubscribe, subscribe or commit while we emit.
    for (const follower of [...this.followers]) {
      if (follower.subscriber.closed) continue;
      if (latest === undefined) follower.subscriber.error(error);
      else this.catchUp(follower, latest);
    }
  }

  /** The store was retired: carry on with the store that takes its name, or end. */
  private followReplacement(retired: ShmStateError): void {
    this.replacing = true;
    this.replace().then(
      (swapped) => this.resume(swapped ? undefined : retired),
      (failure: unknown) => this.resume(failure),
    );
  }

  private resume(failure: unknown): void {
    this.replacing = false;
    const followers = [...this.followers].filter((follower) => !follower.subscriber.closed);
    if (failure !== undefined || this.isClosed()) {
      for (const follower of followers) follower.subscriber.error(failure);
      return;
    }
    if (followers.length === 0) return;
    for (const follower of followers) follower.replaced = true;
    // Watch first, then read, as on subscribe: nothing committed in between is lost.
    this.watch = this.parts.segment.watch((next?: Error) => this.deliver(next));
    let latest: Step<T>;
    try {
      latest = this.history.latest();
    } catch (err) {
      for (const follower of followers) follower.subscriber.error(err);
      return;
    }
    for (const follower of followers) {
      if (!follower.subscriber.closed) this.emit(follower, latest, null, 0);
    }
  }

  private catchUp(follower: Follower<T>, latest: Step<T>): void {
    if (latest.snapshot.version <= follower.last) return;
    const steps = this.history.stepsAfter(follower.last);
    if (steps === null) {
      // Fell behind the kept steps: the newest state, whole, with what was lost counted.
      this.emit(follower, latest, null, latest.snapshot.version - follower.last - 1);
      return;
    }
    if (!follower.every) {
      // The newest kept step, which a re-entrant commit may have made newer than `latest`.
      const newest = steps[steps.length - 1] ?? latest;
      this.emit(follower, newest, joinPatches(steps), newest.snapshot.version - follower.last - 1);
      return;
    }
    for (const step of steps) {
      if (follower.subscriber.closed) return;
      this.emit(follower, step, step.patches, step.snapshot.version - follower.last - 1);
    }
  }

  private emit(
    follower: Follower<T>,
    step: Step<T>,
    patches: ReadonlyArray<JsonPatchOperation> | null,
    missed: number,
  ): void {
    const { version, state, storeId } = step.snapshot;
    const replaced = follower.replaced;
    if (version <= follower.last && !replaced) return;
    // Update our cursor before we emit: the subscriber may commit, read or unsubscribe
    // re-entrantly, and must not see this version twice.
    const first = follower.last === 0;
    follower.last = version;
    follower.replaced = false;
    follower.subscriber.next(
      Object.freeze({
        version,
        state,
        storeId,
        // A replacement store's versions start again: those before this one were skipped.
        missed: replaced ? version - 1 : first ? 0 : missed,
        patches: first || replaced ? null : patches,
        replaced,
      }),
    );
  }
}

/** The patches of consecutive steps as one patch; null if any step was a full read. */
function joinPatches<T>(steps: ReadonlyArray<Step<T>>): ReadonlyArray<JsonPatchOperation> | null {
  if (steps.length === 1) return steps[0]!.patches;
  const joined: JsonPatchOperation[] = [];
  for (const step of steps) {
    if (step.patches === null) return null;
    for (const op of step.patches) joined.push(op);
  }
  return Object.freeze(joined);
}
