/**
 * The store's one change source: a single native watcher on the segment, shared by all
 * of the store's subscribers (state$, changes$, every selection), that emits the latest
 * committed snapshot each time the version may have changed.
 *
 * - Starts the watcher with the first subscriber and stops it after the last (`share()`
 *   resets on a zero reference count), so a process with no subscribers has no watcher
 *   and nothing keeping its event loop alive.
 * - Conflated: the native watcher delivers at most one pending notification, and each
 *   notification reads the latest version, so a burst of commits costs one read and one
 *   decode (through the VersionCache), and the latest state wins.
 * - Strictly increasing versions: a notification that finds no newer version (already
 *   read by `get()`, or a wake-up with no commit) emits nothing.
 * - A read that fails (E_CORRUPT, E_BUSY) or a native wait that fails for good errors
 *   the stream, so subscribers learn of it rather than silently seeing stale state.
 *
 * @example
 * const versions$ = watchVersions(segment, cache);
 * versions$.subscribe(({ version }) => console.log('now at', version));
 */
import type { Segment } from '@shmstate/native';
import { Observable, share } from 'rxjs';
import type { Snapshot } from './types';
import type { VersionCache } from './version-cache';

export function watchVersions<T>(
  segment: Segment,
  cache: VersionCache<T>,
): Observable<Snapshot<T>> {
  return new Observable<Snapshot<T>>((subscriber) => {
    // Versions start at 1 or later, so the first notification always emits; subscribers
    // drop versions they already have.
    let lastEmitted = 0;
    const handle = segment.watch((failure?: Error) => {
      if (subscriber.closed) return;
      // The native wait ended for good (the watcher is stopped): tell the subscribers.
      if (failure !== undefined) {
        subscriber.error(failure);
        return;
      }
      let snapshot: Snapshot<T>;
      try {
        snapshot = cache.current();
      } catch (err) {
        subscriber.error(err);
        return;
      }
      if (snapshot.version <= lastEmitted) return;
      // Update our state before we emit: a subscriber may commit or read re-entrantly.
      lastEmitted = snapshot.version;
      subscriber.next(snapshot);
    });
    return () => handle.stop();
  }).pipe(share());
}
