/* The patch-ring workload of the crash tests (test_crash.c, test_crash_many.c): patches
 * whose bytes follow from (version, token), the kinds of commit a ring writer makes, and
 * the reads a ring reader makes. Each test builds its own states and keeps its own log; the
 * checks here return what is wrong rather than recording it. */
#ifndef SHMSTATE_TEST_RING_WORKLOAD_H
#define SHMSTATE_TEST_RING_WORKLOAD_H

#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "shmstate.h"

#define RING_ENTRIES 8u
#define RING_PATCH_MAX 192u     /* entry stride 256 */
#define RING_BIG_PATCH_LEN 250u /* more than an entry holds */

/* What a ring commit is. */
typedef enum ring_kind {
  RING_PATCH,       /* a patch; the state only if the plan says a checkpoint is due */
  RING_PATCH_STATE, /* a patch and the state: a checkpoint after the entry */
  RING_BIG_PATCH,   /* a patch too large for an entry: a checkpoint without one */
  RING_PLAIN,       /* a plain commit: a checkpoint without an entry */
  RING_KINDS
} ring_kind;

/* A segment of `capacity` with the workload's ring (or none when `ring` is 0). */
static inline int ring_workload_create(const char* name, uint64_t capacity, int ring,
                                       shmstate_segment** out, shmstate_error* err) {
  shmstate_create_options opts = {0};
  opts.capacity = capacity;
  opts.initial_version = 1;
  if (ring) {
    opts.ring_entries = RING_ENTRIES;
    opts.ring_patch_max = RING_PATCH_MAX;
  }
  return shmstate_segment_create_with(name, &opts, NULL, 0, out, err);
}

/* Patch for (version, token): word 0 the version, word 1 the token, then words derived from
 * both (unlike any state's); at most RING_PATCH_MAX bytes, or RING_BIG_PATCH_LEN when `big`. */
static inline size_t ring_build_patch(unsigned char* buf, uint64_t version, uint32_t token,
                                      int big) {
  size_t len = big ? RING_BIG_PATCH_LEN : 16 + (size_t)(version % 23) * 8;
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = i == 0 ? version : i == 1 ? token : ~(version * 131 + token * 7 + i);
    memcpy(buf + i * 8, &w, len - i * 8 >= 8 ? 8 : len - i * 8);
  }
  return len;
}

/* NULL if `buf` is a patch built for `version` (its token in *token), else what is wrong. */
static inline const char* ring_check_patch(const unsigned char* buf, size_t len, uint64_t version,
                                           uint32_t* token) {
  unsigned char want[RING_BIG_PATCH_LEN];
  uint64_t w0 = 0, w1 = 0;
  if (len < 16) return "patch too short";
  memcpy(&w0, buf, 8);
  memcpy(&w1, buf + 8, 8);
  if (w0 != version) return "patch belongs to another version (stale entry)";
  if (ring_build_patch(want, version, (uint32_t)w1, 0) != len || memcmp(want, buf, len) != 0) {
    return "patch is not the one built for its version (torn entry)";
  }
  *token = (uint32_t)w1;
  return NULL;
}

/* Commits `kind` as current + 1 with compare-and-set against `current`; `state` is the full
 * state at current + 1, used by checkpoints (and by a patch whose plan says one is due). */
static inline int ring_commit(shmstate_segment* seg, uint64_t current, uint32_t token,
                              ring_kind kind, const unsigned char* state, size_t state_len,
                              uint64_t* out, shmstate_error* err) {
  unsigned char patch[RING_BIG_PATCH_LEN];
  if (kind == RING_PLAIN) return shmstate_segment_commit(seg, state, state_len, current, out, err);
  size_t patch_len = ring_build_patch(patch, current + 1, token, kind == RING_BIG_PATCH);
  int with_state = kind != RING_PATCH, due = 0;
  if (!with_state) {
    int rc = shmstate_segment_patch_plan(seg, current, patch_len, state_len, &due, err);
    if (rc != SHMSTATE_OK) return rc;
    with_state = due;
  }
  int rc = shmstate_segment_commit_patch(seg, patch, patch_len, with_state ? state : NULL,
                                         state_len, current, out, err);
  if (rc == SHMSTATE_E_INVALID && !with_state) {
    /* The lock's recovery after a dead writer can make a checkpoint due that the plan did
     * not see: the caller encodes the state and commits again. */
    rc = shmstate_segment_commit_patch(seg, patch, patch_len, state, state_len, current, out, err);
  }
  return rc;
}

/* The kind of commit that passes crash point `step` (internal.h), `variant` choosing
 * between the kinds that do. A patch commit passes the entry and checkpoint steps only when
 * its entry is safe to write: see ring_room_for. */
static inline ring_kind ring_kind_for_step(int step, int variant) {
  if (step >= SHMSTATE_CRASH_AFTER_SEQ_ODD && step <= SHMSTATE_CRASH_AFTER_PUBLISH) {
    return variant % 2 ? RING_PLAIN : RING_BIG_PATCH; /* the plain order */
  }
  if (step >= SHMSTATE_CRASH_CHECKPOINT_SEQ_ODD ||
      (step == SHMSTATE_CRASH_AFTER_PATCH_VERSION && variant % 2)) {
    return RING_PATCH_STATE;
  }
  return RING_PATCH;
}

/* Whether `patches` more patch commits write their entries first (the ring has room since
 * the checkpoint, and no overdue checkpoint is pending); if not, the caller commits a plain
 * checkpoint first. The workload's patches are small, so the byte budget never forbids it. */
static inline int ring_room_for(shmstate_segment* seg, int patches) {
  shmstate_stats st;
  shmstate_error err;
  if (shmstate_segment_stats(seg, &st, &err) != SHMSTATE_OK) return 0;
  return st.version - st.checkpoint_version + (uint64_t)patches <= RING_ENTRIES;
}

/* A reader's buffers: a state of up to `capacity` bytes and a fresh read's patches. */
typedef struct ring_reader {
  unsigned char state[4096];
  size_t len;
  uint64_t checkpoint;
  unsigned char bytes[4096 + RING_PATCH_MAX];
  shmstate_patch entries[RING_ENTRIES];
  shmstate_patch_buffer pb;
} ring_reader;

/* A fresh read (capacity <= 4096). */
static inline int ring_fresh_read(shmstate_segment* seg, ring_reader* rr, uint64_t* version,
                                  shmstate_error* err) {
  rr->pb = (shmstate_patch_buffer){rr->bytes, sizeof rr->bytes, rr->entries, RING_ENTRIES, 0, 0};
  return shmstate_segment_read_delta(seg, rr->state, sizeof rr->state, &rr->len, &rr->checkpoint,
                                     &rr->pb, version, err);
}

/* A catch-up read from `from` into a buffer of `bytes_cap` bytes (prefixes when small). */
static inline int ring_catch_up(shmstate_segment* seg, ring_reader* rr, uint64_t from,
                                size_t bytes_cap, uint64_t* version, int* need_full,
                                shmstate_error* err) {
  rr->pb = (shmstate_patch_buffer){rr->bytes, bytes_cap, rr->entries, RING_ENTRIES, 0, 0};
  return shmstate_segment_read_patches(seg, from, &rr->pb, version, need_full, err);
}

#endif /* SHMSTATE_TEST_RING_WORKLOAD_H */
