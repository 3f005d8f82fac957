/* Tests that inspect or damage a segment map its file directly, bypassing the core. */
#ifndef SHMSTATE_TEST_RAW_SEGMENT_H
#define SHMSTATE_TEST_RAW_SEGMENT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct raw_segment {
  int fd;
  unsigned char* bytes;
  size_t size;
} raw_segment;

static inline int raw_open(const char* name, raw_segment* raw) {
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  raw->fd = open(path, O_RDWR | O_CLOEXEC);
  if (raw->fd < 0) return -1;
  struct stat st;
  if (fstat(raw->fd, &st) != 0) return -1;
  raw->size = (size_t)st.st_size;
  raw->bytes =
      raw->size == 0 ? NULL : mmap(NULL, raw->size, PROT_READ | PROT_WRITE, MAP_SHARED, raw->fd, 0);
  return raw->bytes == MAP_FAILED ? -1 : 0;
}

static inline void raw_close(raw_segment* raw) {
  if (raw->bytes != NULL && raw->bytes != MAP_FAILED) munmap(raw->bytes, raw->size);
  close(raw->fd);
}

static inline uint64_t raw_u64(const raw_segment* raw, size_t at) {
  uint64_t v;
  memcpy(&v, raw->bytes + at, 8);
  return v;
}
static inline uint32_t raw_u32(const raw_segment* raw, size_t at) {
  uint32_t v;
  memcpy(&v, raw->bytes + at, 4);
  return v;
}
static inline void raw_put_u64(raw_segment* raw, size_t at, uint64_t v) {
  memcpy(raw->bytes + at, &v, 8);
}
static inline void raw_put_u32(raw_segment* raw, size_t at, uint32_t v) {
  memcpy(raw->bytes + at, &v, 4);
}

#endif /* SHMSTATE_TEST_RAW_SEGMENT_H */
