/**
 * The values a store hands out. Each carries the version it was committed as; states
 * are deep-frozen and shared by every reader of that version in the process.
 *
 * @example
 * const { version, state }: Snapshot<Robot> = store.snapshot();
 * store.changes$.subscribe(({ version, state, missed }: Change<Robot>) => {});
 */

/** A committed state and its version. */
export interface Snapshot<T> {
  readonly version: number;
  readonly state: T;
}

/** One emission of `changes$`: a committed state, its version and the versions skipped
 * since the previous emission to the same subscriber (0 for the first emission). */
export interface Change<T> extends Snapshot<T> {
  readonly missed: number;
}

/** Options of `SharedStore.create` and `SharedStore.openOrCreate`. */
export interface SharedStoreCreateOptions<T> {
  /** The state published as version 1 when this call creates the segment. */
  initial: T;
  /** Largest encoded state in bytes (64 .. 2^30). Default 1 MiB. */
  capacity?: number;
  /** Permission bits of a new segment (umask does not apply). Default 0o600. */
  mode?: number;
}

/** Options of `SharedStore.update`. */
export interface UpdateOptions {
  /** How many times to re-read and re-run the recipe after losing a compare-and-set to
   * another writer before giving up with E_CONFLICT. Default 100. */
  maxRetries?: number;
}
