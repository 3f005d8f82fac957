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
#include <time.h>

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
  /* The patch ring (patch_ring.c): its region, and the ring header's immutable fields as
   * checked at open. ring_entries 0: the segment has no ring. */
  uint64_t ring_offset;
  uint64_t ring_size;
  uint32_t ring_entries;
  uint32_t ring_stride;
  uint64_t store_id;
  uint64_t initial_version;
  /* The attach table (attach.c): its region offset and entries (0: no table). */
  uint64_t attach_offset;
  uint32_t attach_entries;
  /* This handle's attachment: attach_fd is the descriptor whose open file description holds
   * the entry's byte lock (-1: not attached); attach_index the entry (-1: none, e.g.
   * attached untracked); attach_control the control word our claim stored. */
  int attach_fd;
  int attach_index;
  int attach_untracked;
  uint64_t attach_control;
  /* The object the mapping came from (fstat at open/create): attach and the lister open
   * the name again and must find this same object. */
  uint64_t shm_dev;
  uint64_t shm_ino;
  /* 1: opened O_RDONLY and mapped PROT_READ: nothing may store to the mapping (a store
   * would be SIGSEGV). Every path that writes the segment checks it first. */
  int read_only;
  _Atomic uint32_t lock_timeout_ms; /* set from any thread */
  /* CLOCK_MONOTONIC_COARSE of this handle's last check that its name still names its file
   * (retire.c): commits and reads check at most once per SHMSTATE_NAME_CHECK_NS. */
  _Atomic uint64_t name_checked_ns;
  int ring_fd; /* unbound datagram socket doorbells are rung from; -1 until first needed,
                * then used only under the writer lock */
#ifdef SHMSTATE_TEST_HOOKS
  int test_crash_step;          /* one of shmstate_crash_step; 0 = never */
  uint64_t test_doorbell_token; /* every doorbell token drawn on this handle; 0 = random */
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

/* ---- trust.c ---- */

struct stat;
/* The file checks of an open (type, world-writable, owner against `trust`): E_PERM naming
 * the segment, its owner and why, or SHMSTATE_OK. */
int shmstate_trust_check(const struct stat* st, const char* name, const shmstate_trust* trust,
                         shmstate_error* err);
/* The trust an open applies: `explicit_trust` if not NULL, else SHMSTATE_TRUST if set, else
 * none. E_INVALID for a malformed value (saying when it came from the environment). */
int shmstate_trust_resolve(const char* explicit_trust, shmstate_trust* out, shmstate_error* err);

/* E_PERM for a write through a read-only handle, naming `what`. */
int shmstate_fail_read_only(const shmstate_segment* seg, const char* what, shmstate_error* err);

/* ---- segment.c ---- */

/* "/shmstate.<name>" for a checked name. */
typedef char shmstate_path[sizeof SHMSTATE_SEGMENT_PREFIX + SHMSTATE_NAME_MAX];
void shmstate_segment_path(const char* name, shmstate_path path);
/* A zeroed handle carrying `name` and the default lock timeout; NULL (E_NOMEM) on failure. */
shmstate_segment* shmstate_segment_alloc(const char* name, shmstate_error* err);

/* ---- segment_open.c ---- */

/* Opens and maps the segment as shmstate_segment_open does, without removing an orphaned
 * self-cleaning store; a retired one is E_NOENT unless `allow_retired`. */
int shmstate_segment_map(const char* name, const shmstate_open_options* options, int allow_retired,
                         shmstate_segment** out, shmstate_error* err);

/* ---- retire.c ---- */

/* Sets SHMSTATE_FLAG_RETIRED; the call that sets it wakes every futex waiter and rings every
 * doorbell (from a socket of its own: any thread may call it) and returns 1; 0 when it was
 * set already. */
int shmstate_segment_mark_retired(shmstate_segment* seg);
/* How often, at most, a commit or a read checks that the handle's name still names its
 * file: the check is a system call (an fstat, ~1 us in a VM), which a commit of a small state
 * (~0.2 us) must not pay every time. */
#define SHMSTATE_NAME_CHECK_NS 10000000ull /* 10 ms */
/* shmstate_segment_check for the hot paths: E_RETIRED when the flag is set; the name is
 * checked only if SHMSTATE_NAME_CHECK_NS passed since this handle last checked it. */
int shmstate_segment_check_soon(shmstate_segment* seg, shmstate_error* err);
/* How often, at most, a read-only wait checks the name at the end of a slice with nothing
 * new: such a waiter wakes every SHMSTATE_READ_ONLY_WAIT_SLICE_MS whether or not anything
 * happened, and an idle follower should not pay a shm_open and an fstat each time. */
#define SHMSTATE_IDLE_NAME_CHECK_NS 100000000ull /* 100 ms */
/* shmstate_segment_check_soon with SHMSTATE_IDLE_NAME_CHECK_NS between two checks. */
int shmstate_segment_check_idle(shmstate_segment* seg, shmstate_error* err);
/* Unlinks the segment's name if it still names this handle's file. */
void shmstate_segment_remove_if_ours(const shmstate_segment* seg);
/* Fills *err with the E_RETIRED failure for `seg` and returns E_RETIRED. */
int shmstate_fail_retired(const shmstate_segment* seg, shmstate_error* err);

/* ---- header.c ---- */

/* The layout a creator gives a capacity and a ring: doorbell table, the two slots, then the
 * ring if any. Openers do not recompute it: they follow the region table
 * (shmstate_header_validate). */
typedef struct shmstate_geometry {
  uint64_t data_stride;
  uint64_t doorbell_offset;
  uint64_t slot_offset[2];
  uint64_t ring_offset; /* 0: no ring */
  uint64_t ring_size;   /* RING_HEADER_SIZE + ring_entries * ring_stride */
  uint32_t ring_entries;
  uint32_t ring_stride;
  uint64_t attach_offset; /* SHMSTATE_ATTACH_ENTRIES entries, after the last other region */
  uint64_t segment_size;
} shmstate_geometry;

/* `ring_entries` 0 lays out no ring; otherwise `ring_stride` is the entry stride. The
 * caller has checked both (segment_create.c). */
void shmstate_geometry_for(uint64_t capacity, uint32_t ring_entries, uint32_t ring_stride,
                           shmstate_geometry* out);
/* Writes the fixed part of a new header (everything but the magic) for `g`. */
void shmstate_header_fill(shmstate_header_fixed* fixed, uint64_t capacity,
                          const shmstate_geometry* g, uint64_t store_id, uint64_t initial_version);
uint32_t shmstate_header_checksum(const shmstate_header_fixed* fixed);

/* Validates everything but the magic (checked by the caller, which handles the
 * initialisation race) against the file size: layout version, features, checksum, sizes
 * and the region table. Fills the segment's private geometry from the checked copy (for a
 * ring: its region; the ring header is checked by shmstate_ring_open). */
int shmstate_header_validate(const shmstate_header_fixed* fixed, uint64_t file_size,
                             shmstate_segment* seg, shmstate_error* err);

/* ---- seqlock.c ---- */

/* Slot `index` (0 or 1), at the offset the region table gave at open. */
static inline shmstate_slot_header* shmstate_slot(const shmstate_segment* seg, unsigned index) {
  return (shmstate_slot_header*)(seg->base + seg->slot_offset[index & 1u]);
}

/* Writes `len` bytes as `version` into a record (a slot or a ring entry) with the seqlock
 * write protocol (lock held, or the segment not yet visible to anyone at creation). Does not
 * publish. `crash_first` names the record's first crash point (test builds: seq odd, then
 * mid-copy and seq even follow it in shmstate_crash_step), or SHMSTATE_CRASH_NEVER. */
void shmstate_record_write(shmstate_segment* seg, shmstate_record_header* rec, uint64_t version,
                           const void* data, size_t len, int crash_first);

/* One attempt at copying a record under its seqlock. */
typedef enum shmstate_copy_result {
  SHMSTATE_COPY_OK,        /* consistent: seq even and unchanged across the copy */
  SHMSTATE_COPY_WRITER_IN, /* seq odd: a writer is in it (or died in it) */
  SHMSTATE_COPY_OVERTAKEN  /* seq moved during the copy: it may be torn */
} shmstate_copy_result;

typedef struct shmstate_record_copy {
  uint64_t version;
  uint64_t length; /* as stored: may exceed the limit if corrupt */
  uint32_t checksum;
  size_t copied; /* bytes in the buffer: 0 unless the version was wanted, else length
                  * clamped to the limit */
} shmstate_record_copy;

/* Copies the record's fields and, if its version is in [lo, hi], its payload clamped to
 * `limit` bytes into `buf`. Validation is the caller's, after a consistent copy. */
shmstate_copy_result shmstate_record_copy_out(const shmstate_record_header* rec, uint64_t lo,
                                              uint64_t hi, size_t limit, unsigned char* buf,
                                              shmstate_record_copy* out);

/* Who is writing: an ordinary writer, or the bridge publishing a leader's version into a
 * mirror. Each is refused on the other kind of store (mirror.c). */
typedef enum shmstate_commit_kind {
  SHMSTATE_COMMIT_ORDINARY = 0,
  SHMSTATE_COMMIT_MIRROR = 1
} shmstate_commit_kind;

/* A commit's frame. begin takes the writer lock and checks `expected_version` (0: any);
 * on success the lock is held and *current is the published version, else it is not held.
 * end counts the commit, notifies waiters and doorbells and unlocks. */
int shmstate_commit_begin(shmstate_segment* seg, uint64_t expected_version, uint64_t* current,
                          shmstate_commit_kind kind, shmstate_error* err);
void shmstate_commit_end(shmstate_segment* seg);

/* Lock held, before a commit publishes `next` over the published `current`: a record that
 * claims a version in (current, next] that this commit did not write (one a writer wrote
 * and died before publishing, or a stray store) is cleared to version 0, so that no reader
 * takes it for `next`'s. */
void shmstate_record_forget(shmstate_segment* seg, shmstate_record_header* rec, uint64_t current,
                            uint64_t next);

/* The plain commit order (lock held): writes the slot current_slot does not name as `next`,
 * publishes the version, then the slot index. On a ring segment this is a checkpoint
 * without an entry: it first forgets entry `next`, and resets the ring's counters. */
void shmstate_commit_plain(shmstate_segment* seg, uint64_t current, uint64_t next, const void* data,
                           size_t len);

/* The publishing stores (lock held), release: the version, then (separately) the slot index. */
void shmstate_publish_version(shmstate_segment* seg, uint64_t version);
void shmstate_publish_slot(shmstate_segment* seg, unsigned index);

/* The seqlock commit of a whole state (seqlock.c): `version` 0 is current + 1, else the
 * version to publish (> current). */
int shmstate_commit_state(shmstate_segment* seg, const void* data, size_t len,
                          uint64_t expected_version, uint64_t version, shmstate_commit_kind kind,
                          uint64_t* out_version, shmstate_error* err);

/* ---- mirror.c ---- */

/* Lock held: E_MIRROR (naming the leader) for an ordinary commit on a mirror, E_INVALID for
 * a mirror commit on a store that is not one; SHMSTATE_OK otherwise. Does not unlock. */
int shmstate_mirror_check(shmstate_segment* seg, shmstate_commit_kind kind, shmstate_error* err);
/* The leader description, bounded and made printable, into out (NUL-terminated); "" when
 * the store is not a mirror. */
void shmstate_mirror_leader(const shmstate_segment* seg, char out[SHMSTATE_LEADER_MAX + 1]);
/* At creation, before the magic: checks and writes options->leader (E_INVALID). */
int shmstate_mirror_check_options(const shmstate_create_options* options, shmstate_error* err);
void shmstate_mirror_init(shmstate_segment* seg, const char* leader);

/* The patch commit (patch_ring.c), of either kind. */
int shmstate_commit_patch_kind(shmstate_segment* seg, const void* patch, size_t patch_len,
                               const void* state, size_t state_len, uint64_t expected_version,
                               shmstate_commit_kind kind, uint64_t* out_version,
                               shmstate_error* err);

/* ---- patch_ring.c ---- */

static inline int shmstate_has_ring(const shmstate_segment* seg) { return seg->ring_entries != 0; }
static inline shmstate_ring_header* shmstate_ring(const shmstate_segment* seg) {
  return (shmstate_ring_header*)(seg->base + seg->ring_offset);
}
/* The entry that holds (or will hold) the patch leading to `version`. */
static inline shmstate_record_header* shmstate_ring_entry(const shmstate_segment* seg,
                                                          uint64_t version) {
  return (shmstate_record_header*)(seg->base + seg->ring_offset + SHMSTATE_RING_HEADER_SIZE +
                                   (version % seg->ring_entries) * seg->ring_stride);
}
static inline uint64_t shmstate_ring_patch_max(const shmstate_segment* seg) {
  return seg->ring_stride - SHMSTATE_RECORD_HEADER_SIZE;
}
/* max(capacity, patch_max) + patch_max: the patch bytes a fresh read may return. */
uint64_t shmstate_ring_delta_bytes_max(const shmstate_segment* seg);

/* At open, after shmstate_header_validate: checks the ring header's entry_count and
 * entry_stride (read once from `base`) against the ring's region and keeps them. */
int shmstate_ring_open(shmstate_segment* seg, const unsigned char* base, shmstate_error* err);

/* At creation, before the magic: writes the ring header. */
void shmstate_ring_init(shmstate_segment* seg, uint64_t state_length);

/* After a checkpoint whose state is `state_length` bytes (lock held): no patch since it. */
void shmstate_ring_note_checkpoint(shmstate_segment* seg, uint64_t state_length);

/* Why a fresh read's patches stopped short (shmstate_ring_copy_entries). */
typedef enum shmstate_entries_result {
  SHMSTATE_ENTRIES_OK,        /* every entry copied, checked and appended */
  SHMSTATE_ENTRIES_WRITER_IN, /* an entry's seq is odd: being written (or a writer died in it) */
  SHMSTATE_ENTRIES_MISSING,   /* an entry holds another version: overwritten, or never written */
  SHMSTATE_ENTRIES_OVERTAKEN, /* an entry's seq moved during its copy */
  SHMSTATE_ENTRIES_FULL       /* the next patch does not fit what is left of the buffer */
} shmstate_entries_result;

typedef struct shmstate_entries_stop {
  shmstate_entries_result result;
  uint64_t wanted; /* the version whose entry stopped the copy */
  uint64_t found;  /* what that entry held: its seq (WRITER_IN), its version (MISSING) or its
                    * length (FULL) */
} shmstate_entries_stop;

/* Appends the patches first..last to `pb` (count and used carry on from their values), each
 * copied under its entry's seqlock and kept only if the entry holds exactly that version.
 * Stops at the first entry that is not there or does not fit (*stop says which). A
 * consistent entry of the right version whose length exceeds patch_max or whose checksum
 * fails is E_CORRUPT: it is the published patch, damaged. */
int shmstate_ring_copy_entries(const shmstate_segment* seg, uint64_t first, uint64_t last,
                               shmstate_patch_buffer* pb, shmstate_entries_stop* stop,
                               shmstate_error* err);

/* Recovery after a dead writer (lock held, slot index repaired): recounts patch_bytes from
 * the ring, which the dead writer may not have updated. */
void shmstate_ring_recover(shmstate_segment* seg);

/* CLOCK_REALTIME in nanoseconds since the epoch (a vDSO call, no system call): the attach
 * time and the last commit time, shown to people. */
static inline uint64_t shmstate_realtime_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- attach.c ---- */

_Static_assert(SHMSTATE_FLAG_UNTRACKED == SHMSTATE_FLAG_UNTRACKED_BIT, "one untracked bit");
_Static_assert(SHMSTATE_FLAG_SELF_CLEANING == SHMSTATE_FLAG_SELF_CLEANING_BIT,
               "one self-cleaning bit");
_Static_assert(SHMSTATE_FLAG_RETIRED == SHMSTATE_FLAG_RETIRED_BIT, "one retired bit");
_Static_assert(SHMSTATE_FLAG_MIRROR == SHMSTATE_FLAG_MIRROR_BIT, "one mirror bit");
_Static_assert(SHMSTATE_LEADER_MAX == SHMSTATE_LEADER_TEXT_SIZE, "one leader size");
_Static_assert(SHMSTATE_ATTACH_TABLE_ENTRIES == SHMSTATE_ATTACH_ENTRIES, "one table size");

static inline shmstate_attach_entry* shmstate_attach_table(const shmstate_segment* seg) {
  return (shmstate_attach_entry*)(seg->base + seg->attach_offset);
}

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
/* The same, sending from `fd` (an unbound datagram socket) instead of the handle's. */
void shmstate_doorbell_ring_all_from(shmstate_segment* seg, int fd);

/* ---- crc32c.c (see crc32c.h) ---- */

/* ---- test hooks ---- */

/* Points inside a commit where a test can make the writer die (raise(SIGKILL)). A plain
 * commit passes steps 1..PLAIN_COUNT-1; a patch commit that stores an entry passes
 * AFTER_LOCK, the ENTRY steps, AFTER_PATCH_VERSION, the CHECKPOINT steps if it is a
 * checkpoint, and BEFORE_WAKE; one that stores no entry passes the plain ones. Each record
 * write's three steps (seq odd, mid-copy, seq even) are consecutive. */
typedef enum shmstate_crash_step {
  SHMSTATE_CRASH_NEVER = 0,
  SHMSTATE_CRASH_AFTER_LOCK,
  SHMSTATE_CRASH_AFTER_SEQ_ODD, /* the slot of a plain-order commit */
  SHMSTATE_CRASH_MID_COPY,
  SHMSTATE_CRASH_AFTER_SEQ_EVEN, /* slot written, nothing published */
  SHMSTATE_CRASH_AFTER_VERSION,  /* version published, slot index not yet */
  SHMSTATE_CRASH_AFTER_PUBLISH,  /* version and slot index published */
  SHMSTATE_CRASH_BEFORE_WAKE,
  SHMSTATE_CRASH_PLAIN_COUNT,
  SHMSTATE_CRASH_ENTRY_SEQ_ODD = SHMSTATE_CRASH_PLAIN_COUNT, /* a patch commit's entry */
  SHMSTATE_CRASH_ENTRY_MID_COPY,
  SHMSTATE_CRASH_AFTER_ENTRY,            /* entry written, nothing published */
  SHMSTATE_CRASH_AFTER_PATCH_VERSION,    /* entry and version published, nothing else */
  SHMSTATE_CRASH_CHECKPOINT_SEQ_ODD,     /* then the checkpoint: the other slot's seq odd */
  SHMSTATE_CRASH_CHECKPOINT_MID_COPY,    /* half the state copied */
  SHMSTATE_CRASH_AFTER_CHECKPOINT,       /* slot written, slot index not published */
  SHMSTATE_CRASH_AFTER_CHECKPOINT_INDEX, /* slot index published, ring counters not reset */
  SHMSTATE_CRASH_STEP_COUNT
} shmstate_crash_step;

#ifdef SHMSTATE_TEST_HOOKS
void shmstate_test_set_crash_step(shmstate_segment* seg, int step);
void shmstate_test_crash_point(const shmstate_segment* seg, int step);
#define SHMSTATE_CRASH_POINT(seg, step) shmstate_test_crash_point((seg), (step))
#else
#define SHMSTATE_CRASH_POINT(seg, step) ((void)(seg), (void)(step))
#endif

#endif /* SHMSTATE_INTERNAL_H */
