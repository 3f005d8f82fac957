/**
 * @shmstate/native: the shmstate C core bound to Node. Segments of shared memory holding
 * one versioned payload, committed by any process and read whole by every other.
 */
export { Segment } from './segment';
export type { SegmentOpenOptions, TrustOption } from './open-options';
export type { Attachment, AttachmentLanguage, AttachmentRole } from './attachment';
export type {
  CommitOptions,
  CommitPatchOptions,
  DeltaRead,
  PatchesRead,
  RingInfo,
  SegmentCreateOptions,
  SegmentOpenWaitOptions,
  SegmentStats,
  WatchHandle,
  WatchListener,
} from './segment';
export { ShmStateError } from './shm-state-error';
export { ERROR_CODES } from './error-codes';
export type { ShmStateErrorCode } from './error-codes';
export { LIMITS } from './limits';
