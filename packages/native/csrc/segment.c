/*
 * Segment names and handles: the shm path for a name, the handle allocation shared by
 * create and open, open-or-create and close. Creation is in segment_create.c, opening in
 * segment_open.c, unlinking in retire.c; docs/protocol.md describes each step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* open_or_create retries open -> create -> open this many times (each lost race means
 * another process created or removed the name in between). */
#define OPEN_OR_CREATE_ROUNDS 16

void shmstate_segment_path(const char* name, shmstate_path path) {
  snprintf(path, sizeof(shmstate_path), "%s%s", SHMSTATE_SEGMENT_PREFIX, name);
}

shmstate_segment* shmstate_segment_alloc(const char* name, shmstate_error* err) {
  shmstate_segment* seg = calloc(1, sizeof *seg);
  if (seg == NULL) {
    shmstate_fail(err, SHMSTATE_E_NOMEM, ENOMEM, "no memory for segment \"%s\"", name);
    return NULL;
  }
  snprintf(seg->name, sizeof seg->name, "%s", name);
  atomic_init(&seg->lock_timeout_ms, SHMSTATE_DEFAULT_LOCK_TIMEOUT_MS);
  atomic_init(&seg->name_checked_ns, 0);
  seg->ring_fd = -1;
  seg->attach_fd = -1;
  seg->attach_index = -1;
  return seg;
}

int shmstate_segment_open_or_create(const char* name, uint64_t capacity, uint32_t mode,
                                    const void* initial, size_t initial_len, shmstate_segment** out,
                                    int* created, shmstate_error* err) {
  return shmstate_segment_open_or_create_at(name, capacity, mode, initial, initial_len, 1, out,
                                            created, err);
}

int shmstate_segment_open_or_create_at(const char* name, uint64_t capacity, uint32_t mode,
                                       const void* initial, size_t initial_len,
                                       uint64_t initial_version, shmstate_segment** out,
                                       int* created, shmstate_error* err) {
  shmstate_create_options options = {0};
  options.capacity = capacity;
  options.mode = mode;
  options.initial_version = initial_version;
  return shmstate_segment_open_or_create_with(name, &options, initial, initial_len, out, created,
                                              err);
}

int shmstate_segment_open_or_create_with(const char* name, const shmstate_create_options* options,
                                         const void* initial, size_t initial_len,
                                         shmstate_segment** out, int* created,
                                         shmstate_error* err) {
  if (created != NULL) *created = 0;
  int rc = SHMSTATE_E_NOENT;
  for (int round = 0; round < OPEN_OR_CREATE_ROUNDS; round++) {
    rc = shmstate_segment_open(name, out, err);
    if (rc != SHMSTATE_E_NOENT) return rc;
    rc = shmstate_segment_create_with(name, options, initial, initial_len, out, err);
    if (rc == SHMSTATE_OK && created != NULL) *created = 1;
    if (rc != SHMSTATE_E_EXISTS) return rc;
    /* Another process created it between our open and create: open theirs. */
  }
  return shmstate_fail(err, SHMSTATE_E_BUSY, 0,
                       "segment \"%s\" kept appearing and disappearing over %d open/create "
                       "rounds",
                       name, OPEN_OR_CREATE_ROUNDS);
}

void shmstate_segment_close(shmstate_segment* seg) {
  if (seg == NULL) return;
  shmstate_segment_detach(seg);
  if (seg->ring_fd >= 0) close(seg->ring_fd);
  munmap(seg->base, seg->size);
  free(seg);
}
