/**
 * @shmstate/core: an RxJS store over a shmstate shared memory segment.
 *
 * @example
 * import { SharedStore } from '@shmstate/core';
 * const store = SharedStore.open<{ tick: number }>('robot');
 * store.select((s) => s.tick).subscribe((tick) => console.log(tick));
 */
export { SharedStore } from './shared-store';
export type {
  Change,
  DeepReadonly,
  JsonPatchOperation,
  JsonPatchResult,
  JsonPrimitive,
  JsonState,
  JsonValue,
  PatchOptions,
  ReopenOptions,
  SharedStoreCreateOptions,
  Snapshot,
  UpdateOptions,
  WaitForOptions,
} from './types';
export { encodeState, encodeStateText, decodeState } from './codec';
export { MAX_DEPTH } from './find-dialect-violation';
export { deepFreeze } from './deep-freeze';
export { applyJsonPatch } from './apply-json-patch';
export { immerToJsonPatch } from './immer-to-json-patch';
export { formatJsonPointer, parseJsonPointer } from './json-pointer';
export { ShmStateError, type ShmStateErrorCode } from './errors';
export type {
  Attachment,
  NotifyMechanism,
  SegmentOpenOptions,
  SegmentOpenWaitOptions,
  SegmentStats,
  TrustOption,
} from '@shmstate/native';
