/*
 * Creating a segment: exclusive create, exact mode, pages reserved, header (with a fresh
 * random store id), the patch ring's header if it has one, and initial state written, and
 * the magic stored last so that no opener uses a half-made segment. create and create_at
 * are create_with with default options.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int check_create_args(uint64_t capacity, uint32_t mode, const void* initial,
                             size_t initial_len, shmstate_error* err) {
  if (capacity < SHMSTATE_CAPACITY_MIN || capacity > SHMSTATE_CAPACITY_MAX) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "capacity is %" PRIu64 "; it must be in [%u, %llu]", capacity,
                         SHMSTATE_CAPACITY_MIN, (unsigned long long)SHMSTATE_CAPACITY_MAX);
  }
  if (initial == NULL && initial_len > 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "initial state is NULL but %zu bytes long",
                         initial_len);
  }
  if (initial_len > capacity) {
    return shmstate_fail(err, SHMSTATE_E_CAPACITY, 0,
                         "initial state is %zu bytes; capacity is %" PRIu64, initial_len, capacity);
  }
  if ((mode & ~0777u) != 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "mode is 0%o; only permission bits 0777 "
                         "are allowed",
                         mode);
  }
  if ((mode & 0600u) != 0600u) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "mode is 0%o; the owner needs read and write (0600)", mode);
  }
  if ((mode & 0002u) != 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "mode is 0%o; world-writable segments are refused at open", mode);
  }
  return SHMSTATE_OK;
}

/* The ring options; on success *stride is the entry stride (0 without a ring): the patch
 * capacity plus the 64-byte entry header, rounded up to 64. */
static int check_ring_args(uint32_t entries, uint64_t patch_max, uint32_t* stride,
                           shmstate_error* err) {
  *stride = 0;
  if (entries == 0) {
    if (patch_max != 0) {
      return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                           "ring_patch_max is %" PRIu64 " but ring_entries is 0 (no ring)",
                           patch_max);
    }
    return SHMSTATE_OK;
  }
  if (entries < SHMSTATE_RING_ENTRIES_MIN || entries > SHMSTATE_RING_ENTRIES_MAX) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "ring_entries is %" PRIu32 "; it must be 0 (no ring) or in [%u, %u]",
                         entries, SHMSTATE_RING_ENTRIES_MIN, SHMSTATE_RING_ENTRIES_MAX);
  }
  /* Bounded first, so that the sums and the product below cannot overflow. */
  if (patch_max == 0 || patch_max > SHMSTATE_RING_BYTES_MAX) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "ring_patch_max is %" PRIu64 "; it must be in [1, %llu]", patch_max,
                         (unsigned long long)SHMSTATE_RING_BYTES_MAX);
  }
  uint64_t entry = (SHMSTATE_RECORD_HEADER_SIZE + patch_max + 63) / 64 * 64;
  uint64_t total = SHMSTATE_RING_HEADER_SIZE + entries * entry;
  if (total > SHMSTATE_RING_BYTES_MAX) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "a ring of %" PRIu32 " entries of %" PRIu64
                         " bytes (ring_patch_max %" PRIu64 ") is %" PRIu64 " bytes; at most %llu",
                         entries, entry, patch_max, total,
                         (unsigned long long)SHMSTATE_RING_BYTES_MAX);
  }
  *stride = (uint32_t)entry;
  return SHMSTATE_OK;
}

/* A random, non-zero store id. It tells stores of one name apart; it is not a secret, so
 * when the kernel has no randomness to give (early boot) the clock and pid stand in. */
static uint64_t new_store_id(void) {
  uint64_t id = 0;
  if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    id = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40) ^
         (uint64_t)(uintptr_t)&ts;
  }
  return id != 0 ? id : 1;
}

/* Fills a freshly mapped, zeroed segment and publishes it: the magic goes last. */
static int initialise(shmstate_segment* seg, uint64_t capacity, const shmstate_geometry* g,
                      const void* initial, size_t initial_len, uint64_t initial_version,
                      uint64_t flags, const char* leader, shmstate_error* err) {
  shmstate_header* hdr = seg->hdr;
  shmstate_header_fill(&hdr->fixed, capacity, g, new_store_id(), initial_version);
  int rc = shmstate_writer_lock_init(hdr, err);
  if (rc != SHMSTATE_OK) return rc;
  seg->capacity = capacity;
  seg->data_stride = g->data_stride;
  seg->slot_offset[0] = g->slot_offset[0];
  seg->slot_offset[1] = g->slot_offset[1];
  seg->doorbell_offset = g->doorbell_offset;
  seg->ring_offset = g->ring_offset;
  seg->ring_size = g->ring_size;
  seg->ring_entries = g->ring_entries;
  seg->ring_stride = g->ring_stride;
  seg->attach_offset = g->attach_offset;
  seg->attach_entries = SHMSTATE_ATTACH_ENTRIES;
  seg->store_id = hdr->fixed.store_id;
  seg->initial_version = initial_version;
  /* The initial state goes into slot 1 and current_slot names it; slot 0 stays zero
   * (version 0) until the first commit. Any slot would do: readers follow the index. With a
   * ring the initial state is the first checkpoint; every entry stays zero (version 0). */
  shmstate_record_write(seg, shmstate_slot(seg, 1), initial_version, initial, initial_len,
                        SHMSTATE_CRASH_NEVER);
  if (shmstate_has_ring(seg)) shmstate_ring_init(seg, initial_len);
  atomic_store_explicit(&hdr->current_slot, 1, memory_order_relaxed);
  atomic_store_explicit(&hdr->version, initial_version, memory_order_relaxed);
  atomic_store_explicit(&hdr->stat_commits, 1, memory_order_relaxed);
  atomic_store_explicit(&hdr->stat_last_commit_ns, shmstate_realtime_ns(), memory_order_relaxed);
  atomic_store_explicit(&hdr->flags, flags, memory_order_relaxed);
  if (flags & SHMSTATE_FLAG_MIRROR) shmstate_mirror_init(seg, leader);
  /* Pairs with the acquire load of the magic in open_mapped(): an opener that sees the
   * magic sees every field, the mutex, slot 1 and the ring header written above. */
  atomic_store_explicit(&hdr->fixed.magic, SHMSTATE_MAGIC, memory_order_release);
  return SHMSTATE_OK;
}

int shmstate_segment_create(const char* name, uint64_t capacity, uint32_t mode, const void* initial,
                            size_t initial_len, shmstate_segment** out, shmstate_error* err) {
  return shmstate_segment_create_at(name, capacity, mode, initial, initial_len, 1, out, err);
}

int shmstate_segment_create_at(const char* name, uint64_t capacity, uint32_t mode,
                               const void* initial, size_t initial_len, uint64_t initial_version,
                               shmstate_segment** out, shmstate_error* err) {
  shmstate_create_options options = {0};
  options.capacity = capacity;
  options.mode = mode;
  options.initial_version = initial_version;
  return shmstate_segment_create_with(name, &options, initial, initial_len, out, err);
}

int shmstate_segment_create_with(const char* name, const shmstate_create_options* options,
                                 const void* initial, size_t initial_len, shmstate_segment** out,
                                 shmstate_error* err) {
  if (out == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "out is NULL");
  *out = NULL;
  if (options == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "options is NULL");
  uint64_t capacity = options->capacity;
  uint64_t initial_version = options->initial_version;
  if (initial_version == 0) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "initial version is 0; versions start at 1 or later");
  }
  int rc = shmstate_name_check(name, err);
  if (rc != SHMSTATE_OK) return rc;
  if (options->has_group > 1) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "has_group is %u; it must be 0 or 1",
                         options->has_group);
  }
  if (options->self_cleaning > 1) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "self_cleaning is %u; it must be 0 or 1",
                         options->self_cleaning);
  }
  rc = shmstate_mirror_check_options(options, err);
  if (rc != SHMSTATE_OK) return rc;
  uint32_t mode = options->mode != 0 ? options->mode : SHMSTATE_DEFAULT_MODE;
  rc = check_create_args(capacity, mode, initial, initial_len, err);
  if (rc != SHMSTATE_OK) return rc;
  uint32_t ring_stride;
  rc = check_ring_args(options->ring_entries, options->ring_patch_max, &ring_stride, err);
  if (rc != SHMSTATE_OK) return rc;

  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return shmstate_fail_errno(err, errno, "cannot create segment \"%s\"", name);

  shmstate_geometry g;
  shmstate_geometry_for(capacity, options->ring_entries, ring_stride, &g);
  shmstate_segment* seg = NULL;
  void* map = MAP_FAILED;
  struct stat st;
  /* The group first, then the mode: fchown may clear mode bits. */
  if (options->has_group && fchown(fd, (uid_t)-1, (gid_t)options->group) != 0) {
    rc = shmstate_fail_errno(err, errno,
                             "cannot give segment \"%s\" the group %u (the creator must be a "
                             "member of it)",
                             name, options->group);
  } else if (fchmod(fd, (mode_t)mode) != 0) {
    /* fchmod, not the shm_open mode: umask must not change the segment's mode. */
    rc = shmstate_fail_errno(err, errno, "cannot set mode 0%o on segment \"%s\"", mode, name);
  } else if (ftruncate(fd, (off_t)g.segment_size) != 0) {
    rc = shmstate_fail_errno(err, errno, "cannot size segment \"%s\" to %" PRIu64 " bytes", name,
                             g.segment_size);
  } else if ((rc = posix_fallocate(fd, 0, (off_t)g.segment_size)) != 0) {
    /* Reserve every page now: a full tmpfs is ENOSPC here, never SIGBUS on a later write. */
    rc = shmstate_fail_errno(err, rc, "cannot reserve %" PRIu64 " bytes for segment \"%s\"",
                             g.segment_size, name);
  } else if ((map = mmap(NULL, g.segment_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
             MAP_FAILED) {
    rc = shmstate_fail_errno(err, errno, "cannot map segment \"%s\"", name);
  } else if ((seg = shmstate_segment_alloc(name, err)) == NULL) {
    rc = SHMSTATE_E_NOMEM;
  } else if (fstat(fd, &st) != 0) {
    rc = shmstate_fail_errno(err, errno, "cannot stat segment \"%s\"", name);
  } else {
    seg->shm_dev = (uint64_t)st.st_dev;
    seg->shm_ino = (uint64_t)st.st_ino;
    seg->base = map;
    seg->size = g.segment_size;
    seg->hdr = map;
    uint64_t flags = (options->self_cleaning ? SHMSTATE_FLAG_SELF_CLEANING : 0) |
                     (options->mirror ? SHMSTATE_FLAG_MIRROR : 0);
    rc = initialise(seg, capacity, &g, initial, initial_len, initial_version, flags,
                    options->leader, err);
  }
  close(fd);
  if (rc != SHMSTATE_OK) {
    if (map != MAP_FAILED) munmap(map, g.segment_size);
    free(seg);
    shm_unlink(path); /* the name is ours (O_EXCL): leave nothing half-made behind */
    return rc;
  }
  *out = seg;
  return shmstate_ok(err);
}

void shmstate_ring_default(shmstate_create_options* options) {
  /* An entry is a 64-byte header and the patch, a multiple of 64 bytes in all. */
  uint64_t capacity_patch = ((options->capacity + 64u + 63u) & ~(uint64_t)63u) - 64u;
  options->ring_entries = SHMSTATE_RING_ENTRIES_DEFAULT;
  options->ring_patch_max = capacity_patch < SHMSTATE_RING_PATCH_MAX_DEFAULT
                                ? capacity_patch
                                : SHMSTATE_RING_PATCH_MAX_DEFAULT;
}
