/*
 * What the core's files share and the bindings never see: the open-segment handle, the
 * error helpers and the internal entry points between segment, seqlock, writer lock and
 * futex. Nothing here is global state: everything hangs off a shmstate_segment.
 */
#ifndef SHMSTATE_INTERNAL_H
#define SHMSTATE_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "include/shmstate.h"
#include "layout.h"

/* An open segment. The geometry fields are private copies of the header's immutable
 * fields, taken once when the header validated: the core never re-reads sizes or offsets
 * from shared memory, so a later scribble on the header cannot steer a copy out of
 * bounds. */
struct shmstate_segment {
  unsigned char* base;  /* the whole mapping */
  size_t size;          /* bytes mapped (== segment_size) */
  shmstate_header* hdr; /* == (shmstate_header *)base */
  uint64_t capacity;
  uint64_t data_stride;
  uint64_t slot_offset[2];  /* from the region table */
  uint64_t doorbell_offset; /* SHMSTATE_DOORBELL_ENTRIES, from the region table */
  uint64_t store_id;
  uint64_t initial_version;
  _Atomic uint32_t lock_timeout_ms; /* set from any thread */
  int ring_fd; /* unbound datagram socket doorbells are rung from; -1 until first needed,
                * then used only under the writer lock */
#ifdef SHMSTATE_TEST_HOOKS
  int test_crash_step; /* one of shmstate_crash_step; 0 = never */
#endif
  char name[SHMSTATE_NAME_MAX + 1];
};

/* ---- errors.c ---- */

/* Fills *err (NULL is fine) and returns `code`, so callers can `return shmstate_fail(...)`. */
int shmstate_fail(shmstate_error* err, int code, int sys_errno, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Maps an errno from a system call to a code and fills *err with "<what>: <strerror>". */
int shmstate_fail_errno(shmstate_error* err, int sys_errno, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears *err to OK with an empty message. Returns SHMSTATE_OK. */
int shmstate_ok(shmstate_error* err);

/* ---- segment.c ---- */

/* "/shmstate.<name>" for a checked name. */
typedef char shmstate_path[sizeof SHMSTATE_SEGMENT_PREFIX + SHMSTATE_NAME_MAX];
void shmstate_segment_path(const char* name, shmstate_path path);
/* A zeroed handle carrying `name` and the default lock timeout; NULL (E_NOMEM) on failure. */
shmstate_segment* shmstate_segment_alloc(const char* name, shmstate_error* err);

/* ---- header.c ---- */

/* The layout a creator gives a capacity: doorbell table, then the two slots. Openers do not
 * recompute it: they follow the region table (shmstate_header_validate). */
typedef struct shmstate_geometry {
  uint64_t data_stride;
  uint64_t doorbell_offset;
  uint64_t slot_offset[2];
  uint64_t segment_size;
} shmstate_geometry;

void shmstate_geometry_for(uint64_t capacity, shmstate_geometry* out);
/* Writes the fixed part of a new header (everything but the magic) for `g`. */
void shmstate_header_fill(shmstate_header_fixed* fixed, uint64_t capacity,
                          const shmstate_geometry* g, uint64_t store_id, uint64_t initial_version);
uint32_t shmstate_header_checksum(const shmstate_header_fixed* fixed);

/* Validates everything but the magic (checked by the caller, which handles the
 * initialisation race) against the file size: layout version, features, checksum, sizes
 * and the region table. Fills the segment's private geometry from the checked copy. */
int shmstate_header_validate(const shmstate_header_fixed* fixed, uint64_t file_size,
                             shmstate_segment* seg, shmstate_error* err);

/* ---- seqlock.c ---- */

/* The slot header and payload of slot `index` (0 or 1), at the offsets the region table
 * gave at open. */
static inline shmstate_slot_header* shmstate_slot(const shmstate_segment* seg, unsigned index) {
  return (shmstate_slot_header*)(seg->base + seg->slot_offset[index & 1u]);
}
static inline unsigned char* shmstate_slot_data(const shmstate_segment* seg, unsigned index) {
  return seg->base + seg->slot_offset[index & 1u] + SHMSTATE_SLOT_HEADER_SIZE;
}

/* Writes a payload into a slot with the seqlock write protocol (lock held, or the
 * segment not yet visible to anyone at creation). Does not publish. */
void shmstate_slot_write(shmstate_segment* seg, unsigned index, uint64_t version, const void* data,
                         size_t len);

/* The doorbell table (SHMSTATE_DOORBELL_ENTRIES entries). */
static inline shmstate_doorbell_entry* shmstate_doorbell_table(const shmstate_segment* seg) {
  return (shmstate_doorbell_entry*)(seg->base + seg->doorbell_offset);
}

/* ---- writer_lock.c ---- */

int shmstate_writer_lock_init(shmstate_header* hdr, shmstate_error* err);
/* Takes the writer lock within the segment's lock timeout; recovers a dead owner. */
int shmstate_writer_lock(shmstate_segment* seg, shmstate_error* err);
void shmstate_writer_unlock(shmstate_segment* seg);

/* ---- futex.c ---- */

/* After a publish (lock held): bump the futex word, wake only if someone waits. */
void shmstate_futex_notify(shmstate_segment* seg);

/* ---- doorbell_ring.c ---- */

/* After a publish and the futex bump (lock held): ring every armed doorbell once. */
void shmstate_doorbell_ring_all(shmstate_segment* seg);

/* ---- crc32c.c (see crc32c.h) ---- */

/* ---- test hooks ---- */
#ifdef SHMSTATE_TEST_HOOKS
/* Points inside a commit where a test can make the writer die (raise(SIGKILL)). */
typedef enum shmstate_crash_step {
  SHMSTATE_CRASH_NEVER = 0,
  SHMSTATE_CRASH_AFTER_LOCK,
  SHMSTATE_CRASH_AFTER_SEQ_ODD,
  SHMSTATE_CRASH_MID_COPY,
  SHMSTATE_CRASH_AFTER_SEQ_EVEN, /* slot written, nothing published */
  SHMSTATE_CRASH_AFTER_VERSION,  /* version published, slot index not yet */
  SHMSTATE_CRASH_AFTER_PUBLISH,  /* version and slot index published */
  SHMSTATE_CRASH_BEFORE_WAKE,
  SHMSTATE_CRASH_STEP_COUNT
} shmstate_crash_step;
void shmstate_test_set_crash_step(shmstate_segment* seg, int step);
void shmstate_test_crash_point(const shmstate_segment* seg, int step);
#define SHMSTATE_CRASH_POINT(seg, step) shmstate_test_crash_point((seg), (step))
#else
#define SHMSTATE_CRASH_POINT(seg, step) ((void)0)
#endif

#endif /* SHMSTATE_INTERNAL_H */
