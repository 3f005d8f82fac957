/*
 * What the fuzz targets share: a per-process segment name (each run unlinks it before it
 * returns, so nothing outlives an iteration), writing bytes into that segment's file,
 * resealing the header checksum after an edit, and the checks every successful read must
 * pass.
 */
#ifndef SHMSTATE_FUZZ_INPUT_H
#define SHMSTATE_FUZZ_INPUT_H

#include <fcntl.h>
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
 * the one the core verified; a failure must carry one of the codes readers document. */
static inline void fuzz_check_read(shmstate_segment* seg, unsigned char* buf, size_t buf_cap) {
  shmstate_error err;
  size_t len = 0;
  uint64_t version = 0;
  int rc = shmstate_segment_read(seg, buf, buf_cap, &len, &version, &err);
  if (rc == SHMSTATE_OK) {
    if (len > shmstate_segment_capacity(seg) || version == 0) abort();
    return;
  }
  if (rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_BUSY) {
    fprintf(stderr, "read gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
  if (err.message[0] == '\0') abort(); /* every failure explains itself */
}

#endif /* SHMSTATE_FUZZ_INPUT_H */
