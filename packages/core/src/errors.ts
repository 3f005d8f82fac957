/**
 * The store's errors: the same `ShmStateError` class the native binding throws, so
 * `instanceof ShmStateError` and `err.code` hold for every failure whether it was
 * detected in C (E_CONFLICT, E_CAPACITY, E_NOENT, ...) or here in TypeScript
 * (E_ENCODE, E_CORRUPT from decoding, E_CLOSED, E_TIMEOUT from waitFor).
 *
 * Argument mistakes are ShmStateErrors too, with code E_INVALID, checked by the argument
 * layer `@shmstate/native` shares with this package (a value of the wrong kind: `Option
 * "maxRetries" must be an integer, got 1.5`) or by the C core (a value out of its range:
 * `capacity is 10; it must be in [64, 1073741824]`), in the words Python uses too.
 *
 * @example
 * try {
 *   store.set({ when: new Date() });
 * } catch (err) {
 *   if (err instanceof ShmStateError && err.code === 'E_ENCODE') console.error(err.message);
 *   // "state.when is a Date: ... (E_ENCODE)"
 * }
 */
import { ShmStateError, type ShmStateErrorCode } from '@shmstate/native';

export { ShmStateError, type ShmStateErrorCode };

/** Builds a ShmStateError for a failure detected in this package; the message gains
 * its code as a suffix ("... (E_ENCODE)"), like the native ones. */
export function shmStateError(code: ShmStateErrorCode, message: string): ShmStateError {
  return new ShmStateError(message, code);
}
