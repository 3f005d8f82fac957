/*
 * shmstate: live state shared between processes through POSIX shared memory.
 *
 * The one header the Node addon and the Python extension include. The core knows
 * nothing of either host: it moves opaque byte payloads (UTF-8 JSON, by convention
 * of the hosts) through a double-buffered seqlock, serialises writers with a robust
 * process-shared mutex, and notifies waiters with a shared futex. docs/protocol.md
 * specifies the segment layout and every algorithm here byte by byte.
 *
 * Thread safety: one shmstate_segment may be used from several threads at once,
 * except that shmstate_segment_close must not race with any other call on it, and
 * shmstate_segment_attach and shmstate_segment_detach not with each other.
 */
#ifndef SHMSTATE_H
#define SHMSTATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result codes: see errors.def for the table and docs/errors.md for their meaning. */
typedef enum shmstate_code {
#define X(symbol, number, meaning) SHMSTATE_##symbol = number,
#include "../errors.def"
#undef X
  SHMSTATE_CODE_COUNT
} shmstate_code;

/* Limits. */
#define SHMSTATE_NAME_MAX 200              /* bytes in a segment name */
#define SHMSTATE_CAPACITY_MIN 64u          /* bytes per slot */
#define SHMSTATE_CAPACITY_MAX (1ull << 30) /* 1 GiB per slot */
#define SHMSTATE_DEFAULT_MODE 0600u
#define SHMSTATE_DEFAULT_LOCK_TIMEOUT_MS 5000u
#define SHMSTATE_ERROR_MESSAGE_MAX 256
#define SHMSTATE_LEADER_MAX 256              /* bytes of a mirror's leader description */
#define SHMSTATE_RING_ENTRIES_MIN 2u         /* patches a ring holds, at least */
#define SHMSTATE_RING_ENTRIES_MAX 65536u     /* and at most */
#define SHMSTATE_RING_BYTES_MAX (1ull << 30) /* a ring region's bytes, its header included */
/* The ring a store gets when its creator names none (Node and Python): 1024 patches of up
 * to 1984 bytes each (a 2048-byte entry), or of up to the capacity when that is smaller;
 * see shmstate_ring_default. */
#define SHMSTATE_RING_ENTRIES_DEFAULT 1024u
#define SHMSTATE_RING_PATCH_MAX_DEFAULT 1984u

/* The detail of a failure: the code, the errno behind it (0 if none) and a message
 * that names the value and the limit ("state is 70000 bytes; capacity is 65536"). */
typedef struct shmstate_error {
  int code;
  int sys_errno;
  char message[SHMSTATE_ERROR_MESSAGE_MAX];
} shmstate_error;

/* Stable name of a code ("E_CAPACITY"); "E_UNKNOWN" for a number outside the table. */
const char* shmstate_code_name(int code);
/* One-line meaning of a code, from errors.def. */
const char* shmstate_code_meaning(int code);

/* An open segment: opaque, owned by the caller until shmstate_segment_close. */
typedef struct shmstate_segment shmstate_segment;

/* Writer-side statistics, kept in the segment header (written under the lock). */
typedef struct shmstate_stats {
  uint64_t version;         /* the published version */
  uint64_t capacity;        /* bytes per slot */
  uint64_t commits;         /* successful commits, including the initial state */
  uint64_t conflicts;       /* compare-and-set commits refused with E_CONFLICT */
  uint64_t lock_recoveries; /* writer locks recovered from a dead owner */
  uint32_t waiters;         /* processes/threads currently blocked in a wait */
  uint32_t layout_version;
  uint32_t doorbells; /* doorbell entries registered (subscriber processes) */
  uint32_t reserved0;
  uint64_t doorbell_reclaims; /* entries freed after their subscriber died unregistered */
  uint64_t store_id;          /* random, drawn at creation: tells stores of one name apart */
  uint64_t flags;             /* the header's flags word (SHMSTATE_FLAG_*) */
  /* The version of the full state in the slot current_slot names: the published version
   * without a ring (or one below it while a commit is between its two publishing stores),
   * the last checkpoint with one. */
  uint64_t checkpoint_version;
  uint32_t ring_entries; /* patches the ring holds (N); 0 when the segment has no ring */
  uint32_t reserved1;
  uint64_t ring_patch_max;   /* the largest patch an entry holds, in bytes; 0 without a ring */
  uint64_t ring_patch_bytes; /* writer-side: bytes of patches since the checkpoint */
  /* CLOCK_REALTIME of the last successful commit (the initial state's included), in
   * nanoseconds since the epoch; 0 when the segment was made by a build that did not record
   * it. */
  uint64_t last_commit_ns;
  /* A mirror's leader description (SHMSTATE_FLAG_MIRROR in flags), NUL-terminated; empty for
   * a store that is not a mirror. Read from the header bounded to SHMSTATE_LEADER_MAX bytes,
   * bytes outside printable ASCII shown as '?'. */
  char leader[SHMSTATE_LEADER_MAX + 1];
} shmstate_stats;

/* Checks a name against [A-Za-z0-9_][A-Za-z0-9._-]* and SHMSTATE_NAME_MAX. */
int shmstate_name_check(const char* name, shmstate_error* err);

/*
 * Creates "/shmstate.<name>" exclusively (E_EXISTS if present) with exactly `mode`
 * (0 means SHMSTATE_DEFAULT_MODE; umask does not apply), reserves its pages
 * (E_NOSPC rather than SIGBUS later) and publishes `initial` as version 1.
 * `capacity` is the largest payload in bytes.
 */
int shmstate_segment_create(const char* name, uint64_t capacity, uint32_t mode, const void* initial,
                            size_t initial_len, shmstate_segment** out, shmstate_error* err);

/* As shmstate_segment_create, but the store starts at `initial_version` (>= 1; 0 is
 * E_INVALID) instead of 1: a mirror that follows another store starts at its version.
 * Later ordinary commits still add exactly 1. */
int shmstate_segment_create_at(const char* name, uint64_t capacity, uint32_t mode,
                               const void* initial, size_t initial_len, uint64_t initial_version,
                               shmstate_segment** out, shmstate_error* err);

/*
 * Creation options, for shmstate_segment_create_with. Zero-initialise the struct, then set
 * the fields: capacity (as for shmstate_segment_create) and initial_version (>= 1) are
 * required; the rest may stay 0.
 */
typedef struct shmstate_create_options {
  uint64_t capacity;        /* largest state in bytes, SHMSTATE_CAPACITY_MIN..MAX */
  uint32_t mode;            /* permission bits; 0 means SHMSTATE_DEFAULT_MODE */
  uint32_t ring_entries;    /* 0: no patch ring; else the patches it holds,
                             * SHMSTATE_RING_ENTRIES_MIN..MAX */
  uint64_t initial_version; /* the version of the initial state, >= 1 */
  uint64_t ring_patch_max;  /* the largest patch in bytes (>= 1; 0 without a ring); rounded up
                             * so that an entry (64-byte header + patch) is a multiple of 64 */
  uint32_t self_cleaning;   /* 1: set SHMSTATE_FLAG_SELF_CLEANING; 0: a store that stays until
                             * unlinked (the default) */
  uint32_t has_group;       /* 1: give the segment the group `group` (fchown) before its mode */
  uint32_t group;           /* a gid the creator belongs to (else E_PERM); see
                             * shmstate_group_parse for names */
  uint32_t mirror;          /* 1: set SHMSTATE_FLAG_MIRROR: only shmstate_segment_mirror_commit
                             * and _mirror_patch write it; 0: an ordinary store */
  const char* leader;       /* with mirror: who the store mirrors, for people and error
                             * messages (printable text, 1..SHMSTATE_LEADER_MAX bytes) */
} shmstate_create_options;

/*
 * Creates a segment as shmstate_segment_create does, with the options above. With
 * ring_entries > 0 the segment has a patch ring (docs/protocol.md, "The patch ring") and
 * sets incompatible feature bit 0: readers of this build and later read it, older ones
 * refuse it with E_VERSION. The ring (64 + ring_entries * entry stride bytes) may be at most
 * SHMSTATE_RING_BYTES_MAX. Invalid options are E_INVALID with a message naming the value.
 */
/* Sets options->ring_entries and ring_patch_max to the default ring for options->capacity:
 * SHMSTATE_RING_ENTRIES_DEFAULT entries, each holding patches of up to
 * min(SHMSTATE_RING_PATCH_MAX_DEFAULT, capacity rounded up to an entry stride) bytes, so
 * that a small store does not carry a ring many times its size. */
void shmstate_ring_default(shmstate_create_options* options);

int shmstate_segment_create_with(const char* name, const shmstate_create_options* options,
                                 const void* initial, size_t initial_len, shmstate_segment** out,
                                 shmstate_error* err);

/* Opens an existing segment after checking its type, owner, mode, size and header. A
 * segment of another layout, or one that uses an incompatible feature this build does not
 * know, is E_VERSION with a message saying what to do. The same as
 * shmstate_segment_open_with(name, NULL, ...): trust from SHMSTATE_TRUST, read-write when
 * the file allows it. */
int shmstate_segment_open(const char* name, shmstate_segment** out, shmstate_error* err);

/*
 * Trust: which segments owned by *another* uid an opener accepts. By default none: a segment
 * must be owned by the opener's effective uid. The opener may trust more, in this grammar
 * (the environment variable SHMSTATE_TRUST and the bindings' `trust` option use it):
 *
 *   trust = "" | item *( "," item )
 *   item  = "group"            a segment whose group is one of this process's groups
 *                              (its effective gid or a supplementary group)
 *         | "uid:" 1*DIGIT     a segment owned by that uid (decimal, below 2^32-1)
 *
 * Whatever is trusted, a segment that is not a regular file, a symlink under the name or a
 * world-writable segment stays E_PERM. Trusting an owner trusts whoever its mode lets write
 * (the group of a 0660 segment): docs/reliability.md, "Other users".
 */
#define SHMSTATE_TRUST_ENV "SHMSTATE_TRUST"
#define SHMSTATE_TRUST_UIDS_MAX 16
typedef struct shmstate_trust {
  uint32_t group; /* 1: "group" was given */
  uint32_t uid_count;
  uint32_t uids[SHMSTATE_TRUST_UIDS_MAX];
} shmstate_trust;

/* Parses `text` (the grammar above; NULL is E_INVALID) into *out. A malformed value is
 * E_INVALID with a message that quotes it; more than SHMSTATE_TRUST_UIDS_MAX uids is
 * E_INVALID too. */
int shmstate_trust_parse(const char* text, shmstate_trust* out, shmstate_error* err);

/* A group given by name or by decimal gid, for shmstate_create_options.group: E_INVALID for
 * an unknown name. */
int shmstate_group_parse(const char* text, uint32_t* gid, shmstate_error* err);

/* Open options for shmstate_segment_open_with. Zero-initialised: trust from the environment,
 * read-write when the file allows it. */
typedef struct shmstate_open_options {
  /* The trust grammar above. NULL: the value of SHMSTATE_TRUST, if set (a malformed one is
   * E_INVALID at every open); unset: no other uid. An explicit value, "" included, ignores
   * the environment. */
  const char* trust;
  /* 1: open read-only even when the file is writable. 0: read-write, or read-only when the
   * opener may read the file but not write it (O_RDWR refused with EACCES). */
  uint32_t read_only;
} shmstate_open_options;

/*
 * Opens as shmstate_segment_open does, with options (NULL: all defaults). A read-only
 * handle maps the segment PROT_READ and writes nothing to it, ever: reads and waits work
 * (a wait sleeps on the futex word without counting itself a waiter, so it re-checks every
 * SHMSTATE_READ_ONLY_WAIT_SLICE_MS at most); commits and patch plans are E_PERM,
 * shmstate_doorbell_open is E_PERM, shmstate_segment_attach attaches untracked without
 * an entry and without touching the header, and the open does not clean a self-cleaning
 * store.
 */
int shmstate_segment_open_with(const char* name, const shmstate_open_options* options,
                               shmstate_segment** out, shmstate_error* err);

/* 1 when the handle is read-only (asked for, or the file was not writable at open). */
int shmstate_segment_read_only(const shmstate_segment* seg);

/* The longest a read-only handle's wait sleeps before it checks the version again: writers
 * wake the futex only when the waiter count says someone sleeps, and a read-only waiter
 * cannot add itself to that count. */
#define SHMSTATE_READ_ONLY_WAIT_SLICE_MS 10

/* Opens the segment, or creates it as shmstate_segment_create would. `*created` is set
 * to 1 when this call created it. Safe against concurrent callers. */
int shmstate_segment_open_or_create(const char* name, uint64_t capacity, uint32_t mode,
                                    const void* initial, size_t initial_len, shmstate_segment** out,
                                    int* created, shmstate_error* err);

/* shmstate_segment_open_or_create with the initial version of shmstate_segment_create_at
 * (used only when this call creates the segment). */
int shmstate_segment_open_or_create_at(const char* name, uint64_t capacity, uint32_t mode,
                                       const void* initial, size_t initial_len,
                                       uint64_t initial_version, shmstate_segment** out,
                                       int* created, shmstate_error* err);

/* shmstate_segment_open_or_create with the options of shmstate_segment_create_with (used
 * only when this call creates the segment; an opened segment keeps its own geometry). */
int shmstate_segment_open_or_create_with(const char* name, const shmstate_create_options* options,
                                         const void* initial, size_t initial_len,
                                         shmstate_segment** out, int* created, shmstate_error* err);

/*
 * Opens the segment as shmstate_segment_open does, waiting up to `timeout_ns` for it to be
 * created when it does not exist yet (SHMSTATE_WAIT_FOREVER: no limit). The wait sleeps
 * between creations in /dev/shm (inotify; without it, a poll every 50 ms) rather than
 * spinning. E_TIMEOUT when no segment of that name could be opened in time; E_INTERRUPTED
 * when a signal cut the wait short (the caller runs its handlers and calls again with the
 * time left). Every other failure of the open is returned at once. Blocks: call it from a
 * thread that may block (the bindings: a worker thread, or with the GIL released).
 */
#define SHMSTATE_WAIT_FOREVER UINT64_MAX
int shmstate_segment_open_wait(const char* name, uint64_t timeout_ns, shmstate_segment** out,
                               shmstate_error* err);
/* shmstate_segment_open_wait with the options of shmstate_segment_open_with (NULL: none). */
int shmstate_segment_open_wait_with(const char* name, const shmstate_open_options* options,
                                    uint64_t timeout_ns, shmstate_segment** out,
                                    shmstate_error* err);

/* Detaches (shmstate_segment_detach), unmaps and closes. NULL is fine. Does not unlink. */
void shmstate_segment_close(shmstate_segment* seg);

/*
 * Retires the store and removes its name (docs/protocol.md, "Retirement"): under the writer
 * lock (waited for up to 100 ms; a stalled writer does not keep the name from going)
 * sets SHMSTATE_FLAG_RETIRED, wakes every futex waiter and rings every doorbell, then
 * unlinks the name. Every wait on the old store then ends with E_RETIRED and every commit to
 * it is refused with E_RETIRED; its last state stays readable through handles already open.
 * A store this process cannot map (another user's, damaged, of another layout) is only
 * unlinked. E_NOENT if absent, or if another process removed it meanwhile.
 */
int shmstate_segment_unlink(const char* name, shmstate_error* err);

/* 1 when the store is retired (SHMSTATE_FLAG_RETIRED set): one atomic load, no system call. */
int shmstate_segment_retired(const shmstate_segment* seg);

/*
 * E_RETIRED when the store is retired, or when this handle's name no longer names the file
 * it mapped (removed by hand, or removed and created again): the handle then retires the
 * store itself (sets the flag, wakes, rings) so that every process following it learns it.
 * One fstat (one shm_open more for a handle that is not attached). Waits that wake without
 * a new version run this check; commits and full or catch-up reads run it too, but at most
 * once per 10 ms per handle (a system call per commit would cost more than the commit), so
 * commits made within 10 ms of a handle's last check may still land in a removed file; the
 * first one after that is E_RETIRED. Cached reads (the bindings' get()) never check.
 */
int shmstate_segment_check(shmstate_segment* seg, shmstate_error* err);

/* Largest payload in bytes. */
uint64_t shmstate_segment_capacity(const shmstate_segment* seg);

/* The published version (acquire load): cheap, no copy. */
uint64_t shmstate_segment_version(const shmstate_segment* seg);

/* The store id: 64 random bits drawn when the segment was created (never 0). A segment
 * unlinked and created again under the same name has another id. */
uint64_t shmstate_segment_store_id(const shmstate_segment* seg);

/* The segment's name as given at open/create. */
const char* shmstate_segment_name(const shmstate_segment* seg);

/* Sets the writer-lock timeout (default SHMSTATE_DEFAULT_LOCK_TIMEOUT_MS); a commit
 * that cannot take the lock in time fails with E_TIMEOUT and never steals it. */
void shmstate_segment_set_lock_timeout(shmstate_segment* seg, uint32_t timeout_ms);

/*
 * Copies the current committed payload into `buf` without taking any lock.
 * `buf_cap` must be at least shmstate_segment_capacity(seg) (else E_INVALID).
 * On success *out_len and *out_version describe a payload that was committed as a
 * whole and whose checksum verified. E_BUSY when writers keep overtaking the copy
 * past the retry cap; E_CORRUPT when the content fails validation.
 * On a segment with a patch ring the full state is only there when the last commit was a
 * checkpoint: otherwise this is E_INVALID ("... use shmstate_segment_read_delta"), and the
 * caller reads the checkpoint and the patches after it with shmstate_segment_read_delta.
 */
int shmstate_segment_read(shmstate_segment* seg, void* buf, size_t buf_cap, size_t* out_len,
                          uint64_t* out_version, shmstate_error* err);

/*
 * Commits `len` bytes as the next version under the writer lock.
 * `expected_version` 0 commits unconditionally; otherwise the commit happens only if
 * the published version equals it (else E_CONFLICT). *out_version gets the new version.
 * Wakes blocked waiters only when there are some. On a segment with a patch ring this is a
 * checkpoint with no patch: readers catching up by patches need a fresh read after it.
 */
int shmstate_segment_commit(shmstate_segment* seg, const void* data, size_t len,
                            uint64_t expected_version, uint64_t* out_version, shmstate_error* err);

/*
 * Commits `len` bytes as exactly `version`, which must be above the published version
 * (else E_CONFLICT: versions never go backwards; 0 is E_INVALID). For a mirror that
 * follows another store's versions: subscribers count the gap as missed versions.
 * `expected_version` works as in shmstate_segment_commit. On a segment with a patch ring
 * this is a checkpoint with no patch, as shmstate_segment_commit is.
 */
int shmstate_segment_commit_at(shmstate_segment* seg, const void* data, size_t len,
                               uint64_t expected_version, uint64_t version, uint64_t* out_version,
                               shmstate_error* err);

/*
 * Patch rings. A segment created with ring_entries > 0 keeps the patches of its last
 * commits: the slot current_slot names holds the full state at a *checkpoint* version
 * c <= the published version V, and the ring holds every patch c+1..V. A patch is opaque
 * bytes to the core (the bindings will put RFC 6902 JSON Patch text in them; today they
 * commit whole states only). A reader holding version v reaches w by applying the patches
 * v+1..w in order; a fresh reader applies c+1..V to the checkpoint.
 */

/* The ring's geometry, for sizing read buffers. */
typedef struct shmstate_ring_info {
  uint32_t entries; /* N, the patches the ring holds; 0 when the segment has no ring */
  uint32_t reserved0;
  uint64_t patch_max; /* the largest patch an entry holds (entry stride - 64) */
  /* The patch bytes a fresh read can return: max(capacity, patch_max) + patch_max (the
   * checkpoint policy keeps the patches since a checkpoint within it). */
  uint64_t delta_bytes_max;
} shmstate_ring_info;

/* Fills *out (all zero when the segment has no ring). */
void shmstate_segment_ring_info(const shmstate_segment* seg, shmstate_ring_info* out);

/* One patch in a shmstate_patch_buffer. */
typedef struct shmstate_patch {
  uint64_t version; /* the version the patch leads to, from version - 1 */
  size_t offset;    /* where its bytes start in the buffer's `bytes` */
  size_t length;    /* its bytes */
} shmstate_patch;

/* Where a read puts patches: their bytes back to back in `bytes` (no padding) and one
 * shmstate_patch each in `entries`, in version order. The reads set `count` and `used`. */
typedef struct shmstate_patch_buffer {
  void* bytes;
  size_t bytes_cap;
  shmstate_patch* entries;
  size_t entries_cap;
  size_t count; /* out: patches returned */
  size_t used;  /* out: bytes of `bytes` they fill */
} shmstate_patch_buffer;

/*
 * Whether a patch commit would have to be a checkpoint (*checkpoint_due = 1), so that the
 * caller knows whether to encode the full state before calling
 * shmstate_segment_commit_patch. `state_length_after` is the length of the state after the
 * patch as the caller tracks it. A checkpoint is due when the ring is full since the last
 * checkpoint (the next entry would overwrite a patch after it), when the patch does not fit
 * an entry (patch_len > patch_max), or when the patches since the checkpoint would exceed
 * max(state_length_after, patch_max) bytes (so a fresh read stays within about twice a full
 * read); also after a writer died before writing a due checkpoint. It takes the writer lock
 * briefly (so it can wait up to the lock timeout, E_TIMEOUT, like a commit), because a commit
 * publishes its version before its ring figures: the answer is then exact as long as the
 * published version is still expected_version (E_CONFLICT if it already is not).
 * E_INVALID without a ring or with expected_version 0; E_CAPACITY when state_length_after
 * exceeds the capacity; E_LIMIT at version 2^64-1.
 */
int shmstate_segment_patch_plan(shmstate_segment* seg, uint64_t expected_version, size_t patch_len,
                                uint64_t state_length_after, int* checkpoint_due,
                                shmstate_error* err);

/*
 * Commits the patch that leads from expected_version (required: a patch applies to one
 * version; E_CONFLICT if it is not the published one) to the next version, under the
 * writer lock. `state` is the full state after the patch, or NULL:
 *   - state NULL: `state_len` is the length of the state after the patch as the caller
 *     tracks it (recorded in the ring header for other writers). If a checkpoint is due
 *     (see shmstate_segment_patch_plan, re-checked under the lock) this is E_INVALID
 *     ("a checkpoint is due ..."): encode the state and call again.
 *   - state given: the commit is also a checkpoint, due or not.
 * `state_len` above the capacity is E_CAPACITY: a patch that would make the state larger
 * than the capacity is refused, so that a checkpoint can always be written. A patch that
 * fits an entry is stored in the ring (and is what catching-up readers apply); one that
 * does not is dropped, and the commit is a checkpoint only. E_INVALID without a ring.
 * *out_version gets the new version. Notifies as shmstate_segment_commit does.
 */
int shmstate_segment_commit_patch(shmstate_segment* seg, const void* patch, size_t patch_len,
                                  const void* state, size_t state_len, uint64_t expected_version,
                                  uint64_t* out_version, shmstate_error* err);

/*
 * Mirror writes: how the bridge publishes a leader's versions into a mirror store (one
 * created with shmstate_create_options.mirror). Ordinary commits and patches on a mirror are
 * E_MIRROR, whose message names the leader; these two are E_INVALID on a store that is not a
 * mirror. mirror_commit publishes a whole state as exactly `version`, which must be above the
 * published version (E_CONFLICT otherwise): a mirror may jump versions, never go back.
 * mirror_patch is shmstate_segment_commit_patch for a mirror: the leader's patch from
 * expected_version to the next version.
 */
int shmstate_segment_mirror_commit(shmstate_segment* seg, const void* data, size_t len,
                                   uint64_t version, uint64_t* out_version, shmstate_error* err);
int shmstate_segment_mirror_patch(shmstate_segment* seg, const void* patch, size_t patch_len,
                                  const void* state, size_t state_len, uint64_t expected_version,
                                  uint64_t* out_version, shmstate_error* err);

/*
 * A fresh read: the full state at a checkpoint and the patches after it, up to the published
 * version, without taking any lock. `buf` gets the checkpoint's state (*out_len bytes, at
 * version *out_checkpoint_version; `buf_cap` >= capacity), `patches` the patches
 * checkpoint+1..*out_version in order. Applying them to the state gives the state at
 * *out_version, a version that was published during the call. On a segment with a ring,
 * `patches` needs bytes_cap >= delta_bytes_max and entries_cap >= entries
 * (shmstate_segment_ring_info), else E_INVALID; without a ring it may be empty, and the
 * read returns the state with no patches. Every piece is copied under its own seqlock,
 * checked for its version and its checksum. E_BUSY and E_CORRUPT as for shmstate_segment_read;
 * on any failure `patches` holds none.
 */
int shmstate_segment_read_delta(shmstate_segment* seg, void* buf, size_t buf_cap, size_t* out_len,
                                uint64_t* out_checkpoint_version, shmstate_patch_buffer* patches,
                                uint64_t* out_version, shmstate_error* err);

/*
 * A catch-up read: the patches from_version+1..V (V the published version) for a caller
 * that holds the state at from_version, without taking any lock. On success either
 * *need_full is 0 and `patches` holds the patches from_version+1..*out_version in order
 * (*out_version == from_version + count: V when they all fit, fewer when the buffer filled
 * up, so call again from there), or *need_full is 1 and nothing is returned: some patch is
 * not in the ring any more (overwritten, or its commit was a checkpoint without an entry,
 * or the segment has no ring); do a fresh read (shmstate_segment_read_delta).
 * from_version == V returns no patches. `patches` needs bytes_cap >= patch_max and
 * entries_cap >= 1 on a ring segment (E_INVALID). from_version above V is E_INVALID.
 * Never returns a torn or overwritten patch; a patch whose checksum fails is E_CORRUPT.
 */
int shmstate_segment_read_patches(shmstate_segment* seg, uint64_t from_version,
                                  shmstate_patch_buffer* patches, uint64_t* out_version,
                                  int* need_full, shmstate_error* err);

/*
 * Blocks until the published version differs from `seen_version`, the timeout passes
 * (E_TIMEOUT), a signal interrupts the wait (E_INTERRUPTED: the caller decides whether
 * to retry), or *stop becomes non-zero (E_CLOSED; pair with shmstate_segment_wake).
 * `timeout_ns` < 0 waits without a time limit. `stop` may be NULL.
 * *out_version (may be NULL) receives the version seen on return.
 * E_RETIRED once the store is retired and no version after `seen_version` is left to
 * report; a wake-up with no new version also checks the name (shmstate_segment_check), a
 * timed wait's timeout included; a read-only handle's slices check it at most once per
 * 100 ms. A file removed by hand wakes nobody: an unlimited wait of a read-write handle
 * finds it only when something wakes it, so a follower that must notice waits in slices.
 */
int shmstate_segment_wait(shmstate_segment* seg, uint64_t seen_version, int64_t timeout_ns,
                          const volatile int* stop, uint64_t* out_version, shmstate_error* err);

/* Wakes every thread blocked in shmstate_segment_wait on this segment, in every
 * process, without changing the state: used to stop a local waiter after setting its
 * stop flag. Woken waiters whose version is unchanged go back to sleep. */
void shmstate_segment_wake(shmstate_segment* seg);

/* Writer-side statistics and the current waiter count. */
int shmstate_segment_stats(shmstate_segment* seg, shmstate_stats* out, shmstate_error* err);

/*
 * Who is attached. A segment created by this build has an attach table
 * (SHMSTATE_ATTACH_TABLE_ENTRIES entries): a process that attaches claims an entry (its role,
 * language, pid, start time and a random token) and holds a kernel lock on one byte of the
 * segment file for as long as it stays attached. Liveness comes from that lock, never from
 * the pid: the kernel drops it when the process detaches, closes the handle, exits or dies,
 * whatever its PID namespace, and a reused pid cannot revive an entry. docs/protocol.md
 * "The attach table" gives the bytes and the claim algorithm. The Node and Python bindings
 * attach every handle they open (as readers, upgraded to writer or subscriber on first use).
 */
#define SHMSTATE_ATTACH_TABLE_ENTRIES 128 /* entries a creator lays out */

/* Flags word bits (shmstate_stats.flags). UNTRACKED: some process attached without an
 * entry (the table was full, or the segment has none), so the table does not name every
 * user: such a segment is never to be called orphaned. Set once, never cleared. */
#define SHMSTATE_FLAG_UNTRACKED (1ull << 0)
/* SELF_CLEANING: set at creation (shmstate_create_options.self_cleaning), never changed. The
 * store is removed when the last attached process detaches (shmstate_segment_detach and so
 * close), and a store whose attached processes all died is removed by the next
 * shmstate_segment_open of its name, which then fails with E_NOENT (open_or_create creates
 * a fresh one). Never while a process is attached alive, nor with UNTRACKED set, nor before
 * anyone attached. */
#define SHMSTATE_FLAG_SELF_CLEANING (1ull << 1)
/* RETIRED: the store was unlinked (shmstate_segment_unlink) or found removed
 * (shmstate_segment_check). Set once, never cleared. Waits end with E_RETIRED, commits are
 * refused with E_RETIRED, an open of a retired store is E_NOENT; reads still work. */
#define SHMSTATE_FLAG_RETIRED (1ull << 2)
/* MIRROR: set at creation (shmstate_create_options.mirror),
 * never changed. The store follows a leader elsewhere (shmstate_stats.leader names it):
 * ordinary commits and patches are refused with E_MIRROR; shmstate_segment_mirror_commit and
 * shmstate_segment_mirror_patch publish the leader's versions. */
#define SHMSTATE_FLAG_MIRROR (1ull << 3)

typedef enum shmstate_role {
  SHMSTATE_ROLE_WRITER = 1,
  SHMSTATE_ROLE_SUBSCRIBER = 2,
  SHMSTATE_ROLE_READER = 3
} shmstate_role;

typedef enum shmstate_language {
  SHMSTATE_LANGUAGE_C = 1,
  SHMSTATE_LANGUAGE_NODE = 2,
  SHMSTATE_LANGUAGE_PYTHON = 3,
  SHMSTATE_LANGUAGE_OTHER = 4
} shmstate_language;

/* One used entry of the attach table, as shmstate_segment_attached saw it. role and
 * language are as stored (a damaged entry may hold values outside the enums). */
typedef struct shmstate_attachment {
  uint32_t index;      /* the entry's index in the table */
  uint32_t pid;        /* in the attacher's own PID namespace: for display only */
  uint32_t role;       /* shmstate_role */
  uint32_t language;   /* shmstate_language */
  uint64_t start_ns;   /* CLOCK_REALTIME at attach, nanoseconds since the epoch */
  uint64_t token;      /* random, drawn at attach */
  uint64_t generation; /* bumped by every claim of the entry */
  int alive;           /* 1: its byte lock is held; 0: its holder is gone (reclaimable) */
  int self;            /* 1: the entry of this handle's own attach */
} shmstate_attachment;

/*
 * Attaches this handle: claims an entry of the attach table (a free one, else one whose
 * holder is dead) and takes its lock. The handle then holds one file descriptor (opened by
 * name: E_NOENT if the name was unlinked or now names another segment) until it detaches or
 * closes; a forked child shares that descriptor, and with it the lock, until it closes it
 * or execs (close-on-exec). When every entry belongs to a live process, when the process has
 * no descriptor left for the lock (EMFILE, ENFILE), or when the segment has no table (made
 * by an older build), attaching still succeeds, without an entry: the header's
 * SHMSTATE_FLAG_UNTRACKED is set instead. E_INVALID for a role or language outside
 * the enums, or a handle already attached.
 */
int shmstate_segment_attach(shmstate_segment* seg, shmstate_role role, shmstate_language language,
                            shmstate_error* err);

/* Changes the role in this handle's entry, in place (a reader that starts writing becomes a
 * writer): the entry, its token and its start time stay the same. Attached without an
 * entry (untracked): does nothing. E_INVALID for a role outside the enum or a handle that
 * is not attached; E_CORRUPT when the file shrank under the entry (another process
 * truncated it), whose store would fault. Detaching skips the entry in that case. */
int shmstate_segment_set_role(shmstate_segment* seg, shmstate_role role, shmstate_error* err);

/* The entry index this handle holds, or -1 (not attached, or attached without an entry). */
int shmstate_segment_attach_index(const shmstate_segment* seg);

/* Frees this handle's entry and drops its lock (closes its descriptor). Not attached: does
 * nothing. shmstate_segment_close detaches too. */
void shmstate_segment_detach(shmstate_segment* seg);

/*
 * Removes a self-cleaning store (SHMSTATE_FLAG_SELF_CLEANING) whose attach table lists no
 * live process, under the lifecycle lock (attach.c): `*removed` (NULL is fine) is 1 when
 * this call unlinked the name. Does nothing for any other store, one with a live attached
 * process, one marked UNTRACKED, or one nobody ever attached. Detach and open call it; the
 * handle stays usable either way.
 */
int shmstate_segment_clean(shmstate_segment* seg, int* removed, shmstate_error* err);

/*
 * Lists the used entries of the attach table into out[0..max-1] (out may be NULL when max
 * is 0); *count gets how many there are (possibly more than max). Each entry's liveness
 * is its byte lock, tested with F_OFD_GETLK on a descriptor opened for the call (E_NOENT
 * as for attach). Entries are read without a lock; one changing during the read is read
 * again. A segment without a table lists none. Dead entries stay listed until a claim
 * reuses them.
 */
int shmstate_segment_attached(shmstate_segment* seg, shmstate_attachment* out, size_t max,
                              size_t* count, shmstate_error* err);

/*
 * Health, for inspection tools (`shmstate info`, `doctor`): the writer lock's state and the
 * doorbell table's entries, read without taking, repairing or freeing anything.
 */
typedef enum shmstate_lock_state {
  SHMSTATE_LOCK_FREE = 0,
  SHMSTATE_LOCK_HELD = 1,      /* by a live thread (lock_owner_tid), or one dying right now */
  SHMSTATE_LOCK_OWNER_DIED = 2 /* its owner died holding it; the next writer recovers it */
} shmstate_lock_state;

typedef struct shmstate_health {
  uint32_t lock_state;     /* shmstate_lock_state */
  uint32_t lock_owner_tid; /* the holder's thread id in its own PID namespace; 0 when free */
  uint32_t doorbells_used; /* doorbell entries not free */
  uint32_t doorbells_dead; /* of those, entries of processes that are gone (pid gone and
                            * socket refusing): the next registration reclaims them */
} shmstate_health;

/* Fills *out. The lock's state is read from glibc's robust mutex word, where the kernel
 * marks a dead owner (docs/protocol.md "The writer lock and recovery"). */
int shmstate_segment_health(shmstate_segment* seg, shmstate_health* out, shmstate_error* err);

/* One doorbell entry as inspection tools show it (`shmstate info`). */
typedef struct shmstate_doorbell_info {
  uint32_t index; /* entry number in the table, 0..63 */
  uint32_t state; /* 1 disarmed, 2 armed (free entries are not listed) */
  uint32_t pid;   /* the subscriber's pid in its own PID namespace */
  uint32_t path;  /* 1: listens on a path socket in /dev/shm; 0: an abstract socket */
  uint64_t rings; /* doorbells writers sent to this tenant */
} shmstate_doorbell_info;

/* Lists the entries that are not free, up to `max`, into `out`; *count is how many. Reads
 * only: nothing is freed or rung. */
int shmstate_segment_doorbells(shmstate_segment* seg, shmstate_doorbell_info* out, size_t max,
                               size_t* count, shmstate_error* err);

/* Doorbell path sockets in /dev/shm ("shmstate-bell.*", docs/protocol.md "Doorbells"), as
 * `shmstate doctor` counts and, with `remove`, cleans them: a dead socket (nothing bound)
 * is removed only if this process's effective uid owns it. */
typedef struct shmstate_doorbell_sweep {
  uint32_t sockets;      /* doorbell socket files found */
  uint32_t dead;         /* of those, sockets nothing is bound to */
  uint32_t dead_foreign; /* of the dead, owned by another uid: left for that uid */
  uint32_t removed;      /* dead sockets this call removed (only with `remove`) */
} shmstate_doorbell_sweep;

int shmstate_doorbell_sockets_sweep(int remove, shmstate_doorbell_sweep* out, shmstate_error* err);

/*
 * Doorbells: notification for an event loop, one wake-up per delivery. A subscriber
 * process registers a doorbell on a segment: a non-blocking, close-on-exec Unix datagram
 * socket named in one of the header's SHMSTATE_DOORBELL_MAX entries: a socket file in
 * /dev/shm next to the segment when the segment says its writers can ring one (compatible
 * feature bit 1, set by this build's creators), else an abstract name.
 * Every commit, after publishing and bumping the futex word, sends one byte to each
 * *armed* doorbell and disarms it, so at most one byte is pending per delivery however
 * many commits land. The subscriber polls shmstate_doorbell_fd() for readability, then:
 *
 *   shmstate_doorbell_drain(bell);   // empty the socket, note where the segment stands
 *   ... read the state (shmstate_segment_read / _version) and use it ...
 *   shmstate_doorbell_arm(bell, ...); // re-arm; rings itself if a commit slipped past
 *
 * docs/protocol.md "Doorbells" gives the table byte by byte, docs/concurrency.md the
 * argument that no commit is missed. A path socket reaches writers in any network
 * namespace that sees the same /dev/shm; an abstract one only writers in the subscriber's
 * own. A forked child must not use its parent's doorbell. The futex path
 * (shmstate_segment_wait) is unaffected.
 */
#define SHMSTATE_DOORBELL_MAX 64 /* doorbell subscribers per segment, all processes */

typedef struct shmstate_doorbell shmstate_doorbell;

/* Registers and arms a doorbell for this process on `seg`. Entries of processes that died
 * without unregistering are reclaimed first (the pid is gone AND its socket refuses a
 * byte). E_LIMIT when all SHMSTATE_DOORBELL_MAX entries belong to live subscribers: use
 * shmstate_segment_wait on a thread instead. `seg` must outlive the doorbell. */
int shmstate_doorbell_open(shmstate_segment* seg, shmstate_doorbell** out, shmstate_error* err);

/* The socket to poll for readability (owned by the doorbell; do not close it). */
int shmstate_doorbell_fd(const shmstate_doorbell* bell);

/* Reads every pending byte and records the segment's notification word: changes after
 * this call are caught by the next shmstate_doorbell_arm. Never blocks. The same as
 * shmstate_doorbell_discard followed by shmstate_doorbell_mark. */
void shmstate_doorbell_drain(shmstate_doorbell* bell);

/* The two halves of drain, for a caller that reads the state as soon as it wakes and
 * empties the socket afterwards (one system call less before the state is in hand):
 *
 *   shmstate_doorbell_mark(bell);     // note where the segment stands, then
 *   ... read the state and use it ...
 *   shmstate_doorbell_discard(bell);  // empty the socket (no ring arrives while disarmed)
 *   shmstate_doorbell_arm(bell, ...); // re-checks against the mark
 *
 * Discarding later is safe: a byte read by discard was sent for a commit before it, and
 * arm's re-check against the mark catches every commit after the mark. */
void shmstate_doorbell_mark(shmstate_doorbell* bell);
void shmstate_doorbell_discard(shmstate_doorbell* bell);

/*
 * A delivery turn, the loop an event-loop binding runs when the fd is readable (the Node
 * addon and Python's asyncio both use it, so they share one re-delivery policy):
 *
 *   shmstate_doorbell_turn_begin(bell);            // mark, note the version
 *   do { ... read the latest state and deliver it ... }
 *   while (shmstate_doorbell_turn_again(bell));    // a newer version landed meanwhile?
 *   shmstate_doorbell_turn_end(bell, &rang, &err); // discard, then arm (re-checks the mark)
 *
 * turn_again returns 1 while the published version moved during the last delivery, at
 * most SHMSTATE_DOORBELL_DELIVERIES_PER_TURN deliveries per turn, so a flood of commits
 * never keeps the caller from its loop. turn_end returns what shmstate_doorbell_arm does,
 * or E_RETIRED once the store is retired and the turn delivered its last version: the
 * doorbell will not ring again (stop following; see shmstate_segment_unlink).
 */
#define SHMSTATE_DOORBELL_DELIVERIES_PER_TURN 16
void shmstate_doorbell_turn_begin(shmstate_doorbell* bell);
int shmstate_doorbell_turn_again(shmstate_doorbell* bell);
int shmstate_doorbell_turn_end(shmstate_doorbell* bell, int* rang, shmstate_error* err);

/* Arms the doorbell again, then re-checks the notification word: if a commit happened
 * since the last mark or drain (or the open) it rings its own socket, so the fd is readable again
 * and nothing is missed (*rang, may be NULL, is set to 1 then). E_CLOSED if the entry was
 * taken away (a writer found the socket gone, which happens across network namespaces):
 * the doorbell will not ring again; close it and wait another way. */
int shmstate_doorbell_arm(shmstate_doorbell* bell, int* rang, shmstate_error* err);

/* Unregisters (the entry is free at once) and closes the socket. NULL is fine. */
void shmstate_doorbell_close(shmstate_doorbell* bell);

#ifdef __cplusplus
}
#endif

#endif /* SHMSTATE_H */
