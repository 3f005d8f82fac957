/**
 * The store's errors: the same `ShmStateError` class the native binding throws, so
 * `instanceof ShmStateError` and `err.code` hold for every failure whether it was
 * detected in C (E_CONFLICT, E_CAPACITY, E_NOENT, ...) or here in TypeScript
 * (E_ENCODE, E_CORRUPT from decoding, E_CLOSED, E_CAPACITY before the native call).
 *
 * Argument mistakes (wrong types, options out of range) are `TypeError`/`RangeError`,
 * thrown before any native call; they carry no shmstate code.
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
