/**
 * Argument checks run before any native call, with messages that name the argument, the
 * accepted range and the value received, e.g.
 * `Option "capacity" must be an integer between 64 and 1073741824, got 10`.
 * Wrong types are `TypeError`s, out-of-range numbers `RangeError`s.
 */

/** A short description of what was received, for messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** `label` is e.g. `Option "capacity"` or `Argument "name"`. */
export function checkString(label: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new TypeError(`${label} must be a string, got ${describe(value)}`);
  }
  return value;
}

export function checkInteger(label: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${label} must be a number, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${label} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function checkBytes(label: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${label} must be a Uint8Array, got ${describe(value)}`);
  }
  return value;
}

export function checkFunction<T extends (...args: never[]) => unknown>(
  label: string,
  value: unknown,
): T {
  if (typeof value !== 'function') {
    throw new TypeError(`${label} must be a function, got ${describe(value)}`);
  }
  return value as T;
}

export function checkObject(label: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${label} must be an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}
