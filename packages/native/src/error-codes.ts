/**
 * The stable shmstate error codes, in the order of `csrc/errors.def` (without `OK`).
 * The same strings are used by the C core, this package and the Python package; a test
 * keeps this list equal to the one compiled into the addon.
 *
 * @example
 * ```ts
 * if (ERROR_CODES.includes(err.code)) { ... }
 * ```
 */
export const ERROR_CODES = [
  'E_CAPACITY',
  'E_CORRUPT',
  'E_CONFLICT',
  'E_BUSY',
  'E_TIMEOUT',
  'E_EXISTS',
  'E_NOENT',
  'E_PERM',
  'E_NAME',
  'E_ENCODE',
  'E_CLOSED',
  'E_VERSION',
  'E_NOSPC',
  'E_INTERRUPTED',
  'E_INVALID',
  'E_NOMEM',
  'E_LIMIT',
  'E_SYSTEM',
  'E_PATCH',
  'E_RETIRED',
  'E_MIRROR',
] as const;

/** One of the stable shmstate error codes, e.g. `'E_CONFLICT'`. */
export type ShmStateErrorCode = (typeof ERROR_CODES)[number];
