/**
 * How a test waits for the asynchronous notification path: subscribe a tracker to
 * `store.changes$` now (before committing), then `await reached(version)`.
 *
 * Waiting with a subscription made after the commits would prove nothing: its first
 * emission is the current state, read on subscribe, not delivered by the watcher. A
 * tracker subscribed before the commits only advances when the watcher delivers, and
 * since one notification is delivered to a store's subscribers in subscription order,
 * once a tracker made after the subscribers under test has seen a version, they have too.
 */
import type { ExecutionContext } from 'ava';
import { BehaviorSubject, filter, firstValueFrom } from 'rxjs';
import type { JsonState, SharedStore } from '../../src';

export function trackVersions<T extends JsonState<T>>(
  t: ExecutionContext,
  store: SharedStore<T>,
): (version: number) => Promise<unknown> {
  const latest = new BehaviorSubject(0);
  const subscription = store.changes$.subscribe(({ version }) => latest.next(version));
  t.teardown(() => subscription.unsubscribe());
  return (version) => firstValueFrom(latest.pipe(filter((seen) => seen >= version)));
}
