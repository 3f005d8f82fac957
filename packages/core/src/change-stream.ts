/**
 * One subscriber's view of a store's versions, the source of `changes$` (and through it
 * of `state$` and every selection): the current snapshot on subscribe, like a
 * BehaviorSubject, then every newer version the shared watcher reports, each with how
 * many versions it skipped since this subscriber's previous emission.
 *
 * Versions strictly increase per subscriber; `missed` is `version - previous - 1` (0 for
 * the first emission), so the emissions plus the sum of `missed` account for every
 * version from the first one received to the last. Completes when the store closes;
 * subscribing to a closed store errors with E_CLOSED.
 *
 * @example
 * const changes$ = changeStream(cache, watchVersions(segment, cache), () => closed, closing$);
 * changes$.subscribe(({ version, missed }) => missed > 0 && console.log(`skipped ${missed}`));
 */
import { Observable, takeUntil } from 'rxjs';
import { shmStateError } from './errors';
import type { Change, Snapshot } from './types';
import type { VersionCache } from './version-cache';

export function changeStream<T>(
  cache: VersionCache<T>,
  versions$: Observable<Snapshot<T>>,
  isClosed: () => boolean,
  closing$: Observable<unknown>,
): Observable<Change<T>> {
  return new Observable<Change<T>>((subscriber) => {
    if (isClosed()) {
      subscriber.error(shmStateError('E_CLOSED', 'the store is closed'));
      return undefined;
    }
    let previous = 0;
    const emit = ({ version, state, storeId }: Snapshot<T>): void => {
      if (version <= previous) return;
      const missed = previous === 0 ? 0 : version - previous - 1;
      // Update our state before we emit: the subscriber may commit, read or unsubscribe
      // re-entrantly, and must not see this version twice.
      previous = version;
      subscriber.next(Object.freeze({ version, state, storeId, missed }));
    };
    // Watch first, then read the current state: a commit that lands between the two is
    // then either in the read or reported by the watcher, never lost. (The reverse order
    // could read version n, miss the notification of n+1 and wait for n+2.)
    const watching = versions$.subscribe({
      next: emit,
      error: (err: unknown) => subscriber.error(err),
    });
    if (!subscriber.closed) {
      try {
        emit(cache.current());
      } catch (err) {
        subscriber.error(err);
      }
    }
    return watching;
  }).pipe(takeUntil(closing$));
}
