/*
 * The header's immutable part: the layout a creator gives a capacity, the checksum, and
 * the checks an opener makes before it trusts a single size or offset. Each failure names
 * the field, the value found and the value expected. Openers follow the region table, not
 * shmstate_geometry_for(): a later creator may place regions elsewhere.
 */
#include <inttypes.h>
#include <string.h>

#include "crc32c.h"
#include "internal.h"

/* Segment sizes are rounded to 4096 bytes whatever the host's page size, so that every
 * client computes the same segment_size from the same capacity. */
#define SEGMENT_ROUND 4096u
#define DOORBELL_TABLE_SIZE (SHMSTATE_DOORBELL_ENTRIES * sizeof(shmstate_doorbell_entry))
#define ATTACH_TABLE_SIZE ((uint64_t)SHMSTATE_ATTACH_ENTRIES * SHMSTATE_ATTACH_ENTRY_SIZE)

static uint64_t round_up(uint64_t value, uint64_t to) { return (value + to - 1) / to * to; }

void shmstate_geometry_for(uint64_t capacity, uint32_t ring_entries, uint32_t ring_stride,
                           shmstate_geometry* out) {
  uint64_t stride = round_up(capacity, 64);
  out->data_stride = stride;
  out->doorbell_offset = SHMSTATE_HEADER_SIZE;
  out->slot_offset[0] = round_up(SHMSTATE_HEADER_SIZE + DOORBELL_TABLE_SIZE, SEGMENT_ROUND);
  out->slot_offset[1] = out->slot_offset[0] + SHMSTATE_SLOT_HEADER_SIZE + stride;
  uint64_t end = out->slot_offset[1] + SHMSTATE_SLOT_HEADER_SIZE + stride;
  out->ring_entries = ring_entries;
  out->ring_stride = ring_entries != 0 ? ring_stride : 0;
  out->ring_offset = ring_entries != 0 ? end : 0; /* slots end on a multiple of 64 */
  out->ring_size =
      ring_entries != 0 ? SHMSTATE_RING_HEADER_SIZE + (uint64_t)ring_entries * ring_stride : 0;
  out->attach_offset = end + out->ring_size; /* ring sizes are multiples of 64 too */
  out->segment_size = round_up(out->attach_offset + ATTACH_TABLE_SIZE, SEGMENT_ROUND);
}

static void put_region(shmstate_header_fixed* fixed, uint32_t kind, uint64_t offset,
                       uint64_t size) {
  shmstate_region* r = &fixed->regions[fixed->region_count++];
  r->kind = kind;
  r->offset = offset;
  r->size = size;
}

void shmstate_header_fill(shmstate_header_fixed* fixed, uint64_t capacity,
                          const shmstate_geometry* g, uint64_t store_id, uint64_t initial_version) {
  /* Writers zero every reserved byte (the segment is fresh from ftruncate, but say it). */
  memset((unsigned char*)fixed + 8, 0, sizeof *fixed - 8);
  fixed->layout_version = SHMSTATE_LAYOUT_VERSION;
  fixed->header_size = SHMSTATE_HEADER_SIZE;
  fixed->capacity = capacity;
  fixed->data_stride = g->data_stride;
  fixed->segment_size = g->segment_size;
  fixed->store_id = store_id;
  fixed->initial_version = initial_version;
  fixed->compat_features = SHMSTATE_COMPAT_ATTACH | SHMSTATE_COMPAT_DOORBELL_PATHS;
  fixed->incompat_features = g->ring_entries != 0 ? SHMSTATE_INCOMPAT_PATCH_RING : 0;
  put_region(fixed, SHMSTATE_REGION_DOORBELLS, g->doorbell_offset, DOORBELL_TABLE_SIZE);
  put_region(fixed, SHMSTATE_REGION_SLOT0, g->slot_offset[0],
             SHMSTATE_SLOT_HEADER_SIZE + g->data_stride);
  put_region(fixed, SHMSTATE_REGION_SLOT1, g->slot_offset[1],
             SHMSTATE_SLOT_HEADER_SIZE + g->data_stride);
  if (g->ring_entries != 0) {
    put_region(fixed, SHMSTATE_REGION_PATCH_RING, g->ring_offset, g->ring_size);
  }
  put_region(fixed, SHMSTATE_REGION_ATTACH, g->attach_offset, ATTACH_TABLE_SIZE);
  fixed->header_checksum = shmstate_header_checksum(fixed);
}

/* CRC32C of bytes 8..507: everything after the magic (stored last, after the checksum)
 * and before the checksum itself, reserved bytes included. */
uint32_t shmstate_header_checksum(const shmstate_header_fixed* fixed) {
  return shmstate_crc32c((const unsigned char*)fixed + 8,
                         offsetof(shmstate_header_fixed, header_checksum) - 8);
}

/* Bit `bit` of `unknown` as "bit N (0x...)": the lowest unknown bit, for the message. */
static int lowest_bit(uint64_t unknown) { return __builtin_ctzll(unknown); }

static int check_features(const shmstate_header_fixed* fixed, const char* name,
                          shmstate_error* err) {
  uint64_t unknown = fixed->incompat_features & ~SHMSTATE_INCOMPAT_KNOWN;
  if (unknown != 0) {
    int bit = lowest_bit(unknown);
    return shmstate_fail(err, SHMSTATE_E_VERSION, 0,
                         "segment \"%s\" uses incompatible feature bit %d (unknown bits 0x%" PRIx64
                         "), which this build does not know; upgrade shmstate to open it",
                         name, bit, unknown);
  }
  /* Unknown compatible bits are ignored by definition. */
  return SHMSTATE_OK;
}

/* The entry of `kind` among the first `count` (already checked to lie in the segment and
 * not to overlap), or NULL; a kind that appears twice is corruption. */
static int find_region(const shmstate_header_fixed* fixed, uint32_t count, uint32_t kind,
                       const char* what, const char* name, uint64_t min_size,
                       const shmstate_region** out, shmstate_error* err) {
  *out = NULL;
  for (uint32_t i = 0; i < count; i++) {
    if (fixed->regions[i].kind != kind) continue;
    if (*out != NULL) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" lists region %s twice (region table)", name, what);
    }
    *out = &fixed->regions[i];
  }
  if (*out == NULL) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has no region %s (region table)", name, what);
  }
  if ((*out)->size < min_size) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has region %s of %" PRIu64 " bytes; it needs %" PRIu64,
                         name, what, (*out)->size, min_size);
  }
  return SHMSTATE_OK;
}

/* Every used entry lies inside the segment, after the header, aligned, and overlaps no
 * other entry. Unknown kinds pass these checks too, and are then ignored. */
static int check_region_table(const shmstate_header_fixed* fixed, const char* name,
                              shmstate_error* err) {
  uint32_t count = fixed->region_count;
  if (count > SHMSTATE_REGION_MAX) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has region_count %" PRIu32 "; at most %u fit the table",
                         name, count, SHMSTATE_REGION_MAX);
  }
  for (uint32_t i = 0; i < count; i++) {
    const shmstate_region* r = &fixed->regions[i];
    if (r->offset % SHMSTATE_REGION_ALIGN != 0 || r->size == 0) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has region %" PRIu32 " (kind %" PRIu32
                           ") at offset %" PRIu64 ", %" PRIu64
                           " bytes: regions start on a multiple of %u and are not empty",
                           name, i, r->kind, r->offset, r->size, SHMSTATE_REGION_ALIGN);
    }
    /* Written as subtractions so that no sum can overflow. */
    if (r->offset < fixed->header_size || r->offset > fixed->segment_size ||
        r->size > fixed->segment_size - r->offset) {
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                           "segment \"%s\" has region %" PRIu32 " (kind %" PRIu32
                           ") at offset %" PRIu64 ", %" PRIu64 " bytes: outside the %" PRIu64
                           "-byte segment after its header",
                           name, i, r->kind, r->offset, r->size, fixed->segment_size);
    }
    for (uint32_t j = 0; j < i; j++) {
      const shmstate_region* q = &fixed->regions[j];
      if (r->offset < q->offset + q->size && q->offset < r->offset + r->size) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "segment \"%s\" has regions %" PRIu32 " and %" PRIu32
                             " overlapping (region table)",
                             name, j, i);
      }
    }
  }
  return SHMSTATE_OK;
}

int shmstate_header_validate(const shmstate_header_fixed* fixed, uint64_t file_size,
                             shmstate_segment* seg, shmstate_error* err) {
  /* The layout version first: its meaning is fixed in every layout, and it decides how the
   * rest (the checksum's range included) is read. */
  if (fixed->layout_version != SHMSTATE_LAYOUT_VERSION) {
    if (fixed->layout_version == 1) {
      return shmstate_fail(err, SHMSTATE_E_VERSION, 0,
                           "segment \"%s\" has layout_version 1, made by an older shmstate; this "
                           "build reads layout %u. Recreate it: stop its users, unlink it and "
                           "create it again (docs/protocol.md, \"Compatibility\")",
                           seg->name, SHMSTATE_LAYOUT_VERSION);
    }
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
  int rc = check_features(fixed, seg->name, err);
  if (rc != SHMSTATE_OK) return rc;
  uint64_t capacity = fixed->capacity;
  if (capacity < SHMSTATE_CAPACITY_MIN || capacity > SHMSTATE_CAPACITY_MAX) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has capacity %" PRIu64 "; it must be in [%u, %llu]",
                         seg->name, capacity, SHMSTATE_CAPACITY_MIN,
                         (unsigned long long)SHMSTATE_CAPACITY_MAX);
  }
  uint64_t stride = round_up(capacity, 64);
  if (fixed->data_stride != stride) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has data_stride %" PRIu64 "; capacity %" PRIu64
                         " implies %" PRIu64,
                         seg->name, fixed->data_stride, capacity, stride);
  }
  if (fixed->segment_size % SEGMENT_ROUND != 0) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has segment_size %" PRIu64 "; not a multiple of %u",
                         seg->name, fixed->segment_size, SEGMENT_ROUND);
  }
  if (file_size != fixed->segment_size) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" is %" PRIu64 " bytes; header says %" PRIu64
                         " (segment_size)",
                         seg->name, file_size, fixed->segment_size);
  }
  if (fixed->store_id == 0) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0, "segment \"%s\" has store_id 0", seg->name);
  }
  if (fixed->initial_version == 0) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" has initial_version 0; versions start at 1 or later",
                         seg->name);
  }
  rc = check_region_table(fixed, seg->name, err);
  if (rc != SHMSTATE_OK) return rc;
  const shmstate_region* slots[2];
  const shmstate_region* bells;
  uint32_t count = fixed->region_count;
  uint64_t slot_size = SHMSTATE_SLOT_HEADER_SIZE + stride;
  if ((rc = find_region(fixed, count, SHMSTATE_REGION_SLOT0, "SLOT0", seg->name, slot_size,
                        &slots[0], err)) != SHMSTATE_OK ||
      (rc = find_region(fixed, count, SHMSTATE_REGION_SLOT1, "SLOT1", seg->name, slot_size,
                        &slots[1], err)) != SHMSTATE_OK ||
      (rc = find_region(fixed, count, SHMSTATE_REGION_DOORBELLS, "DOORBELLS", seg->name,
                        DOORBELL_TABLE_SIZE, &bells, err)) != SHMSTATE_OK) {
    return rc;
  }
  /* The ring: its region exactly when incompatible bit 0 says so. An old reader ignores
   * the region's kind but refuses the bit; a region without the bit is not a ring this
   * build may use, and a bit without the region is a segment it cannot read. */
  const shmstate_region* ring = NULL;
  if (fixed->incompat_features & SHMSTATE_INCOMPAT_PATCH_RING) {
    rc = find_region(fixed, count, SHMSTATE_REGION_PATCH_RING, "PATCH_RING", seg->name,
                     SHMSTATE_RING_HEADER_SIZE + 2u * SHMSTATE_RING_ENTRY_MIN, &ring, err);
    if (rc != SHMSTATE_OK) return rc;
  } else {
    for (uint32_t i = 0; i < count; i++) {
      if (fixed->regions[i].kind == SHMSTATE_REGION_PATCH_RING) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "segment \"%s\" lists region PATCH_RING without incompatible "
                             "feature bit 0, which a segment with a ring sets",
                             seg->name);
      }
    }
  }
  /* The attach table: its region exactly when compatible bit 0 says so. An old reader
   * ignores both; this build uses the table only when both agree, and a segment where they
   * disagree was made wrong (the checksum rules out a scribble). */
  const shmstate_region* attach = NULL;
  if (fixed->compat_features & SHMSTATE_COMPAT_ATTACH) {
    rc = find_region(fixed, count, SHMSTATE_REGION_ATTACH, "ATTACH", seg->name,
                     SHMSTATE_ATTACH_ENTRY_SIZE, &attach, err);
    if (rc != SHMSTATE_OK) return rc;
  } else {
    for (uint32_t i = 0; i < count; i++) {
      if (fixed->regions[i].kind == SHMSTATE_REGION_ATTACH) {
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "segment \"%s\" lists region ATTACH without compatible feature "
                             "bit 0, which a segment with an attach table sets",
                             seg->name);
      }
    }
  }
  seg->attach_offset = attach != NULL ? attach->offset : 0;
  uint64_t attach_entries = attach != NULL ? attach->size / SHMSTATE_ATTACH_ENTRY_SIZE : 0;
  seg->attach_entries = attach_entries > SHMSTATE_ATTACH_ENTRIES_MAX ? SHMSTATE_ATTACH_ENTRIES_MAX
                                                                     : (uint32_t)attach_entries;
  seg->capacity = capacity;
  seg->data_stride = stride;
  seg->ring_offset = ring != NULL ? ring->offset : 0;
  seg->ring_size = ring != NULL ? ring->size : 0;
  seg->ring_entries = 0; /* until shmstate_ring_open has checked the ring header */
  seg->ring_stride = 0;
  seg->slot_offset[0] = slots[0]->offset;
  seg->slot_offset[1] = slots[1]->offset;
  seg->doorbell_offset = bells->offset;
  seg->store_id = fixed->store_id;
  seg->initial_version = fixed->initial_version;
  return shmstate_ok(err);
}
