/**
 * Who is attached to a segment: one entry of its attach table (docs/protocol.md "The attach
 * table"), as `Segment#attached()` and `SharedStore#attached()` return it. The same fields
 * as Python's `Store.attached()` (there in snake_case, `start_time` in seconds).
 *
 * @example
 * ```ts
 * const live = segment.attached().filter((a) => a.alive && !a.self);
 * console.log(live.map((a) => `${a.language} ${a.role} pid ${a.pid}`));
 * ```
 */
export interface Attachment {
  /** `writer` once the handle committed, `subscriber` once it watched, else `reader`;
   * `unknown` for a value outside the protocol's (a damaged entry). */
  role: AttachmentRole;
  language: AttachmentLanguage;
  /** The process id in the attacher's own PID namespace: for display, never for liveness. */
  pid: number;
  /** When it attached, in milliseconds since the epoch (like `Date.now()`). */
  startTime: number;
  /** Its kernel lock is held: the process runs and has the handle open. A dead entry's
   * process exited or was killed without closing. */
  alive: boolean;
  /** The entry of the handle this list was asked from. */
  self: boolean;
  /** The entry's index in the table. */
  index: number;
}

export type AttachmentRole = 'writer' | 'subscriber' | 'reader' | 'unknown';
export type AttachmentLanguage = 'c' | 'node' | 'python' | 'other' | 'unknown';

/** The core's numbers (shmstate.h shmstate_role, shmstate_language). */
export const ROLE_WRITER = 1;
export const ROLE_SUBSCRIBER = 2;
export const ROLE_READER = 3;
export const LANGUAGE_NODE = 2;

const ROLES: Record<number, AttachmentRole> = { 1: 'writer', 2: 'subscriber', 3: 'reader' };
const LANGUAGES: Record<number, AttachmentLanguage> = {
  1: 'c',
  2: 'node',
  3: 'python',
  4: 'other',
};

/** An entry as the addon lists it: numbers as stored in the segment (untrusted). */
export interface NativeAttachment {
  index: number;
  role: number;
  language: number;
  pid: number;
  startNs: number;
  alive: boolean;
  self: boolean;
}

export function toAttachment(raw: NativeAttachment): Attachment {
  return {
    role: ROLES[raw.role] ?? 'unknown',
    language: LANGUAGES[raw.language] ?? 'unknown',
    pid: raw.pid,
    startTime: Math.floor(raw.startNs / 1e6),
    alive: raw.alive,
    self: raw.self,
    index: raw.index,
  };
}
