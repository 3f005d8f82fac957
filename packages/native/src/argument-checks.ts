/**
 * The argument checks of `@shmstate/native` and `@shmstate/core` (which imports them from
 * `@shmstate/native/internal`): one layer, one wording, the same as the C core's and the
 * Python package's. A bad argument is a `ShmStateError` with code `E_INVALID`:
 *
 * - a value of the wrong kind: `<argument> must be <kind>, got <value>`, e.g.
 *   `Option "capacity" must be an integer, got 1.5 (E_INVALID)`;
 * - a number out of range: `<name> is <value>; it must be in [<min>, <max>]`, e.g.
 *   `maxRetries is -1; it must be in [0, 9007199254740991] (E_INVALID)`.
 *
 * Ranges the C core checks itself (capacity bounds, the mode rules, version 0) are left to
 * it, so its message is the one every language shows; what is checked here is the kind of
 * each value, the ranges the core does not know (versions above 2^53 - 1, retry counts,
 * timeouts) and the values that could not reach it as C integers at all (a negative
 * capacity), which get the core's wording.
 *
 * @example
 * ```ts
 * const capacity = checkInteger(option('capacity'), options.capacity);
 * const retries = checkIntegerIn(option('maxRetries'), options.maxRetries, 0, MAX_VERSION);
 * ```
 */
import { LIMITS } from './limits';
import { ShmStateError } from './shm-state-error';

/** The largest version, and the largest integer a JS number holds exactly: 2^53 - 1. */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;

/** The largest writer-lock timeout in milliseconds (the core takes a uint32). */
export const MAX_LOCK_TIMEOUT_MS = 0xffffffff;

/** An argument as messages name it: `label` for its kind, `name` for its range. */
export interface ArgumentName {
  /** `Argument "name"` or `Option "capacity"`. */
  readonly label: string;
  /** `name` or `capacity`, as the core names values. */
  readonly name: string;
}

/** A positional argument, e.g. `argument('name')`. */
export function argument(name: string): ArgumentName {
  return { label: `Argument "${name}"`, name };
}

/** A property of an options object, e.g. `option('capacity')`. */
export function option(name: string): ArgumentName {
  return { label: `Option "${name}"`, name };
}

/** The error of a bad argument: a `ShmStateError` with code `E_INVALID`. */
export function invalidArgument(message: string): ShmStateError {
  return new ShmStateError(message, 'E_INVALID');
}

/** A short description of a received value, for messages: `1.5`, `"64"`, `a Date`. */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    default:
      return describeObject(value as object | null);
  }
}

function describeObject(value: object | null): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return 'an object';
  const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
}

function wrongKind(what: ArgumentName, kind: string, value: unknown): ShmStateError {
  return invalidArgument(`${what.label} must be ${kind}, got ${describeValue(value)}`);
}

export function checkString(what: ArgumentName, value: unknown): string {
  if (typeof value !== 'string') throw wrongKind(what, 'a string', value);
  return value;
}

export function checkObject(what: ArgumentName, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw wrongKind(what, 'an object', value);
  return value as Record<string, unknown>;
}

/**
 * Refuses a property of an options object that `call` does not take, as Python refuses an
 * unexpected keyword: an option meant for another call (`readOnly` given to
 * `openOrCreate`) would otherwise be dropped without a word. Undefined values pass.
 */
export function checkKnownOptions(
  fields: Record<string, unknown>,
  known: readonly string[],
  call: string,
): void {
  for (const key of Object.keys(fields)) {
    if (fields[key] !== undefined && !known.includes(key)) {
      throw invalidArgument(
        `${option(key).label} is not an option of ${call}; it takes ${known.join(', ')}`,
      );
    }
  }
}

export function checkFunction<F extends (...args: never[]) => unknown>(
  what: ArgumentName,
  value: unknown,
): F {
  if (typeof value !== 'function') throw wrongKind(what, 'a function', value);
  return value as F;
}

export function checkBytes(what: ArgumentName, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw wrongKind(what, 'a Uint8Array', value);
  return value;
}

/** A number that is an integer (NaN, Infinity and 1.5 are not). */
export function checkInteger(what: ArgumentName, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw wrongKind(what, 'an integer', value);
  }
  return value;
}

/** Any number, fractions included; a range check then refuses NaN. */
export function checkNumber(what: ArgumentName, value: unknown): number {
  if (typeof value !== 'number') throw wrongKind(what, 'a number', value);
  return value;
}

/** `value` within [min, max] (NaN never is), in the core's words. */
export function checkRange(what: ArgumentName, value: number, min: number, max: number): number {
  if (!(value >= min && value <= max)) {
    throw invalidArgument(`${what.name} is ${value}; it must be in [${min}, ${max}]`);
  }
  return value;
}

export function checkIntegerIn(
  what: ArgumentName,
  value: unknown,
  min: number,
  max: number,
): number {
  return checkRange(what, checkInteger(what, value), min, max);
}

/**
 * A version for the core: 0 goes through (the core refuses it, in its words), anything
 * else must be in [1, 2^53 - 1], the versions a JS number holds exactly.
 */
export function checkVersion(what: ArgumentName, value: unknown): number {
  const version = checkInteger(what, value);
  return version === 0 ? 0 : checkRange(what, version, 1, MAX_VERSION);
}

/** The numbers of a segment creation, as the addon takes them. */
export interface CreateNumbers {
  capacity: number;
  mode: number;
  version: number;
  /** Patches the ring holds: undefined for the core's default ring, 0 for no ring. */
  ringEntries: number | undefined;
  /** The largest patch in bytes: undefined for the core's default. */
  ringPatchMax: number | undefined;
  /** A self-cleaning store (header flag SELF_CLEANING); default false. */
  selfCleaning: boolean;
  /** The group the segment gets, a name or a decimal gid; undefined: the creator's. */
  group: string | undefined;
}

/**
 * Checks the numbers of a creation (`Segment.create`, `Segment.openOrCreate` and the
 * store's): `capacity` (required here), `mode` (default 0o600), `version` (default 1) and
 * the patch ring's `ringEntries` and `ringPatchMax` (default: the core's ring for the
 * capacity), and `selfCleaning` (a boolean, default false).
 * Their ranges are the core's: a capacity outside [64, 1 GiB], a mode with other bits
 * than permissions, without owner read and write or world-writable, and version 0 reach
 * it and come back with its message. Only values no C integer can carry are refused
 * here, in the core's words: a negative capacity or mode, a mode beyond 32 bits, a
 * negative version or one above 2^53 - 1.
 */
export function checkCreateNumbers(options: Record<string, unknown>): CreateNumbers {
  const capacity = checkInteger(option('capacity'), options['capacity']);
  if (capacity < 0 || capacity > MAX_VERSION) {
    checkRange(option('capacity'), capacity, LIMITS.capacityMin, LIMITS.capacityMax);
  }
  const mode =
    options['mode'] === undefined
      ? LIMITS.defaultMode
      : checkInteger(option('mode'), options['mode']);
  if (mode < 0 || mode > 0xffffffff) {
    const octal = mode < 0 ? `-0${(-mode).toString(8)}` : `0${mode.toString(8)}`;
    throw invalidArgument(`mode is ${octal}; only permission bits 0777 are allowed`);
  }
  const version =
    options['version'] === undefined ? 1 : checkVersion(option('version'), options['version']);
  // The ring's ranges are the core's (E_INVALID naming the value and the range); here only
  // the type: an integer, or absent for the default ring.
  const ringEntries =
    options['ringEntries'] === undefined
      ? undefined
      : checkIntegerIn(option('ringEntries'), options['ringEntries'], 0, 0xffffffff);
  const ringPatchMax =
    options['ringPatchMax'] === undefined
      ? undefined
      : checkIntegerIn(option('ringPatchMax'), options['ringPatchMax'], 0, MAX_VERSION);
  const selfCleaning = options['selfCleaning'] === undefined ? false : options['selfCleaning'];
  if (typeof selfCleaning !== 'boolean') {
    throw wrongKind(option('selfCleaning'), 'a boolean', selfCleaning);
  }
  const group = checkGroup(options['group']);
  return { capacity, mode, version, ringEntries, ringPatchMax, selfCleaning, group };
}

/** A group name or gid, as the core's shmstate_group_parse takes it (text). */
function checkGroup(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 0xffffffff) {
    return String(value);
  }
  throw wrongKind(option('group'), 'a group name or a gid (an integer in [0, 4294967294])', value);
}
