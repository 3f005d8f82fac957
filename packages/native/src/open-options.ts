/**
 * The options of opening a segment another user may own: whom to trust, and whether to open
 * read-only. The trust grammar is the C core's (include/shmstate.h, `SHMSTATE_TRUST`), so a
 * value means the same in Node, Python, the CLI and the environment variable.
 *
 * @example
 * ```ts
 * Segment.open('robot', { trust: 'group' });            // a segment of one of our groups
 * Segment.open('robot', { trust: [1001, 'group'] });    // uid 1001's, or one of our groups'
 * Segment.open('robot', { trust: 'uid:1001', readOnly: true });
 * ```
 */
import { argument, checkObject, describeValue, invalidArgument, option } from './argument-checks';

/**
 * Whom an open trusts besides this process's own uid: `'group'` (a segment whose group is
 * one of this process's groups), a uid, a list of those, or the grammar as text
 * (`"group,uid:1001"`; `""` trusts no other uid). Absent, undefined or null: the
 * environment variable `SHMSTATE_TRUST`, if set (as Python's `trust=None`).
 */
export type TrustOption = string | 'group' | number | ReadonlyArray<'group' | number>;

/** Options of `Segment.open` and `Segment.openWait` (and the store's open methods). */
export interface SegmentOpenOptions {
  /** See `TrustOption`. A segment that is world-writable or a symlink is refused anyway. */
  readonly trust?: TrustOption | null;
  /**
   * Open read-only even when the segment is writable (default false). A segment this user
   * may read but not write opens read-only anyway. A read-only handle reads and
   * subscribes (through a thread that re-checks at least every 10 ms), writes nothing to
   * the segment, is not listed by `attached()`, and its commits are `E_PERM`.
   */
  readonly readOnly?: boolean;
}

/** The open options as the addon takes them: trust in the core's grammar, or undefined. */
export interface OpenArguments {
  trust: string | undefined;
  readOnly: boolean;
}

function trustItem(value: unknown): string {
  if (value === 'group') return 'group';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < 0xffffffff) {
    return `uid:${value}`;
  }
  throw invalidArgument(
    `Option "trust" items must be "group" or a uid (an integer in [0, 4294967294]), got ${describeValue(value)}`,
  );
}

/** The trust option in the core's grammar: the core checks a string's syntax (E_INVALID). */
export function trustText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(trustItem).join(',');
  return trustItem(value);
}

export function checkOpenOptions(options: SegmentOpenOptions | undefined): OpenArguments {
  if (options === undefined) return { trust: undefined, readOnly: false };
  const fields = checkObject(argument('options'), options);
  const readOnly = fields['readOnly'] === undefined ? false : fields['readOnly'];
  if (typeof readOnly !== 'boolean') {
    throw invalidArgument(
      `${option('readOnly').label} must be a boolean, got ${describeValue(readOnly)}`,
    );
  }
  return { trust: trustText(fields['trust']), readOnly };
}
