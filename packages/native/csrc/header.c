/*
 * The header's immutable fields: the geometry a capacity implies, their checksum, and
 * the checks an opener makes before it trusts a single size or offset. Each failure names
 * the field, the value found and the value expected.
 */
#include <inttypes.h>

#include "crc32c.h"
#include "internal.h"

/* Segment sizes are rounded to 4096 bytes whatever the host's page size, so that every
 * client computes the same segment_size from the same capacity. */
#define SEGMENT_ROUND 4096u

static uint64_t round_up(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }

void shmstate_geometry_for(uint64_t capacity, shmstate_geometry* out) {
  uint64_t stride = round_up(capacity, 64);
  out->data_stride = stride;
  out->slot_offset[0] = SHMSTATE_HEADER_SIZE;
  out->slot_offset[1] = SHMSTATE_HEADER_SIZE + SHMSTATE_SLOT_HEADER_SIZE + stride;
  out->segment_size =
      round_up(SHMSTATE_HEADER_SIZE + 2 * (SHMSTATE_SLOT_HEADER_SIZE + stride), SEGMENT_ROUND);
}

/* CRC32C of bytes 8..55: layout_version through segment_size (the magic is excluded
 * because it is stored last, after the checksum). */
uint32_t shmstate_header_checksum(const shmstate_header_fixed* fixed) {
  return shmstate_crc32c((const unsigned char*)fixed + 8, 48);
}

int shmstate_header_validate(const shmstate_header_fixed* fixed, uint64_t file_size,
                             shmstate_segment* seg, shmstate_error* err) {
  if (fixed->layout_version != SHMSTATE_LAYOUT_VERSION) {
    return shmstate_fail(err, SHMSTATE_E_VERSION, 0,
                         "segment \"%s\" has layout_version %" PRIu32 "; this build supports %u",
                         seg->name, fixed->layout_version, SHMSTATE_LAYOUT_VERSION);
  }
  if (fixed->header_size != SHMSTATE_HEADER_SIZE) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has header_size %" PRIu32 "; expected %u", seg->name,
                         fixed->header_size, SHMSTATE_HEADER_SIZE);
  }
  uint32_t computed = shmstate_header_checksum(fixed);
  if (fixed->header_checksum != computed) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has header_checksum 0x%08" PRIx32
                         " but its fields sum to 0x%08" PRIx32,
                         seg->name, fixed->header_checksum, computed);
  }
  uint64_t capacity = fixed->capacity;
  if (capacity < SHMSTATE_CAPACITY_MIN || capacity > SHMSTATE_CAPACITY_MAX) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has capacity %" PRIu64 "; it must be in [%u, %llu]",
                         seg->name, capacity, SHMSTATE_CAPACITY_MIN,
                         (unsigned long long)SHMSTATE_CAPACITY_MAX);
  }
  shmstate_geometry g;
  shmstate_geometry_for(capacity, &g);
  if (fixed->data_stride != g.data_stride) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has data_stride %" PRIu64 "; capacity %" PRIu64
                         " implies %" PRIu64,
                         seg->name, fixed->data_stride, capacity, g.data_stride);
  }
  for (int i = 0; i < 2; i++) {
    if (fixed->slot_offset[i] != g.slot_offset[i]) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has slot_offset[%d] %" PRIu64 "; expected %" PRIu64,
                           seg->name, i, fixed->slot_offset[i], g.slot_offset[i]);
    }
  }
  if (fixed->segment_size != g.segment_size) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has segment_size %" PRIu64 "; capacity %" PRIu64
                         " implies %" PRIu64,
                         seg->name, fixed->segment_size, capacity, g.segment_size);
  }
  if (file_size != fixed->segment_size) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" is %" PRIu64 " bytes; header says %" PRIu64
                         " (segment_size)",
                         seg->name, file_size, fixed->segment_size);
  }
  seg->capacity = capacity;
  seg->data_stride = g.data_stride;
  seg->slot_offset[0] = g.slot_offset[0];
  seg->slot_offset[1] = g.slot_offset[1];
  return shmstate_ok(err);
}
