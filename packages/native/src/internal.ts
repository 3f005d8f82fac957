/**
 * `@shmstate/native/internal`: what the shmstate packages share with each other and
 * applications should not use (no stability promise): the argument checks
 * `@shmstate/core` reports bad arguments with, and the addon loader the tests and
 * benchmarks reach the compiled core through.
 *
 * @example
 * ```ts
 * import { checkString, argument } from '@shmstate/native/internal';
 * checkString(argument('name'), name); // E_INVALID: Argument "name" must be a string, got 42
 * ```
 */
export * from './argument-checks';
export { loadAddon } from './load-addon';
export type {
  NativeAddon,
  NativeRingInfo,
  NativeSegment,
  NativeStats,
  NotifyMechanism,
} from './native-addon';
