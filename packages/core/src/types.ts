/**
 * The values a store hands out. Each carries the version it was committed as and the id
 * of the store it was read from; states are deep-frozen and shared by every reader of
 * that version in the process.
 *
 * @example
 * const { version, state, storeId }: Snapshot<Robot> = store.snapshot();
 * store.changes$.subscribe(({ version, state, missed }: Change<Robot>) => {});
 */

/** A committed state, its version and the store it belongs to. */
export interface Snapshot<T> {
  readonly version: number;
  readonly state: T;
  /**
   * The id of the store (segment) the state was read from, 16 lowercase hex digits,
   * drawn when it was created: a store unlinked and created again under the same name has
   * another id, so a version number is only comparable between equal store ids.
   */
  readonly storeId: string;
}

/** One emission of `changes$`: a committed state, its version, the store id and the
 * versions skipped since the previous emission to the same subscriber (0 for the first
 * emission; a commit that jumped versions counts the versions jumped over). */
export interface Change<T> extends Snapshot<T> {
  readonly missed: number;
}

/** Options of `SharedStore.create` and `SharedStore.openOrCreate`. */
export interface SharedStoreCreateOptions<T> {
  /** The state published as the first version when this call creates the segment. */
  initial: T;
  /** Largest encoded state in bytes (64 .. 2^30). Default 1 MiB. */
  capacity?: number;
  /** Permission bits of a new segment (umask does not apply). Default 0o600. */
  mode?: number;
  /**
   * The version `initial` is published as when this call creates the segment, an integer
   * from 1 to 2^53 - 1: a mirror of another store starts at that store's version. Later
   * commits add 1. Default 1.
   */
  version?: number;
}

/** Options of `SharedStore.update`. */
export interface UpdateOptions {
  /** How many times to re-read and re-run the recipe after losing a compare-and-set to
   * another writer before giving up with E_CONFLICT. Default 100. */
  maxRetries?: number;
}
