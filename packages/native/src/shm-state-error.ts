import type { ShmStateErrorCode } from './error-codes';

/**
 * The error every shmstate failure is thrown as, from the native core or from this
 * package: `code` is stable across C, Node and Python, `errno` is the operating-system
 * error behind it when there is one. The message names the value and the limit and ends
 * with the code, e.g. `state is 70000 bytes; capacity is 65536 (E_CAPACITY)`.
 *
 * A bad argument is one too, with code `E_INVALID`: `Option "capacity" must be an
 * integer, got 1.5 (E_INVALID)` for a value of the wrong kind, the core's own message
 * (`capacity is 10; it must be in [64, 1073741824] (E_INVALID)`) for a value out of range.
 *
 * @example
 * ```ts
 * try {
 *   segment.commit(bytes, { expectedVersion });
 * } catch (err) {
 *   if (err instanceof ShmStateError && err.code === 'E_CONFLICT') retry();
 *   else throw err;
 * }
 * ```
 */
export class ShmStateError extends Error {
  readonly code: ShmStateErrorCode;
  readonly errno?: number;

  constructor(message: string, code: ShmStateErrorCode, errno?: number) {
    const suffix = ` (${code})`;
    super(message.endsWith(suffix) ? message : message + suffix);
    this.name = 'ShmStateError';
    this.code = code;
    if (errno !== undefined) this.errno = errno;
  }
}
