/**
 * Limits of the C core (`shmstate.h`), checked here before any native call so a wrong
 * argument is a `RangeError` with the exact bound. A test keeps them equal to the values
 * compiled into the addon.
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
