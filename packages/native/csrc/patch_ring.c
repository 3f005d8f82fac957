/*
 * The patch ring: a segment created with ring_entries > 0 keeps the patches of its recent
 * commits, so that a reader holding version v reaches w by applying the patches v+1..w,
 * and a writer need not rewrite the full state on every commit. docs/protocol.md ("The
 * patch ring") gives every byte and step, docs/concurrency.md the argument.
 *
 * The invariant: the slot current_slot names holds the full state at a checkpoint version
 * c <= the published version V, and the ring holds every patch c+1..V (the entry for
 * version v at index v mod N). A patch commit keeps it by writing its entry only when that
 * entry overwrites a patch at or below c (n - c <= N), before it publishes the version, and
 * by writing a checkpoint (the full state) whenever the next entry could not be written
 * that way or the patches since c grow past the budget.
 *
 * Entries are records like the slots (layout.h), written and copied by seqlock.c.
 */
#include <inttypes.h>
#include <string.h>

#include "crc32c.h"
#include "internal.h"

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

uint64_t shmstate_ring_delta_bytes_max(const shmstate_segment* seg) {
  uint64_t patch_max = shmstate_ring_patch_max(seg);
  return max_u64(seg->capacity, patch_max) + patch_max;
}

int shmstate_ring_open(shmstate_segment* seg, const unsigned char* base, shmstate_error* err) {
  if (seg->ring_size == 0) return SHMSTATE_OK; /* no ring */
  /* A private copy, read once: the shared bytes could change under the checks. The region
   * was checked to lie in the file and to hold at least the ring header. */
  shmstate_ring_header ring;
  memcpy(&ring, base + seg->ring_offset, sizeof ring);
  uint32_t count = ring.entry_count, stride = ring.entry_stride;
  if (count < SHMSTATE_RING_ENTRIES_MIN || count > SHMSTATE_RING_ENTRIES_MAX) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has ring entry_count %" PRIu32 "; it must be in [%u, %u]",
                         seg->name, count, SHMSTATE_RING_ENTRIES_MIN, SHMSTATE_RING_ENTRIES_MAX);
  }
  if (stride % 64 != 0 || stride < SHMSTATE_RING_ENTRY_MIN) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has ring entry_stride %" PRIu32
                         "; it must be a multiple of 64 and at least %u",
                         seg->name, stride, SHMSTATE_RING_ENTRY_MIN);
  }
  /* Written as a division so that no product can overflow. */
  uint64_t room = seg->ring_size - SHMSTATE_RING_HEADER_SIZE;
  if (count > room / stride) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has a PATCH_RING region of %" PRIu64 " bytes; its %" PRIu32
                         " entries of %" PRIu32 " bytes need %" PRIu64,
                         seg->name, seg->ring_size, count, stride,
                         SHMSTATE_RING_HEADER_SIZE + (uint64_t)count * stride);
  }
  seg->ring_entries = count;
  seg->ring_stride = stride;
  return SHMSTATE_OK;
}

void shmstate_ring_init(shmstate_segment* seg, uint64_t state_length) {
  shmstate_ring_header* ring = shmstate_ring(seg);
  ring->entry_count = seg->ring_entries;
  ring->entry_stride = seg->ring_stride;
  atomic_store_explicit(&ring->state_length, state_length, memory_order_relaxed);
  atomic_store_explicit(&ring->patch_bytes, 0, memory_order_relaxed);
}

void shmstate_ring_note_checkpoint(shmstate_segment* seg, uint64_t state_length) {
  shmstate_ring_header* ring = shmstate_ring(seg);
  /* Relaxed: writer-side words, read and written under the lock only. */
  atomic_store_explicit(&ring->patch_bytes, 0, memory_order_relaxed);
  atomic_store_explicit(&ring->state_length, state_length, memory_order_relaxed);
}

void shmstate_segment_ring_info(const shmstate_segment* seg, shmstate_ring_info* out) {
  memset(out, 0, sizeof *out);
  if (!shmstate_has_ring(seg)) return;
  out->entries = seg->ring_entries;
  out->patch_max = shmstate_ring_patch_max(seg);
  out->delta_bytes_max = shmstate_ring_delta_bytes_max(seg);
}

/* ---- the checkpoint policy ---- */

/* How a patch commit of version `next` stores its pieces. */
typedef struct ring_plan {
  int entry;          /* store the patch in entry `next` before publishing (order "entry") */
  int checkpoint_due; /* the full state at `next` must be written too */
  const char* why;    /* the reason a checkpoint is due, for messages */
} ring_plan;

/*
 * The policy, from the writer-side state: the checkpoint c (the version of the slot
 * current_slot names), patch_bytes, and the patch. Under the lock it is exact; without it
 * (shmstate_segment_patch_plan) it is exact as long as no commit lands meanwhile.
 *
 * The entry for `next` overwrites the one for next - N. It may be written before the
 * publish only if that one is at or below c (next - c <= N), and only while the patches
 * since c are within the budget B = max(capacity, patch_max), so that a fresh read never
 * finds more than B + patch_max bytes of them. A checkpoint is due when the patch does not
 * fit an entry, when the entry cannot be written first, when the ring is then full since c
 * (next - c >= N: the next commit's entry would overwrite patch c + 1), or when the patches
 * since c would exceed max(state_length_after, patch_max).
 */
static ring_plan plan_for(const shmstate_segment* seg, uint64_t next, size_t patch_len,
                          uint64_t state_length_after) {
  const shmstate_header* hdr = seg->hdr;
  const shmstate_ring_header* ring = shmstate_ring(seg);
  uint64_t patch_max = shmstate_ring_patch_max(seg);
  uint64_t entries = seg->ring_entries;
  /* Masked, as the writer does: a scribbled index must not steer a load out of the slots. */
  unsigned index = atomic_load_explicit(&hdr->current_slot, memory_order_acquire) & 1u;
  const shmstate_slot_header* slot = shmstate_slot(seg, index);
  uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
  uint64_t checkpoint = atomic_load_explicit(&slot->version, memory_order_relaxed);
  uint64_t patch_bytes = atomic_load_explicit(&ring->patch_bytes, memory_order_relaxed);
  /* An odd seq or a checkpoint not below `next`: the named slot is no checkpoint (damage);
   * only a fresh checkpoint restores the invariant. */
  int have_checkpoint = (seq & 1) == 0 && checkpoint < next;
  uint64_t behind = have_checkpoint ? next - checkpoint : UINT64_MAX;
  uint64_t budget_cap = max_u64(seg->capacity, patch_max);
  ring_plan plan = {0, 0, NULL};
  if (patch_len > patch_max) {
    plan.why = "the patch does not fit a ring entry";
  } else if (!have_checkpoint) {
    plan.why = "the current slot holds no checkpoint below the next version";
  } else if (behind > entries) {
    plan.why = "the ring is overdue for a checkpoint (a writer died before writing it)";
  } else if (patch_bytes > budget_cap) {
    plan.why =
        "the patches since the checkpoint are over their budget (a writer died before "
        "writing the checkpoint)";
  } else {
    plan.entry = 1;
    if (behind >= entries) {
      plan.why = "the ring is full since the checkpoint";
    } else if (patch_bytes + patch_len > max_u64(state_length_after, patch_max)) {
      plan.why = "the patches since the checkpoint would outgrow the state";
    }
  }
  plan.checkpoint_due = plan.why != NULL;
  return plan;
}

/* Checks shared by the plan and the commit; `state_length` is the state after the patch. */
static int check_patch_args(const shmstate_segment* seg, const void* patch, size_t patch_len,
                            uint64_t state_length, uint64_t expected_version, shmstate_error* err) {
  if (!shmstate_has_ring(seg)) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "segment \"%s\" has no patch ring; commit whole states "
                         "(shmstate_segment_commit)",
                         seg->name);
  }
  if (patch == NULL && patch_len > 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "patch is NULL but %zu bytes long", patch_len);
  }
  if (expected_version == 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "expected version is 0; a patch applies to one version, so a patch "
                         "commit names it");
  }
  if (state_length > seg->capacity) {
    return shmstate_fail(err, SHMSTATE_E_CAPACITY, 0,
                         "state after the patch is %" PRIu64 " bytes; capacity is %" PRIu64
                         ": a patch that would make the state larger than the capacity is "
                         "refused, so that a checkpoint can always be written",
                         state_length, seg->capacity);
  }
  return SHMSTATE_OK;
}

static int fail_last_version(const shmstate_segment* seg, shmstate_error* err) {
  return shmstate_fail(err, SHMSTATE_E_LIMIT, 0,
                       "segment \"%s\" has published version 2^64-1; no version can follow it",
                       seg->name);
}

int shmstate_segment_patch_plan(shmstate_segment* seg, uint64_t expected_version, size_t patch_len,
                                uint64_t state_length_after, int* checkpoint_due,
                                shmstate_error* err) {
  if (checkpoint_due == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "checkpoint_due is NULL");
  }
  /* The patch's bytes are not needed to plan, only its length: any non-NULL stands in. */
  int rc = check_patch_args(seg, "", patch_len, state_length_after, expected_version, err);
  if (rc != SHMSTATE_OK) return rc;
  /* Under the writer lock: a commit publishes its version before it updates patch_bytes and
   * the checkpoint, so without the lock a plan could pair the new version with the old
   * figures and say "no checkpoint" where the commit, at the same version, finds one due.
   * With it, the plan sees a finished commit (or a recovered one), and stays exact for as
   * long as the version does not move. */
  rc = shmstate_writer_lock(seg, err);
  if (rc != SHMSTATE_OK) return rc;
  uint64_t current = atomic_load_explicit(&seg->hdr->version, memory_order_relaxed);
  if (current != expected_version) {
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_CONFLICT, 0,
                         "expected version %" PRIu64 " but the current version is %" PRIu64,
                         expected_version, current);
  }
  if (current == UINT64_MAX) {
    shmstate_writer_unlock(seg);
    return fail_last_version(seg, err);
  }
  *checkpoint_due = plan_for(seg, current + 1, patch_len, state_length_after).checkpoint_due;
  shmstate_writer_unlock(seg);
  return shmstate_ok(err);
}

/* ---- the patch commit ---- */

int shmstate_segment_commit_patch(shmstate_segment* seg, const void* patch, size_t patch_len,
                                  const void* state, size_t state_len, uint64_t expected_version,
                                  uint64_t* out_version, shmstate_error* err) {
  return shmstate_commit_patch_kind(seg, patch, patch_len, state, state_len, expected_version,
                                    SHMSTATE_COMMIT_ORDINARY, out_version, err);
}

int shmstate_commit_patch_kind(shmstate_segment* seg, const void* patch, size_t patch_len,
                               const void* state, size_t state_len, uint64_t expected_version,
                               shmstate_commit_kind kind, uint64_t* out_version,
                               shmstate_error* err) {
  /* With a state, its length is the state's length after the patch; without, state_len is
   * the caller's tracked length. Either way it must fit the capacity. */
  int rc = check_patch_args(seg, patch, patch_len, state_len, expected_version, err);
  if (rc != SHMSTATE_OK) return rc;
  uint64_t current;
  rc = shmstate_commit_begin(seg, expected_version, &current, kind, err);
  if (rc != SHMSTATE_OK) return rc;
  if (current == UINT64_MAX) {
    shmstate_writer_unlock(seg);
    return fail_last_version(seg, err);
  }
  uint64_t next = current + 1;
  ring_plan plan = plan_for(seg, next, patch_len, state_len);
  if (plan.checkpoint_due && state == NULL) {
    shmstate_writer_unlock(seg);
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "a checkpoint is due at version %" PRIu64
                         " (%s): pass the full state after the patch",
                         next, plan.why);
  }
  shmstate_ring_header* ring = shmstate_ring(seg);
  unsigned other = (atomic_load_explicit(&seg->hdr->current_slot, memory_order_relaxed) & 1u) ^ 1u;
  if (plan.entry) {
    /* No slot carries `next` until the checkpoint (if any) writes one: a slot that claims
     * it must not be what a reader falls back to. Then the entry: it overwrites a patch at
     * or below the checkpoint, which no reader of the published version needs. Then the
     * version: from here readers read the checkpoint and the patches up to `next`. */
    shmstate_record_forget(seg, shmstate_slot(seg, other), current, next);
    shmstate_record_write(seg, shmstate_ring_entry(seg, next), next, patch, patch_len,
                          SHMSTATE_CRASH_ENTRY_SEQ_ODD);
    shmstate_publish_version(seg, next);
    SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_PATCH_VERSION);
    if (state != NULL) {
      /* The checkpoint: the slot current_slot does not name, then the index. Readers that
       * loaded the old index still find every patch up to `next` in the ring. */
      shmstate_record_write(seg, shmstate_slot(seg, other), next, state, state_len,
                            SHMSTATE_CRASH_CHECKPOINT_SEQ_ODD);
      shmstate_publish_slot(seg, other);
      SHMSTATE_CRASH_POINT(seg, SHMSTATE_CRASH_AFTER_CHECKPOINT_INDEX);
      shmstate_ring_note_checkpoint(seg, state_len);
    } else {
      atomic_fetch_add_explicit(&ring->patch_bytes, patch_len, memory_order_relaxed);
      atomic_store_explicit(&ring->state_length, state_len, memory_order_relaxed);
    }
  } else {
    /* No entry (the patch does not fit one, or writing it first would lose a patch after
     * the checkpoint): a checkpoint in the plain order, the patch dropped. state != NULL:
     * a checkpoint is due whenever the entry cannot be written. */
    shmstate_commit_plain(seg, current, next, state, state_len);
  }
  shmstate_commit_end(seg);
  if (out_version != NULL) *out_version = next;
  return shmstate_ok(err);
}

/* ---- reads ---- */

int shmstate_ring_copy_entries(const shmstate_segment* seg, uint64_t first, uint64_t last,
                               shmstate_patch_buffer* pb, shmstate_entries_stop* stop,
                               shmstate_error* err) {
  uint64_t patch_max = shmstate_ring_patch_max(seg);
  unsigned char* bytes = pb->bytes;
  stop->result = SHMSTATE_ENTRIES_OK;
  for (uint64_t v = first; v >= first && v <= last; v++) {
    stop->wanted = v;
    if (pb->count == pb->entries_cap) {
      stop->result = SHMSTATE_ENTRIES_FULL;
      stop->found = 0;
      return SHMSTATE_OK;
    }
    size_t room = pb->bytes_cap - pb->used;
    size_t limit = (size_t)(room < patch_max ? room : patch_max);
    shmstate_record_copy got;
    shmstate_copy_result r =
        shmstate_record_copy_out(shmstate_ring_entry(seg, v), v, v, limit, bytes + pb->used, &got);
    if (r == SHMSTATE_COPY_WRITER_IN) {
      stop->result = SHMSTATE_ENTRIES_WRITER_IN;
      return SHMSTATE_OK;
    }
    if (r == SHMSTATE_COPY_OVERTAKEN) {
      stop->result = SHMSTATE_ENTRIES_OVERTAKEN;
      return SHMSTATE_OK;
    }
    if (got.version != v) {
      /* Overwritten by a later lap, cleared, or never written (a checkpoint without an
       * entry): not the patch that leads to v. */
      stop->result = SHMSTATE_ENTRIES_MISSING;
      stop->found = got.version;
      return SHMSTATE_OK;
    }
    /* Consistent and of the right version: the published patch. A bad field is damage. */
    if (got.length > patch_max) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "ring entry for version %" PRIu64 " has length %" PRIu64
                           "; an entry holds at most %" PRIu64,
                           v, got.length, patch_max);
    }
    if (got.length > room) {
      stop->result = SHMSTATE_ENTRIES_FULL;
      stop->found = got.length;
      return SHMSTATE_OK;
    }
    uint32_t computed = shmstate_crc32c(bytes + pb->used, got.copied);
    if (computed != got.checksum) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "checksum mismatch in the ring entry for version %" PRIu64
                           ": stored 0x%08" PRIx32 ", patch sums to 0x%08" PRIx32,
                           v, got.checksum, computed);
    }
    shmstate_patch* entry = &pb->entries[pb->count++];
    entry->version = v;
    entry->offset = pb->used;
    entry->length = got.copied;
    pb->used += got.copied;
  }
  return SHMSTATE_OK;
}

int shmstate_segment_read_patches(shmstate_segment* seg, uint64_t from_version,
                                  shmstate_patch_buffer* patches, uint64_t* out_version,
                                  int* need_full, shmstate_error* err) {
  if (patches == NULL || need_full == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "patches or need_full is NULL");
  }
  patches->count = 0;
  patches->used = 0;
  *need_full = 0;
  (void)shmstate_segment_check_soon(seg, NULL); /* as in shmstate_segment_read */
  if (shmstate_has_ring(seg)) {
    uint64_t patch_max = shmstate_ring_patch_max(seg);
    if (patches->bytes == NULL || patches->bytes_cap < patch_max || patches->entries == NULL ||
        patches->entries_cap < 1) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "patch buffer is %zu bytes for %zu entries; a catch-up read needs "
                           "room for one patch of %" PRIu64 " bytes",
                           patches->bytes == NULL ? (size_t)0 : patches->bytes_cap,
                           patches->entries == NULL ? (size_t)0 : patches->entries_cap, patch_max);
    }
  }
  /* Pairs with the writer's release store of the version, made after it wrote the entry
   * for it: every entry up to this version is whole, unless a later lap overwrote it (then
   * its seq or version says so). */
  uint64_t version = atomic_load_explicit(&seg->hdr->version, memory_order_acquire);
  if (version == 0) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" publishes version 0; versions start at 1", seg->name);
  }
  if (from_version > version) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "from version %" PRIu64 " is above the published version %" PRIu64
                         ": it was not read from this store",
                         from_version, version);
  }
  if (out_version != NULL) *out_version = from_version;
  if (from_version == version) return shmstate_ok(err);
  if (!shmstate_has_ring(seg) || version - from_version > seg->ring_entries) {
    *need_full = 1;
    return shmstate_ok(err);
  }
  shmstate_entries_stop stop;
  int rc = shmstate_ring_copy_entries(seg, from_version + 1, version, patches, &stop, err);
  if (rc != SHMSTATE_OK) return rc;
  if (stop.result != SHMSTATE_ENTRIES_OK && stop.result != SHMSTATE_ENTRIES_FULL) {
    /* Written over, being written over, or never written: a fresh read is the way on. A
     * patch inside the checkpoint's range is never in that state while it is needed, so
     * there is nothing to wait for. */
    patches->count = 0;
    patches->used = 0;
    *need_full = 1;
    return shmstate_ok(err);
  }
  /* FULL after at least one patch (the buffer holds one of any size): the caller goes on
   * from the last one returned. */
  if (out_version != NULL) *out_version = from_version + patches->count;
  return shmstate_ok(err);
}

/* ---- recovery ---- */

/* Lock held, after a dead writer: recount patch_bytes, which the dead writer may not have
 * updated (it died after publishing its patch): the sum of the entries after the
 * checkpoint, or "over budget" (forcing a checkpoint) if they are not all there. What it
 * wrote and did not publish needs nothing here: the next commit forgets or rewrites it
 * (shmstate_record_forget). */
void shmstate_ring_recover(shmstate_segment* seg) {
  if (!shmstate_has_ring(seg)) return;
  shmstate_header* hdr = seg->hdr;
  shmstate_ring_header* ring = shmstate_ring(seg);
  uint64_t version = atomic_load_explicit(&hdr->version, memory_order_relaxed);
  unsigned index = atomic_load_explicit(&hdr->current_slot, memory_order_relaxed) & 1u;
  const shmstate_slot_header* slot = shmstate_slot(seg, index);
  uint64_t checkpoint = atomic_load_explicit(&slot->version, memory_order_relaxed);
  uint64_t sum = UINT64_MAX;
  if ((atomic_load_explicit(&slot->seq, memory_order_relaxed) & 1) == 0 && checkpoint <= version &&
      version - checkpoint <= seg->ring_entries) {
    sum = 0;
    for (uint64_t v = checkpoint + 1; v > checkpoint && v <= version; v++) {
      const shmstate_record_header* entry = shmstate_ring_entry(seg, v);
      if ((atomic_load_explicit(&entry->seq, memory_order_relaxed) & 1) != 0 ||
          atomic_load_explicit(&entry->version, memory_order_relaxed) != v) {
        sum = UINT64_MAX;
        break;
      }
      uint64_t length = atomic_load_explicit(&entry->length, memory_order_relaxed);
      if (length > shmstate_ring_patch_max(seg)) {
        sum = UINT64_MAX;
        break;
      }
      sum += length;
    }
    if (checkpoint == version) {
      atomic_store_explicit(&ring->state_length,
                            atomic_load_explicit(&slot->length, memory_order_relaxed),
                            memory_order_relaxed);
    }
  }
  atomic_store_explicit(&ring->patch_bytes, sum, memory_order_relaxed);
}
