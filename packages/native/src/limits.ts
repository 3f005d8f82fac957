/**
 * Limits of the C core (`shmstate.h`), for callers that want to know them up front; the
 * core itself checks capacities and modes against them (`E_INVALID`). A test keeps them
 * equal to the values compiled into the addon.
 */
export const LIMITS = {
  /** Bytes in a segment name. */
  nameMax: 200,
  /** Smallest capacity (bytes per slot). */
  capacityMin: 64,
  /** Largest capacity: 1 GiB per slot. */
  capacityMax: 1073741824,
  /** Permissions of a new segment unless `mode` says otherwise. */
  defaultMode: 0o600,
  /** How long a commit waits for the writer lock unless `setLockTimeout` says otherwise. */
  defaultLockTimeoutMs: 5000,
} as const;
