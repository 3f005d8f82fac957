/*
 * Fuzz target: arbitrary bytes as a whole segment file, then open and read it.
 *
 * Input: one flags byte, then the file's bytes. The flags let the fuzzer get past the
 * checksums that would otherwise stop almost every mutation at the first check:
 *   bit 0  recompute the header checksum over the mutated fields
 *   bit 1  store the right magic
 *   bit 2  recompute both slots' payload checksums (over their clamped lengths)
 * Inputs whose magic would be 0 are skipped: an opener waits 500 ms for a creator that
 * has not finished (a path test_segment covers) and that wait would only slow fuzzing.
 *
 * Property: open returns OK or one of E_CORRUPT / E_VERSION / E_PERM with a message; a
 * read of an opened segment returns OK with a length within the capacity, or E_CORRUPT /
 * E_BUSY. Never a crash, an out-of-bounds access (ASan), UB (UBSan) or a hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "internal.h"

#define MAX_FILE (1u << 20)

static void reseal_slots(unsigned char* bytes, size_t len) {
  if (len < 24) return; /* no capacity field to read */
  uint64_t capacity;
  memcpy(&capacity, bytes + 16, 8);
  if (capacity < SHMSTATE_CAPACITY_MIN || capacity > SHMSTATE_CAPACITY_MAX) return;
  shmstate_geometry g;
  shmstate_geometry_for(capacity, &g);
  for (int i = 0; i < 2; i++) {
    uint64_t at = g.slot_offset[i];
    if (at + SHMSTATE_SLOT_HEADER_SIZE + g.data_stride > len) return;
    uint64_t length;
    memcpy(&length, bytes + at + 16, 8);
    if (length > capacity) length = capacity;
    uint32_t sum = shmstate_crc32c(bytes + at + SHMSTATE_SLOT_HEADER_SIZE, (size_t)length);
    memcpy(bytes + at + 24, &sum, 4);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 + 8 || size - 1 > MAX_FILE) return 0;
  uint8_t flags = data[0];
  size_t len = size - 1;
  unsigned char* bytes = malloc(len);
  if (bytes == NULL) return 0;
  memcpy(bytes, data + 1, len);
  if (flags & 2) {
    uint64_t magic = SHMSTATE_MAGIC;
    memcpy(bytes, &magic, 8);
  }
  if ((flags & 1) && len >= 60) {
    uint32_t sum = shmstate_crc32c(bytes + 8, 48);
    memcpy(bytes + 56, &sum, 4);
  }
  if (flags & 4) reseal_slots(bytes, len);
  uint64_t magic;
  memcpy(&magic, bytes, 8);
  const char* name = fuzz_name("bytes");
  if (magic == 0 || fuzz_write_file(name, bytes, len) != 0) {
    free(bytes);
    return 0;
  }
  free(bytes);

  shmstate_error err;
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_open(name, &seg, &err);
  fuzz_remove(name); /* the mapping keeps the segment alive; the name must not outlive us */
  if (rc == SHMSTATE_OK) {
    size_t cap = (size_t)shmstate_segment_capacity(seg);
    unsigned char* buf = malloc(cap);
    if (buf != NULL) {
      fuzz_check_read(seg, buf, cap);
      fuzz_check_read(seg, buf, cap);
      free(buf);
    }
    shmstate_stats st;
    if (shmstate_segment_stats(seg, &st, &err) != SHMSTATE_OK) abort();
    shmstate_segment_close(seg);
  } else if (rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_VERSION) {
    fprintf(stderr, "open gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  } else if (seg != NULL || err.message[0] == '\0') {
    abort();
  }
  return 0;
}
