/**
 * Argument checks that run before any native call, with messages that name the argument
 * and its limit (TypeError for a wrong type, RangeError for a value out of range). They
 * carry no shmstate code: they are programming mistakes, not runtime conditions.
 *
 * @example
 * const { capacity, mode } = validateCreateOptions('robot', { initial: {}, capacity: 4096 });
 */
import { LIMITS } from '@shmstate/native';
import type { SharedStoreCreateOptions, UpdateOptions } from './types';

const { capacityMin: CAPACITY_MIN, capacityMax: CAPACITY_MAX } = LIMITS;
const DEFAULT_CAPACITY = 1 << 20;
const DEFAULT_MAX_RETRIES = 100;
const MAX_VERSION = Number.MAX_SAFE_INTEGER;

export function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string')
    throw new TypeError(`Segment name must be a string, got ${typeof name}`);
}

export function validateCreateOptions<T>(
  name: unknown,
  options: SharedStoreCreateOptions<T>,
): { capacity: number; mode: number | undefined; version: number | undefined } {
  validateName(name);
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Options must be an object: { initial, capacity?, mode?, version? }');
  }
  if (!('initial' in options)) throw new TypeError('Option "initial" is required');
  const { capacity = DEFAULT_CAPACITY, mode, version } = options;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity)) {
    throw new TypeError(
      `Option "capacity" must be an integer number of bytes, got ${String(capacity)}`,
    );
  }
  if (capacity < CAPACITY_MIN || capacity > CAPACITY_MAX) {
    throw new RangeError(
      `Option "capacity" must be between ${CAPACITY_MIN} and ${CAPACITY_MAX} bytes, got ${capacity}`,
    );
  }
  if (mode !== undefined) {
    if (typeof mode !== 'number' || !Number.isInteger(mode)) {
      throw new TypeError(`Option "mode" must be an integer such as 0o600, got ${String(mode)}`);
    }
    if (mode < 1 || mode > 0o777) {
      throw new RangeError(
        `Option "mode" must be between 0o001 and 0o777, got 0o${mode.toString(8)}`,
      );
    }
  }
  if (version !== undefined) {
    if (typeof version !== 'number' || !Number.isInteger(version)) {
      throw new TypeError(`Option "version" must be an integer, got ${String(version)}`);
    }
    if (version < 1 || version > MAX_VERSION) {
      throw new RangeError(`Option "version" must be between 1 and ${MAX_VERSION}, got ${version}`);
    }
  }
  return { capacity, mode, version };
}

export function validateUpdate(recipe: unknown, options: UpdateOptions | undefined): number {
  if (typeof recipe !== 'function')
    throw new TypeError(`update() needs a recipe function, got ${typeof recipe}`);
  if (options === undefined) return DEFAULT_MAX_RETRIES;
  if (typeof options !== 'object' || options === null)
    throw new TypeError('update() options must be an object');
  const { maxRetries = DEFAULT_MAX_RETRIES } = options;
  if (typeof maxRetries !== 'number' || !Number.isInteger(maxRetries)) {
    throw new TypeError(`Option "maxRetries" must be an integer, got ${String(maxRetries)}`);
  }
  if (maxRetries < 0)
    throw new RangeError(`Option "maxRetries" must be 0 or more, got ${maxRetries}`);
  return maxRetries;
}

export function validateFunction(value: unknown, what: string): void {
  if (typeof value !== 'function')
    throw new TypeError(`${what} must be a function, got ${typeof value}`);
}
