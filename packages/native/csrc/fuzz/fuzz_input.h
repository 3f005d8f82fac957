/*
 * What the fuzz targets share: a per-process segment name (each run unlinks it before it
 * returns, so nothing outlives an iteration), writing bytes into that segment's file,
 * resealing the header checksum after an edit, and the checks every successful read must
 * pass (whole-state, fresh and catch-up reads).
 */
#ifndef SHMSTATE_FUZZ_INPUT_H
#define SHMSTATE_FUZZ_INPUT_H

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "layout.h"
#include "shmstate.h"

/* Where the header checksum sits and what it covers (layout.h): bytes 8..507 at 508. */
#define FUZZ_CHECKSUM_AT offsetof(shmstate_header_fixed, header_checksum)

/* Makes the header checksum of `bytes` (a segment file or mapping of `len` bytes) agree
 * with the fields, so that an edited header gets past the checksum to the checks behind
 * it. Too short a file is left alone. */
static inline void fuzz_reseal_header(unsigned char* bytes, size_t len) {
  if (len < SHMSTATE_FIXED_SIZE) return;
  uint32_t sum = shmstate_crc32c(bytes + 8, FUZZ_CHECKSUM_AT - 8);
  memcpy(bytes + FUZZ_CHECKSUM_AT, &sum, 4);
}

/* One name per fuzzing process: libFuzzer runs inputs one after another in a process,
 * and every run removes the name before it returns. Fork mode and -jobs get their own
 * pids, so parallel fuzzers never share a name. */
static inline const char* fuzz_name(const char* tag) {
  static char name[64];
  if (name[0] == '\0') snprintf(name, sizeof name, "fuzz_%s_%d", tag, (int)getpid());
  return name;
}

static inline void fuzz_path(const char* name, char* path, size_t size) {
  snprintf(path, size, "/dev/shm/shmstate.%s", name);
}

/* Writes `bytes` as the whole content of the segment file `name`, mode 0600. */
static inline int fuzz_write_file(const char* name, const unsigned char* bytes, size_t len) {
  char path[128];
  fuzz_path(name, path, sizeof path);
  unlink(path);
  int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, bytes + done, len - done);
    if (n <= 0) break;
    done += (size_t)n;
  }
  close(fd);
  return done == len ? 0 : -1;
}

static inline void fuzz_remove(const char* name) {
  char path[128];
  fuzz_path(name, path, sizeof path);
  unlink(path);
}

/* A read that claims success must hand back a payload within the capacity whose CRC32C is
 * the one the core verified; a failure must carry one of the codes readers document (on a
 * ring segment E_INVALID too: the checkpoint lags the version, use read_delta). */
static inline void fuzz_check_read(shmstate_segment* seg, unsigned char* buf, size_t buf_cap) {
  shmstate_error err;
  size_t len = 0;
  uint64_t version = 0;
  int rc = shmstate_segment_read(seg, buf, buf_cap, &len, &version, &err);
  if (rc == SHMSTATE_OK) {
    if (len > shmstate_segment_capacity(seg) || version == 0) abort();
    return;
  }
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  if (rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_BUSY &&
      !(rc == SHMSTATE_E_INVALID && info.entries != 0)) {
    fprintf(stderr, "read gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
  if (err.message[0] == '\0') abort(); /* every failure explains itself */
}

/* Patches a read returned: in order from `from` + 1, each within an entry and the buffer. */
static inline void fuzz_check_patches(const shmstate_patch_buffer* pb, uint64_t from,
                                      const shmstate_ring_info* info) {
  size_t end = 0;
  if (pb->count > pb->entries_cap || pb->used > pb->bytes_cap) abort();
  for (size_t i = 0; i < pb->count; i++) {
    const shmstate_patch* p = &pb->entries[i];
    if (p->version != from + 1 + i || p->length > info->patch_max || p->offset != end) abort();
    end += p->length;
  }
  if (end != pb->used) abort();
}

/* A fresh read (checkpoint plus patches): on success the state fits the capacity and the
 * patches join the checkpoint to the version; failures are E_CORRUPT or E_BUSY. Returns the
 * version read, or 0. */
static inline uint64_t fuzz_check_read_delta(shmstate_segment* seg) {
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  size_t cap = (size_t)shmstate_segment_capacity(seg);
  unsigned char* state = malloc(cap);
  unsigned char* bytes = malloc(info.delta_bytes_max + 1);
  shmstate_patch* entries = malloc(sizeof(shmstate_patch) * (info.entries + 1));
  uint64_t result = 0;
  if (state != NULL && bytes != NULL && entries != NULL) {
    shmstate_patch_buffer pb = {bytes, info.delta_bytes_max, entries, info.entries, 0, 0};
    shmstate_error err;
    size_t len = 0;
    uint64_t checkpoint = 0, version = 0;
    int rc = shmstate_segment_read_delta(seg, state, cap, &len, &checkpoint, &pb, &version, &err);
    if (rc == SHMSTATE_OK) {
      if (len > cap || version == 0 || checkpoint > version || pb.count != version - checkpoint) {
        abort();
      }
      fuzz_check_patches(&pb, checkpoint, &info);
      result = version;
    } else if ((rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_BUSY) || err.message[0] == '\0') {
      fprintf(stderr, "read_delta gave %s: %s\n", shmstate_code_name(rc), err.message);
      abort();
    }
  }
  free(state);
  free(bytes);
  free(entries);
  return result;
}

/* A catch-up read from `from` (at most the published version) with room for `room` patches
 * of the largest size: OK with patches in order or need_full and none, or E_CORRUPT. */
static inline void fuzz_check_read_patches(shmstate_segment* seg, uint64_t from, size_t room) {
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  if (room == 0) room = 1;
  size_t cap = (size_t)info.patch_max * room;
  unsigned char* bytes = malloc(cap + 1);
  shmstate_patch* entries = malloc(sizeof(shmstate_patch) * room);
  if (bytes != NULL && entries != NULL) {
    shmstate_patch_buffer pb = {bytes, cap, entries, room, 0, 0};
    shmstate_error err;
    uint64_t version = 0, published = shmstate_segment_version(seg);
    int need_full = -1;
    int rc = shmstate_segment_read_patches(seg, from, &pb, &version, &need_full, &err);
    if (rc == SHMSTATE_OK) {
      if (need_full != 0 && need_full != 1) abort();
      if (need_full && pb.count != 0) abort();
      if (!need_full && (version != from + pb.count || version > published)) abort();
      fuzz_check_patches(&pb, from, &info);
    } else if (!(rc == SHMSTATE_E_CORRUPT || (rc == SHMSTATE_E_INVALID && from > published)) ||
               err.message[0] == '\0') {
      fprintf(stderr, "read_patches from %llu gave %s: %s\n", (unsigned long long)from,
              shmstate_code_name(rc), err.message);
      abort();
    }
  }
  free(bytes);
  free(entries);
}

/* Whether the header's flags word in `bytes` (at least a header's worth) marks a
 * self-cleaning store: an open of such a store with no live attached process removes it
 * (E_NOENT). */
static inline int self_cleaning_flag(const unsigned char* bytes) {
  uint64_t flags;
  memcpy(&flags, bytes + offsetof(shmstate_header, flags), sizeof flags);
  return (flags & SHMSTATE_FLAG_SELF_CLEANING) != 0;
}

/* The retired flag (bit 2) in the header's flags word: an open treats such a store as
 * absent and removes it (protocol.md, "Retirement"). */
static inline int retired_flag(const unsigned char* bytes) {
  uint64_t flags;
  memcpy(&flags, bytes + offsetof(shmstate_header, flags), sizeof flags);
  return (flags & SHMSTATE_FLAG_RETIRED) != 0;
}

/* Whether the scribbled flags word marks the store a mirror, whose ordinary commits are
 * refused with E_MIRROR (protocol.md, "Mirror stores"). */
static inline int mirror_flag(const unsigned char* bytes) {
  uint64_t flags;
  memcpy(&flags, bytes + offsetof(shmstate_header, flags), sizeof flags);
  return (flags & SHMSTATE_FLAG_MIRROR) != 0;
}

#endif /* SHMSTATE_FUZZ_INPUT_H */
