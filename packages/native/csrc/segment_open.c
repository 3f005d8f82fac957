/*
 * Opening a segment: fstat checks (type, owner, mode: trust.c), the initialisation race with
 * a creator still at work, then the header checks (and the patch ring's geometry) before any
 * size or offset is trusted. A read-only open maps the file PROT_READ.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* An opener that finds an empty file or a zero magic waits this long, in 1 ms steps, for
 * the creator to finish initialising before it gives up. */
#define INIT_WAIT_STEPS 500

static void sleep_1ms(void) {
  struct timespec ts = {0, 1000000};
  nanosleep(&ts, NULL);
}

/* Maps and validates an open segment file, waiting out a creator that is still
 * initialising it (size 0 or magic 0). */
static int open_mapped(int fd, const shmstate_trust* trust, shmstate_segment* seg,
                       shmstate_error* err) {
  for (int step = 0;; step++) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      return shmstate_fail_errno(err, errno, "cannot stat segment \"%s\"", seg->name);
    }
    int rc = shmstate_trust_check(&st, seg->name, trust, err);
    if (rc != SHMSTATE_OK) return rc;
    if (st.st_nlink == 0) {
      /* Unlinked under us (a creator that failed and cleaned up): let open_or_create retry. */
      return shmstate_fail(err, SHMSTATE_E_NOENT, 0, "segment \"%s\" was removed while opening",
                           seg->name);
    }
    if (st.st_size == 0 && step < INIT_WAIT_STEPS) {
      sleep_1ms(); /* created but not yet sized */
      continue;
    }
    if ((uint64_t)st.st_size < SHMSTATE_HEADER_SIZE) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" is %lld bytes; smaller than its %u-byte header",
                           seg->name, (long long)st.st_size, SHMSTATE_HEADER_SIZE);
    }
    size_t size = (size_t)st.st_size;
    int prot = seg->read_only ? PROT_READ : PROT_READ | PROT_WRITE;
    void* map = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      return shmstate_fail_errno(err, errno, "cannot map segment \"%s\"", seg->name);
    }
    shmstate_header* hdr = map;
    /* Pairs with the release store of the magic in initialise(): seeing the magic means
     * the whole header, the mutex and the initial slot are visible. */
    uint64_t magic = atomic_load_explicit(&hdr->fixed.magic, memory_order_acquire);
    if (magic == 0 && step < INIT_WAIT_STEPS) {
      munmap(map, size);
      sleep_1ms(); /* sized but not yet initialised */
      continue;
    }
    if (magic != SHMSTATE_MAGIC) {
      munmap(map, size);
      if (magic == 0) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "segment \"%s\" has bad magic 0 after %d ms: its creator never "
                             "finished initialising it",
                             seg->name, INIT_WAIT_STEPS);
      }
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has bad magic 0x%016" PRIx64 "; expected 0x%016llx",
                           seg->name, magic, (unsigned long long)SHMSTATE_MAGIC);
    }
    /* Validate a private copy: the shared bytes could change under the checks. */
    shmstate_header_fixed fixed;
    memcpy(&fixed, map, sizeof fixed);
    rc = shmstate_header_validate(&fixed, (uint64_t)st.st_size, seg, err);
    if (rc == SHMSTATE_OK) rc = shmstate_ring_open(seg, map, err);
    if (rc != SHMSTATE_OK) {
      munmap(map, size);
      return rc;
    }
    seg->base = map;
    seg->size = size;
    seg->hdr = hdr;
    seg->shm_dev = (uint64_t)st.st_dev;
    seg->shm_ino = (uint64_t)st.st_ino;
    return SHMSTATE_OK;
  }
}

/* Opens the name read-write, or read-only when asked or when only reading is allowed. */
static int open_file(const char* name, int read_only, int* fd_out, int* read_only_out,
                     shmstate_error* err) {
  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, (read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0 && errno == EACCES && !read_only) {
    /* Readable but not writable for us (a group member of a 0640 segment): a read-only
     * handle, which writes nothing to the segment. */
    read_only = 1;
    fd = shm_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  }
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) return shmstate_fail(err, SHMSTATE_E_NOENT, e, "no segment \"%s\"", name);
    return shmstate_fail_errno(err, e, "cannot open segment \"%s\"", name);
  }
  *fd_out = fd;
  *read_only_out = read_only;
  return SHMSTATE_OK;
}

int shmstate_segment_map(const char* name, const shmstate_open_options* options, int allow_retired,
                         shmstate_segment** out, shmstate_error* err) {
  if (out == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "out is NULL");
  *out = NULL;
  shmstate_open_options defaults = {0};
  if (options == NULL) options = &defaults;
  if (options->read_only > 1) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "read_only is %u; it must be 0 or 1",
                         options->read_only);
  }
  int rc = shmstate_name_check(name, err);
  if (rc != SHMSTATE_OK) return rc;
  shmstate_trust trust;
  rc = shmstate_trust_resolve(options->trust, &trust, err);
  if (rc != SHMSTATE_OK) return rc;
  int fd = -1, read_only = 0;
  rc = open_file(name, (int)options->read_only, &fd, &read_only, err);
  if (rc != SHMSTATE_OK) return rc;
  shmstate_segment* seg = shmstate_segment_alloc(name, err);
  if (seg == NULL) {
    close(fd);
    return SHMSTATE_E_NOMEM;
  }
  seg->read_only = read_only;
  rc = open_mapped(fd, &trust, seg, err);
  close(fd); /* the mapping keeps the object alive; holding the fd would only cost one */
  if (rc != SHMSTATE_OK) {
    free(seg);
    return rc;
  }
  if (!allow_retired && shmstate_segment_retired(seg)) {
    /* Retired: its unlinker sets the flag, then removes the name. As good as absent, so
     * that a re-open waits for the store that replaces it; and removed here if it is still
     * under the name (an unlinker that died between the two would otherwise leave the name
     * unusable: open E_NOENT, create E_EXISTS). */
    shmstate_segment_remove_if_ours(seg);
    shmstate_segment_close(seg);
    return shmstate_fail(err, SHMSTATE_E_NOENT, 0, "no segment \"%s\": it was retired (unlinked)",
                         name);
  }
  *out = seg;
  return shmstate_ok(err);
}

int shmstate_segment_open_with(const char* name, const shmstate_open_options* options,
                               shmstate_segment** out, shmstate_error* err) {
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_map(name, options, 0, &seg, err);
  if (rc != SHMSTATE_OK) return rc;
  /* A self-cleaning store left by processes that all died: remove it, and open nothing.
   * Not from a read-only handle: cleaning takes a write lock on the file. */
  int removed = 0;
  if (!seg->read_only && shmstate_segment_clean(seg, &removed, NULL) == SHMSTATE_OK && removed) {
    shmstate_segment_close(seg);
    return shmstate_fail(err, SHMSTATE_E_NOENT, 0,
                         "no segment \"%s\": it was a self-cleaning store with no live attached "
                         "process, removed",
                         name);
  }
  *out = seg;
  return shmstate_ok(err);
}

int shmstate_segment_open(const char* name, shmstate_segment** out, shmstate_error* err) {
  return shmstate_segment_open_with(name, NULL, out, err);
}

int shmstate_segment_read_only(const shmstate_segment* seg) {
  return seg != NULL && seg->read_only;
}

int shmstate_fail_read_only(const shmstate_segment* seg, const char* what, shmstate_error* err) {
  return shmstate_fail(err, SHMSTATE_E_PERM, 0,
                       "segment \"%s\" is open read-only (asked for, or not writable by this "
                       "user): cannot %s",
                       seg->name, what);
}
