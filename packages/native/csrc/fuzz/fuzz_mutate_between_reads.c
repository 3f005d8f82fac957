/*
 * Fuzz target: a valid segment, a writer handle and a reader handle, and a program of
 * steps the fuzzer writes: scribble on the shared bytes (as a buggy writer or a stray
 * pointer would), read, commit, reopen, wait. Mutations land between the reader's steps.
 *
 * Input: byte 0 picks the capacity (64 + 16 * b) and, when odd, a patch ring (3 entries of
 * up to 128 bytes); then steps of an opcode byte and its operands (the opcode taken modulo
 * 16):
 *   0 off16 val8     store one byte at off (never in the writer lock's bytes 512..575)
 *   1 off16 val64    store 8 bytes at off rounded down to 8 (same exclusion)
 *   2                read through the reader handle
 *   3 len8           commit len * 17 bytes (clamped to the capacity) through the writer
 *   4                open a third handle by name, read through it, close it (skipped while
 *                    the magic is 0: the opener would wait out a creator's 500 ms)
 *   5                wait with a zero timeout through the reader handle
 *   6 jump8 len8     commit len * 17 bytes at the published version + 1 + jump
 *                    (shmstate_segment_commit_at; saturating at 2^64-1)
 *   7                reseal the header checksum over whatever the pokes left in bytes
 *                    8..507, so that a reopen gets to the feature and region table checks
 *   8 len8 flags8    commit a patch of len * 3 bytes (some too large for an entry) through
 *                    the writer, with the full state when the plan says a checkpoint is due
 *                    or flags bit 0 asks for one; then read it back by catching up from the
 *                    version before and by a fresh read (no ring: E_INVALID, nothing else)
 *   9                a fresh read (checkpoint plus patches) through the reader handle
 *   10 back8         a catch-up read from the published version - back, room for 1 + back % 4
 *                    patches
 *   11 entry8 field8 val64   store into a ring entry's header (entry modulo 3; field modulo 4:
 *                    seq, version, length, checksum), as a stray writer would
 *   12..15           nothing
 * Offsets cover the whole segment: the header's fixed part and region table, the published
 * version and slot index (576, 584), the doorbell table and both slots.
 * The writer lock is left alone because writers are trusted (docs/reliability.md): a
 * scribbled pthread mutex is undefined behaviour in libc, not something a reader meets.
 *
 * Properties: reads give OK, E_CORRUPT or E_BUSY (E_INVALID for a whole-state read of a ring
 * whose checkpoint lags), never a crash, UB or a hang; fresh reads join their checkpoint to
 * their version and catch-up reads return patches in order or "need full"; a commit
 * succeeds and repairs what it writes (a scribbled or lagging slot index included): a read
 * right after it returns exactly the committed bytes under the new version (unless the
 * published version is 2^64-1, when a commit is refused with E_LIMIT and a commit at a
 * version with E_CONFLICT: versions never wrap nor go backwards; or when a scribble set the
 * mirror flag, when every commit is refused with E_MIRROR and changes nothing); a patch
 * commit is read back exactly, as the one patch after the version before it or, if it was
 * a checkpoint without an entry, as the state of a fresh read; reopening gives OK,
 * E_CORRUPT or E_VERSION.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "internal.h"

/* A scribbled odd seq in the current slot makes each read wait out its patience (yielding)
 * before it says E_CORRUPT: a few reads per input keep inputs fast. */
#define MAX_READS 4
/* The writer lock's bytes, which no poke touches. */
#define LOCK_AT offsetof(shmstate_header, writer_lock)
#define LOCK_END (LOCK_AT + sizeof(((shmstate_header*)0)->writer_lock))

typedef struct cursor {
  const uint8_t* data;
  size_t size, at;
} cursor;

static int take(cursor* c, void* out, size_t n) {
  if (c->size - c->at < n) return 0;
  memcpy(out, c->data + c->at, n);
  c->at += n;
  return 1;
}

/* Offsets land anywhere in the segment but the writer lock's cache line. */
static size_t poke_offset(uint16_t raw, size_t size, size_t width) {
  size_t at = raw % (size - width + 1);
  if (at + width > LOCK_AT && at < LOCK_END) at = LOCK_END + (at % 64);
  return at;
}

/* Commits `len` bytes (as the next version, or at the published version + `jump` when
 * `jump` is not 0) and reads them back through the other handle. */
static void commit_and_read_back(shmstate_segment* writer, shmstate_segment* reader, size_t len,
                                 uint64_t jump, unsigned char* payload, unsigned char* buf,
                                 size_t cap) {
  static uint32_t serial;
  serial++;
  for (size_t i = 0; i < len; i++) payload[i] = (unsigned char)('a' + (i + serial) % 26);
  shmstate_error err;
  uint64_t version = 0, current = shmstate_segment_version(writer);
  int rc;
  /* A scribble that set the mirror flag: every ordinary commit is refused, nothing written. */
  int mirror = mirror_flag((const unsigned char*)writer->base);
  if (jump == 0) {
    rc = shmstate_segment_commit(writer, payload, len, 0, &version, &err);
    if (rc == SHMSTATE_E_LIMIT && current == UINT64_MAX) return;
  } else {
    uint64_t target = current > UINT64_MAX - jump ? UINT64_MAX : current + jump;
    rc = shmstate_segment_commit_at(writer, payload, len, 0, target, &version, &err);
    if (rc == SHMSTATE_E_CONFLICT && current == UINT64_MAX) return;
    if (rc == SHMSTATE_OK && version != target) abort();
  }
  if (mirror && rc == SHMSTATE_E_MIRROR && shmstate_segment_version(writer) == current) return;
  /* Retired: the flag scribbled on, or the name gone (a reopen removed the store), which
   * the commit's check turned into the flag. Refused, as documented. */
  if (rc == SHMSTATE_E_RETIRED && shmstate_segment_retired(writer)) return;
  if (rc != SHMSTATE_OK) {
    fprintf(stderr, "commit gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
  size_t got_len = 0;
  uint64_t got_version = 0;
  rc = shmstate_segment_read(reader, buf, cap, &got_len, &got_version, &err);
  if (rc != SHMSTATE_OK || got_version != version || got_len != len ||
      memcmp(buf, payload, len) != 0) {
    fprintf(stderr, "read after commit %llu gave %s (v%llu, %zu bytes): %s\n",
            (unsigned long long)version, shmstate_code_name(rc), (unsigned long long)got_version,
            got_len, err.message);
    abort();
  }
}

#define RING_ENTRIES 3u
#define RING_PATCH_MAX 100u /* an entry holds 128 */

/* Commits a patch of `len` bytes on top of the published version (with the state when the
 * plan says a checkpoint is due, or when `voluntary`) and reads it back: by catching up
 * from the version before (the patch itself, unless the commit stored no entry) and by a
 * fresh read (the state, if the catch-up found no entry). */
static void patch_and_read_back(shmstate_segment* writer, shmstate_segment* reader, size_t len,
                                int voluntary, size_t cap) {
  static uint32_t serial;
  serial++;
  unsigned char patch[255 * 3], *state = malloc(cap);
  if (state == NULL) return;
  for (size_t i = 0; i < len; i++) patch[i] = (unsigned char)('A' + (i + serial) % 26);
  size_t state_len = (serial * 7) % (cap + 1);
  for (size_t i = 0; i < state_len; i++) state[i] = (unsigned char)('a' + (i * serial) % 26);
  shmstate_error err;
  uint64_t current = shmstate_segment_version(writer), version = 0;
  int due = 0;
  int rc = shmstate_segment_patch_plan(writer, current, len, state_len, &due, &err);
  if (rc == SHMSTATE_OK) {
    rc = shmstate_segment_commit_patch(writer, patch, len, due || voluntary ? state : NULL,
                                       state_len, current, &version, &err);
  }
  shmstate_ring_info info;
  shmstate_segment_ring_info(writer, &info);
  if (rc == SHMSTATE_E_MIRROR && mirror_flag((const unsigned char*)writer->base) &&
      shmstate_segment_version(writer) == current) {
    free(state); /* a scribbled mirror flag: the patch is refused, nothing written */
    return;
  }
  /* Refused: without a ring; after version 2^64-1; on a version poked to 0, which no patch
   * can name as the one it applies to. */
  if (info.entries == 0 || current == 0 || current == UINT64_MAX) {
    if (rc != (info.entries == 0 || current == 0 ? SHMSTATE_E_INVALID : SHMSTATE_E_LIMIT)) {
      fprintf(stderr, "patch commit at %llu gave %s: %s\n", (unsigned long long)current,
              shmstate_code_name(rc), err.message);
      abort();
    }
    free(state);
    return;
  }
  if (rc == SHMSTATE_E_RETIRED && shmstate_segment_retired(writer)) { /* as for a commit */
    free(state);
    return;
  }
  if (rc != SHMSTATE_OK || version != current + 1) {
    fprintf(stderr, "patch commit gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
  unsigned char bytes[128];
  shmstate_patch entry;
  shmstate_patch_buffer pb = {bytes, sizeof bytes, &entry, 1, 0, 0};
  int need_full = -1;
  uint64_t got = 0;
  rc = shmstate_segment_read_patches(reader, current, &pb, &got, &need_full, &err);
  if (rc != SHMSTATE_OK ||
      (!need_full && (got != version || pb.count != 1 || entry.length != len ||
                      memcmp(bytes, patch, len) != 0)) ||
      (need_full && (len <= info.patch_max && !due))) {
    fprintf(stderr, "catch-up after patch %llu gave %s (need_full %d, %zu patches): %s\n",
            (unsigned long long)version, shmstate_code_name(rc), need_full, pb.count, err.message);
    abort();
  }
  if (need_full) {
    /* A checkpoint without an entry: the fresh read is the state, just written. */
    unsigned char* buf = malloc(cap);
    shmstate_patch entries[RING_ENTRIES];
    unsigned char* more = malloc(info.delta_bytes_max);
    shmstate_patch_buffer all = {more, info.delta_bytes_max, entries, RING_ENTRIES, 0, 0};
    size_t got_len = 0;
    uint64_t checkpoint = 0;
    if (buf != NULL && more != NULL) {
      rc = shmstate_segment_read_delta(reader, buf, cap, &got_len, &checkpoint, &all, &got, &err);
      if (rc != SHMSTATE_OK || got != version || checkpoint != version || got_len != state_len ||
          memcmp(buf, state, state_len) != 0) {
        fprintf(stderr, "fresh read after checkpoint %llu gave %s: %s\n",
                (unsigned long long)version, shmstate_code_name(rc), err.message);
        abort();
      }
    }
    free(buf);
    free(more);
  }
  free(state);
}

/* A reopen reads the header afresh: after a poke and a reseal (op 7) it may find another
 * capacity than the writer's, consistent with the stride and regions. It must still fit
 * the file, which bounds the buffer. */
static void reopen_and_read(const char* name, size_t seg_size, const unsigned char* bytes,
                            int* removed) {
  shmstate_error err;
  shmstate_segment* third = NULL;
  int rc = shmstate_segment_open(name, &third, &err);
  if (rc == SHMSTATE_OK) {
    size_t cap = (size_t)shmstate_segment_capacity(third);
    if (cap > seg_size) abort();
    unsigned char* buf = malloc(cap);
    if (buf != NULL) fuzz_check_read(third, buf, cap);
    free(buf);
    shmstate_segment_close(third);
  } else if (rc == SHMSTATE_E_NOENT &&
             (*removed || self_cleaning_flag(bytes) || retired_flag(bytes))) {
    /* Scribbles set the self-cleaning flag and left no live entry, or set the retired flag:
     * the opener removed the store, as documented (protocol.md, "Self-cleaning",
     * "Retirement"). The name stays gone for the rest of the input, whatever later
     * scribbles do to the flags in the still-mapped bytes. */
    *removed = 1;
  } else if (rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_VERSION) {
    fprintf(stderr, "reopen gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  cursor c = {data, size, 1};
  uint64_t capacity = 64 + 16u * data[0];
  const char* name = fuzz_name("mutate");
  fuzz_remove(name);
  shmstate_error err;
  shmstate_segment *writer = NULL, *reader = NULL;
  shmstate_create_options opts = {0};
  opts.capacity = capacity;
  opts.initial_version = 1;
  if (data[0] & 1) {
    opts.ring_entries = RING_ENTRIES;
    opts.ring_patch_max = RING_PATCH_MAX;
  }
  if (shmstate_segment_create_with(name, &opts, "{}", 2, &writer, &err) != SHMSTATE_OK) abort();
  if (shmstate_segment_open(name, &reader, &err) != SHMSTATE_OK) abort();
  shmstate_segment_set_lock_timeout(writer, 50);
  unsigned char* buf = malloc(capacity);
  unsigned char* payload = malloc(capacity);
  unsigned char* bytes = writer->base; /* the shared mapping, as a scribbler sees it */
  size_t seg_size = writer->size;
  int reads = 0, removed = 0;
  uint8_t op;
  while (take(&c, &op, 1)) {
    switch (op % 16) {
      case 0: {
        uint16_t off;
        uint8_t val;
        if (!take(&c, &off, 2) || !take(&c, &val, 1)) break;
        bytes[poke_offset(off, seg_size, 1)] = val;
        break;
      }
      case 1: {
        uint16_t off;
        uint64_t val;
        if (!take(&c, &off, 2) || !take(&c, &val, 8)) break;
        size_t at = poke_offset(off, seg_size, 8) & ~(size_t)7;
        if (at >= LOCK_AT && at < LOCK_END) at = LOCK_END;
        memcpy(bytes + at, &val, 8);
        break;
      }
      case 2:
        if (reads++ < MAX_READS) fuzz_check_read(reader, buf, capacity);
        break;
      case 3: {
        uint8_t n;
        if (!take(&c, &n, 1)) break;
        size_t len = (size_t)n * 17;
        if (len > capacity) len = capacity;
        commit_and_read_back(writer, reader, len, 0, payload, buf, capacity);
        break;
      }
      case 4: {
        /* With the magic poked to 0 an opener waits 500 ms for a creator that never comes
         * (test_segment covers it): skipped, as in the segment-bytes target. */
        uint64_t magic;
        memcpy(&magic, bytes, 8);
        if (magic != 0 && reads++ < MAX_READS) reopen_and_read(name, seg_size, bytes, &removed);
        break;
      }
      case 5: {
        uint64_t seen = shmstate_segment_version(reader), now = 0;
        int rc = shmstate_segment_wait(reader, seen, 0, NULL, &now, &err);
        int retired = rc == SHMSTATE_E_RETIRED && shmstate_segment_retired(reader);
        if (rc != SHMSTATE_OK && rc != SHMSTATE_E_TIMEOUT && !retired) abort();
        break;
      }
      case 6: {
        uint8_t jump, n;
        if (!take(&c, &jump, 1) || !take(&c, &n, 1)) break;
        size_t len = (size_t)n * 17;
        if (len > capacity) len = capacity;
        commit_and_read_back(writer, reader, len, 1 + (uint64_t)jump, payload, buf, capacity);
        break;
      }
      case 7:
        fuzz_reseal_header(bytes, seg_size);
        break;
      case 8: {
        uint8_t n, flags;
        if (!take(&c, &n, 1) || !take(&c, &flags, 1)) break;
        patch_and_read_back(writer, reader, (size_t)n * 3, flags & 1, capacity);
        break;
      }
      case 9:
        if (reads++ < MAX_READS) fuzz_check_read_delta(reader);
        break;
      case 10: {
        uint8_t back;
        if (!take(&c, &back, 1)) break;
        uint64_t now = shmstate_segment_version(reader);
        if (reads++ < MAX_READS) {
          fuzz_check_read_patches(reader, now > back ? now - back : 0, 1 + back % 4u);
        }
        break;
      }
      case 11: {
        uint8_t entry, field;
        uint64_t val;
        if (!take(&c, &entry, 1) || !take(&c, &field, 1) || !take(&c, &val, 8)) break;
        if (writer->ring_entries == 0) break;
        shmstate_record_header* rec = shmstate_ring_entry(writer, entry % RING_ENTRIES);
        switch (field % 4) {
          case 0:
            atomic_store(&rec->seq, val);
            break;
          case 1:
            atomic_store(&rec->version, val);
            break;
          case 2:
            atomic_store(&rec->length, val);
            break;
          default:
            atomic_store(&rec->checksum, (uint32_t)val);
        }
        break;
      }
      default:
        break;
    }
  }
  free(buf);
  free(payload);
  shmstate_segment_close(reader);
  shmstate_segment_close(writer);
  fuzz_remove(name);
  return 0;
}
