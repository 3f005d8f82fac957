/*
 * Cheap accessors on an open segment: capacity, published version, name, lock timeout and
 * the writer-side statistics kept in the header (and the ring's).
 */
#include "internal.h"

uint64_t shmstate_segment_capacity(const shmstate_segment* seg) { return seg->capacity; }

uint64_t shmstate_segment_version(const shmstate_segment* seg) {
  /* Pairs with the writer's release store of the version in shmstate_segment_commit(): a
   * caller that then reads the slot sees at least this version's payload. */
  return atomic_load_explicit(&seg->hdr->version, memory_order_acquire);
}

const char* shmstate_segment_name(const shmstate_segment* seg) { return seg->name; }

uint64_t shmstate_segment_store_id(const shmstate_segment* seg) { return seg->store_id; }

void shmstate_segment_set_lock_timeout(shmstate_segment* seg, uint32_t timeout_ms) {
  atomic_store_explicit(&seg->lock_timeout_ms, timeout_ms, memory_order_relaxed);
}

int shmstate_segment_stats(shmstate_segment* seg, shmstate_stats* out, shmstate_error* err) {
  if (seg == NULL || out == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment or stats output is NULL");
  }
  const shmstate_header* hdr = seg->hdr;
  /* Relaxed: figures for inspection, each exact on its own; they are not a snapshot. */
  out->version = atomic_load_explicit(&hdr->version, memory_order_acquire);
  out->capacity = seg->capacity;
  out->commits = atomic_load_explicit(&hdr->stat_commits, memory_order_relaxed);
  out->conflicts = atomic_load_explicit(&hdr->stat_conflicts, memory_order_relaxed);
  out->lock_recoveries = atomic_load_explicit(&hdr->stat_lock_recoveries, memory_order_relaxed);
  out->waiters = atomic_load_explicit(&hdr->waiters, memory_order_relaxed);
  out->layout_version = SHMSTATE_LAYOUT_VERSION;
  out->doorbells = atomic_load_explicit(&hdr->doorbell_count, memory_order_relaxed);
  out->reserved0 = 0;
  out->doorbell_reclaims = atomic_load_explicit(&hdr->doorbell_reclaims, memory_order_relaxed);
  out->store_id = seg->store_id;
  out->flags = atomic_load_explicit(&hdr->flags, memory_order_relaxed);
  unsigned index = atomic_load_explicit(&hdr->current_slot, memory_order_acquire) & 1u;
  out->checkpoint_version =
      atomic_load_explicit(&shmstate_slot(seg, index)->version, memory_order_relaxed);
  out->ring_entries = seg->ring_entries;
  out->reserved1 = 0;
  out->ring_patch_max = shmstate_has_ring(seg) ? shmstate_ring_patch_max(seg) : 0;
  out->ring_patch_bytes =
      shmstate_has_ring(seg)
          ? atomic_load_explicit(&shmstate_ring(seg)->patch_bytes, memory_order_relaxed)
          : 0;
  out->last_commit_ns = atomic_load_explicit(&hdr->stat_last_commit_ns, memory_order_relaxed);
  shmstate_mirror_leader(seg, out->leader);
  return shmstate_ok(err);
}

#ifdef SHMSTATE_TEST_HOOKS
#include <signal.h>

/* Test builds only: make the writer die at a chosen step of its next commits. */
void shmstate_test_set_crash_step(shmstate_segment* seg, int step) { seg->test_crash_step = step; }

void shmstate_test_crash_point(const shmstate_segment* seg, int step) {
  if (seg->test_crash_step == step) raise(SIGKILL);
}
#endif
