/**
 * The backoff between compare-and-set attempts of `SharedStore.update`: the first retry
 * is immediate (the usual conflict is one other writer that has finished by now), later
 * ones sleep a random fraction of an exponentially growing bound, capped at 1 ms, so
 * writers that keep colliding spread out instead of colliding in lock step.
 *
 * `update` is synchronous, so the pause blocks the calling thread: `Atomics.wait` on a
 * private word sleeps in the kernel without spinning and is allowed on Node's main thread.
 * The bound keeps the worst case small: 100 retries sleep well under 100 ms in total.
 *
 * @example
 * for (let attempt = 0; ; attempt += 1) {
 *   if (tryCommit()) break;
 *   pauseBeforeRetry(attempt + 1);
 * }
 */
const word = new Int32Array(new SharedArrayBuffer(4));

const FIRST_BOUND_MS = 0.02;
const MAX_BOUND_MS = 1;

export function pauseBeforeRetry(retry: number): void {
  if (retry <= 1) return;
  const bound = Math.min(MAX_BOUND_MS, FIRST_BOUND_MS * 2 ** (retry - 2));
  // Nobody ever notifies `word`, so this always returns 'timed-out' after the pause.
  Atomics.wait(word, 0, 0, Math.random() * bound);
}
