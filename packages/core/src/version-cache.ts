/**
 * The decoded state of the latest version this process has seen, shared by every
 * reader of the store: `get()`, `snapshot()`, `state$`, `changes$` and every selection.
 *
 * Reading an unchanged version costs one atomic load (`segment.version`) and returns the
 * same frozen snapshot object: no copy out of shared memory, no UTF-8 decode, no
 * JSON.parse. Only when the published version moved does it copy, decode and freeze,
 * once, however many subscribers then receive the result.
 *
 * @example
 * const cache = new VersionCache<Robot>(segment);
 * const a = cache.current();
 * const b = cache.current(); // a === b while nobody commits
 */
import type { Segment } from '@shmstate/native';
import { parseStateText } from './codec';
import { freezeParsed } from './deep-freeze';
import type { DeepReadonly, Snapshot } from './types';

export class VersionCache<T> {
  private latest: Snapshot<T> | undefined;

  constructor(private readonly segment: Segment) {}

  /** The latest committed snapshot, decoded at most once per version. */
  current(): Snapshot<T> {
    const cached = this.latest;
    if (cached !== undefined && this.segment.version === cached.version) return cached;
    // read() may return a newer version than the one just loaded: that is fine, it is
    // committed and whole. It can never be older than a version this cache already
    // holds (versions only grow), but keep the cached one if it is the same version.
    // readText checks strict UTF-8 natively and skips the Buffer: the cheapest read.
    const { version, text } = this.segment.readText();
    if (cached !== undefined && version === cached.version) return cached;
    const state = freezeParsed(parseStateText(text)) as DeepReadonly<T>;
    const snapshot: Snapshot<T> = Object.freeze({ version, state, storeId: this.segment.storeId });
    this.latest = snapshot;
    return snapshot;
  }
}
