/*
 * Fuzz target: arbitrary bytes as a whole segment file, then open and read it.
 *
 * Input: one flags byte, an optional edit list, then the file's bytes. The flags let the
 * fuzzer get past the checksums that would otherwise stop almost every mutation at the
 * first check:
 *   bit 0  recompute the header checksum (bytes 8..507, at 508) after the edits
 *   bit 1  store the right magic
 *   bit 2  recompute both slots' payload checksums (slots found through the region table,
 *          over their clamped lengths)
 *   bit 3  an edit list follows the flags: a count byte (at most MAX_EDITS), then that many
 *          edits of a field byte and a little-endian u64 value (see apply_edit)
 *   bit 4  recompute the patch ring's entry checksums (the ring found through the region
 *          table, over clamped lengths), so that damaged entries get past them
 * The edits name the header's fields rather than byte offsets, so that the region table,
 * the feature bits, the published version and slot index, the slot headers and the patch
 * ring's header and entries each get mutated often, not once in every few thousand byte
 * flips of an 8 KiB file.
 * Inputs whose magic would be 0 are skipped: an opener waits 500 ms for a creator that
 * has not finished (a path test_segment covers) and that wait would only slow fuzzing.
 *
 * Properties: open returns OK or one of E_CORRUPT / E_VERSION with a message; an open
 * that succeeds found a table a reader may trust (checked here independently of the core:
 * layout 2, no incompatible feature bit but the ring's, at most 8 entries, each inside the
 * file after the header, aligned and overlapping no other, SLOT0, SLOT1 and DOORBELLS once
 * each, PATCH_RING once exactly when bit 0 is set, with a ring header whose entries fit it,
 * ATTACH once exactly when compatible bit 0 is set, with room for an entry); the attach
 * table lists OK whatever its entries hold (in order, inside the region, none alive or this
 * handle's: nobody attached); the store id is not 0 and stats report it; a read of an opened
 * segment returns OK with a length within the capacity, or E_CORRUPT / E_BUSY (E_INVALID for a
 * whole-state read of a ring whose checkpoint lags); a fresh read's patches join its checkpoint to
 * its version; a catch-up read from the checkpoint, from one version back and from N back returns
 * patches in order or "need full". Never a crash, an out-of-bounds access (ASan), UB (UBSan) or a
 * hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "internal.h"

#define MAX_FILE (1u << 20)
#define MAX_EDITS 16u
#define EDIT_SIZE 9u /* field byte + u64 */

#define REGION_AT(i) \
  (offsetof(shmstate_header_fixed, regions) + (size_t)(i) * sizeof(shmstate_region))

static uint64_t get_u64(const unsigned char* bytes, size_t at) {
  uint64_t v;
  memcpy(&v, bytes + at, 8);
  return v;
}

static uint32_t get_u32(const unsigned char* bytes, size_t at) {
  uint32_t v;
  memcpy(&v, bytes + at, 4);
  return v;
}

/* Stores the low `width` bytes of `value` at `at` if they fit in the file. */
static void put(unsigned char* bytes, size_t len, size_t at, size_t width, uint64_t value) {
  if (at > len || len - at < width) return;
  memcpy(bytes + at, &value, width);
}

/* The offset of slot `index`'s header according to the region table, or 0 if the table
 * names no such slot inside the file. Only the fuzzer's own resealing and edits use it. */
static size_t slot_at(const unsigned char* bytes, size_t len, unsigned index) {
  if (len < SHMSTATE_FIXED_SIZE) return 0;
  uint32_t count = get_u32(bytes, offsetof(shmstate_header_fixed, region_count));
  if (count > SHMSTATE_REGION_MAX) count = SHMSTATE_REGION_MAX;
  for (uint32_t i = 0; i < count; i++) {
    if (get_u32(bytes, REGION_AT(i)) != SHMSTATE_REGION_SLOT0 + index) continue;
    uint64_t at = get_u64(bytes, REGION_AT(i) + offsetof(shmstate_region, offset));
    if (at == 0 || at > len || len - at < SHMSTATE_SLOT_HEADER_SIZE) return 0;
    return (size_t)at;
  }
  return 0;
}

/* The patch ring's region offset and its entry_count and entry_stride as the file says,
 * or 0 if the table names no ring inside the file or its header is not usable for edits. */
static size_t ring_at(const unsigned char* bytes, size_t len, uint32_t* count, uint32_t* stride) {
  if (len < SHMSTATE_FIXED_SIZE) return 0;
  uint32_t regions = get_u32(bytes, offsetof(shmstate_header_fixed, region_count));
  if (regions > SHMSTATE_REGION_MAX) regions = SHMSTATE_REGION_MAX;
  for (uint32_t i = 0; i < regions; i++) {
    if (get_u32(bytes, REGION_AT(i)) != SHMSTATE_REGION_PATCH_RING) continue;
    uint64_t at = get_u64(bytes, REGION_AT(i) + offsetof(shmstate_region, offset));
    if (at == 0 || at > len || len - at < SHMSTATE_RING_HEADER_SIZE) return 0;
    *count = get_u32(bytes, at);
    *stride = get_u32(bytes, at + 4);
    if (*count == 0 || *stride < SHMSTATE_RECORD_HEADER_SIZE) return 0;
    return (size_t)at;
  }
  return 0;
}

/* Entry `index` (mod the count) of the ring at `ring`, if its header lies in the file. */
static size_t entry_at(size_t ring, uint32_t count, uint32_t stride, unsigned index, size_t len) {
  uint64_t at = ring + SHMSTATE_RING_HEADER_SIZE + (uint64_t)(index % count) * stride;
  if (at > len || len - at < SHMSTATE_RECORD_HEADER_SIZE) return 0;
  return (size_t)at;
}

/* A field an edit stores its value into: where, and how many bytes (0: not a plain field). */
typedef struct field_spec {
  size_t at;
  size_t width;
} field_spec;

#define FIXED(member, width) {offsetof(shmstate_header_fixed, member), width}
#define LIVE(member, width) {offsetof(shmstate_header, member), width}
#define ENTRY(member, width) {offsetof(shmstate_region, member), width}
#define SLOT(member, width) {offsetof(shmstate_slot_header, member), width}

/* The header fields, by the low 4 bits of an edit's field byte (see apply_edit). */
static const field_spec header_fields[16] = {
    [0] = FIXED(layout_version, 4),  [1] = FIXED(header_size, 4),  [2] = FIXED(capacity, 8),
    [3] = FIXED(data_stride, 8),     [4] = FIXED(segment_size, 8), [5] = FIXED(store_id, 8),
    [6] = FIXED(initial_version, 8), [9] = FIXED(region_count, 4), [13] = LIVE(version, 8),
    [14] = LIVE(current_slot, 4),
};
/* Region entry fields (10..12) and slot header fields (15, bits 5..6 pick one). */
static const field_spec entry_fields[3] = {ENTRY(kind, 4), ENTRY(offset, 8), ENTRY(size, 8)};
static const field_spec slot_fields[4] = {SLOT(seq, 8), SLOT(version, 8), SLOT(length, 8),
                                          SLOT(checksum, 4)};
/* Patch ring header fields (ring edits, bits 0..1). Entries are records: slot_fields. */
#define RING(member, width) {offsetof(shmstate_ring_header, member), width}
static const field_spec ring_fields[4] = {RING(entry_count, 4), RING(entry_stride, 4),
                                          RING(state_length, 8), RING(patch_bytes, 8)};

/*
 * One edit. The low 4 bits of `field` pick what it changes; for region entries bits 4..6
 * pick the entry, for slot headers bit 4 picks the slot and bits 5..6 the field:
 *   0 layout_version   1 header_size      2 capacity         3 data_stride
 *   4 segment_size     5 store_id         6 initial_version
 *   7 compat_features: sets bit (value % 64)
 *   8 incompat_features: sets bit (value % 64)
 *   9 region_count     10 region kind     11 region offset   12 region size
 *   13 published version                  14 current_slot
 *   15 slot header (found through the region table): seq, version, length or checksum
 * With bit 7 set the edit is to the patch ring (found through the region table): bit 6
 * clear, a ring header field by bits 0..1 (entry_count, entry_stride, state_length,
 * patch_bytes); bit 6 set, an entry's header field by bits 0..1 (seq, version, length,
 * checksum) of entry (bits 2..5) modulo entry_count.
 */
static void apply_edit(unsigned char* bytes, size_t len, uint8_t field, uint64_t value) {
  unsigned what = field & 15u;
  field_spec f = header_fields[what];
  if (field & 0x80u) {
    uint32_t count, stride;
    size_t ring = ring_at(bytes, len, &count, &stride);
    if (ring == 0) return;
    if (field & 0x40u) {
      size_t entry = entry_at(ring, count, stride, (field >> 2) & 15u, len);
      if (entry == 0) return;
      f = slot_fields[field & 3u];
      f.at += entry;
    } else {
      f = ring_fields[field & 3u];
      f.at += ring;
    }
  } else if (what == 7 || what == 8) {
    f.at = what == 7 ? offsetof(shmstate_header_fixed, compat_features)
                     : offsetof(shmstate_header_fixed, incompat_features);
    f.width = 8;
    if (f.at + 8 > len) return;
    value = get_u64(bytes, f.at) | 1ull << (value % 64);
  } else if (what >= 10 && what <= 12) {
    f = entry_fields[what - 10];
    f.at += REGION_AT((field >> 4) & 7u);
  } else if (what == 15) {
    size_t slot = slot_at(bytes, len, (field >> 4) & 1u);
    if (slot == 0) return;
    f = slot_fields[(field >> 5) & 3u];
    f.at += slot;
  }
  if (f.width != 0) put(bytes, len, f.at, f.width, value);
}

static void reseal_slots(unsigned char* bytes, size_t len) {
  if (len < SHMSTATE_FIXED_SIZE) return; /* no capacity or region table to read */
  uint64_t capacity = get_u64(bytes, offsetof(shmstate_header_fixed, capacity));
  if (capacity < SHMSTATE_CAPACITY_MIN || capacity > SHMSTATE_CAPACITY_MAX) return;
  for (unsigned i = 0; i < 2; i++) {
    size_t at = slot_at(bytes, len, i);
    if (at == 0) continue;
    uint64_t length = get_u64(bytes, at + 16);
    if (length > capacity) length = capacity;
    if (len - at - SHMSTATE_SLOT_HEADER_SIZE < length) continue;
    uint32_t sum = shmstate_crc32c(bytes + at + SHMSTATE_SLOT_HEADER_SIZE, (size_t)length);
    memcpy(bytes + at + 24, &sum, 4);
  }
}

/* Entry checksums over their lengths clamped to the entry (flag bit 4). */
static void reseal_entries(unsigned char* bytes, size_t len) {
  uint32_t count, stride;
  size_t ring = ring_at(bytes, len, &count, &stride);
  if (ring == 0 || count > SHMSTATE_RING_ENTRIES_MAX) return;
  for (uint32_t i = 0; i < count; i++) {
    size_t entry = entry_at(ring, count, stride, i, len);
    if (entry == 0) return;
    uint64_t length = get_u64(bytes, entry + 16);
    if (length > stride - SHMSTATE_RECORD_HEADER_SIZE)
      length = stride - SHMSTATE_RECORD_HEADER_SIZE;
    if (len - entry - SHMSTATE_RECORD_HEADER_SIZE < length) return;
    uint32_t sum = shmstate_crc32c(bytes + entry + SHMSTATE_RECORD_HEADER_SIZE, (size_t)length);
    memcpy(bytes + entry + 24, &sum, 4);
  }
}

/* The table an opened segment has must be one a reader may trust: checked without the
 * core's code, so that a check the core drops or gets wrong shows here. */
static void expect_trusted_table(const unsigned char* bytes, size_t len) {
  if (get_u32(bytes, offsetof(shmstate_header_fixed, layout_version)) != SHMSTATE_LAYOUT_VERSION ||
      (get_u64(bytes, offsetof(shmstate_header_fixed, incompat_features)) &
       ~SHMSTATE_INCOMPAT_KNOWN) != 0) {
    abort();
  }
  uint32_t count = get_u32(bytes, offsetof(shmstate_header_fixed, region_count));
  if (count > SHMSTATE_REGION_MAX) abort();
  unsigned seen[6] = {0};
  uint64_t ring = 0, ring_size = 0, attach_size = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t kind = get_u32(bytes, REGION_AT(i));
    uint64_t at = get_u64(bytes, REGION_AT(i) + offsetof(shmstate_region, offset));
    uint64_t size = get_u64(bytes, REGION_AT(i) + offsetof(shmstate_region, size));
    if (at < SHMSTATE_HEADER_SIZE || at % SHMSTATE_REGION_ALIGN != 0 || size == 0 || at > len ||
        size > len - at) {
      abort();
    }
    for (uint32_t j = 0; j < i; j++) {
      uint64_t other = get_u64(bytes, REGION_AT(j) + offsetof(shmstate_region, offset));
      uint64_t other_size = get_u64(bytes, REGION_AT(j) + offsetof(shmstate_region, size));
      if (at < other + other_size && other < at + size) abort();
    }
    if (kind < 6) seen[kind]++;
    if (kind == SHMSTATE_REGION_ATTACH) attach_size = size;
    if (kind == SHMSTATE_REGION_PATCH_RING) {
      ring = at;
      ring_size = size;
    }
  }
  if (seen[SHMSTATE_REGION_SLOT0] != 1 || seen[SHMSTATE_REGION_SLOT1] != 1 ||
      seen[SHMSTATE_REGION_DOORBELLS] != 1) {
    abort();
  }
  int has_ring = (get_u64(bytes, offsetof(shmstate_header_fixed, incompat_features)) &
                  SHMSTATE_INCOMPAT_PATCH_RING) != 0;
  if (seen[SHMSTATE_REGION_PATCH_RING] != (has_ring ? 1u : 0u)) abort();
  int has_attach = (get_u64(bytes, offsetof(shmstate_header_fixed, compat_features)) &
                    SHMSTATE_COMPAT_ATTACH) != 0;
  if (seen[SHMSTATE_REGION_ATTACH] != (has_attach ? 1u : 0u)) abort();
  if (has_attach && attach_size < SHMSTATE_ATTACH_ENTRY_SIZE) abort();
  if (has_ring) {
    if (ring_size < SHMSTATE_RING_HEADER_SIZE) abort();
    uint64_t entries = get_u32(bytes, ring), stride = get_u32(bytes, ring + 4);
    /* entries <= 2^16 and stride < 2^32: the product cannot overflow 64 bits. */
    if (entries < 2 || entries > SHMSTATE_RING_ENTRIES_MAX || stride % 64 != 0 || stride < 128 ||
        SHMSTATE_RING_HEADER_SIZE + entries * stride > ring_size) {
      abort();
    }
  }
}

/* The attach table lists what its entries say, whatever they say: OK, entries in order
 * inside the region (at most SHMSTATE_ATTACH_ENTRIES_MAX of them), none alive (nobody holds
 * a lock on this file) and none this handle's (it never attached). */
static void list_attached(shmstate_segment* seg, const unsigned char* bytes) {
  enum { MAX_LISTED = 8 };
  shmstate_attachment out[MAX_LISTED];
  size_t count = 0;
  shmstate_error err;
  int rc = shmstate_segment_attached(seg, out, MAX_LISTED, &count, &err);
  if (rc != SHMSTATE_OK) {
    fprintf(stderr, "attached gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  }
  uint64_t entries = 0;
  uint32_t regions = get_u32(bytes, offsetof(shmstate_header_fixed, region_count));
  for (uint32_t i = 0; i < regions && i < SHMSTATE_REGION_MAX; i++) {
    if (get_u32(bytes, REGION_AT(i)) == SHMSTATE_REGION_ATTACH)
      entries = get_u64(bytes, REGION_AT(i) + offsetof(shmstate_region, size)) /
                SHMSTATE_ATTACH_ENTRY_SIZE;
  }
  if (entries > SHMSTATE_ATTACH_ENTRIES_MAX) entries = SHMSTATE_ATTACH_ENTRIES_MAX;
  if (count > entries) abort();
  for (size_t i = 0; i < count && i < MAX_LISTED; i++) {
    if (out[i].index >= entries || out[i].alive || out[i].self) abort();
    if (i > 0 && out[i].index <= out[i - 1].index) abort();
  }
}

static void read_opened(shmstate_segment* seg) {
  shmstate_error err;
  size_t cap = (size_t)shmstate_segment_capacity(seg);
  unsigned char* buf = malloc(cap);
  if (buf != NULL) {
    fuzz_check_read(seg, buf, cap);
    fuzz_check_read(seg, buf, cap);
    free(buf);
  }
  shmstate_stats st;
  if (shmstate_segment_stats(seg, &st, &err) != SHMSTATE_OK) abort();
  if (st.store_id == 0 || st.store_id != shmstate_segment_store_id(seg)) abort();
  /* The catch-up: a fresh read, then patches from the checkpoint, from one version back and
   * from as far back as the ring reaches, with room for all of them or for one. */
  fuzz_check_read_delta(seg);
  uint64_t version = shmstate_segment_version(seg);
  size_t entries = st.ring_entries;
  if (st.checkpoint_version <= version)
    fuzz_check_read_patches(seg, st.checkpoint_version, entries);
  if (version > 0) fuzz_check_read_patches(seg, version - 1, 1);
  if (version > entries) fuzz_check_read_patches(seg, version - entries, entries);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t flags = data[0];
  size_t head = 1;
  if (flags & 8) {
    if (size < 2 || data[1] > MAX_EDITS || size - 2 < (size_t)data[1] * EDIT_SIZE) return 0;
    head = 2 + (size_t)data[1] * EDIT_SIZE;
  }
  if (size - head < 8 || size - head > MAX_FILE) return 0;
  size_t len = size - head;
  unsigned char* bytes = malloc(len);
  if (bytes == NULL) return 0;
  memcpy(bytes, data + head, len);
  for (size_t e = 2; e < head; e += EDIT_SIZE)
    apply_edit(bytes, len, data[e], get_u64(data, e + 1));
  if (flags & 2) {
    uint64_t magic = SHMSTATE_MAGIC;
    memcpy(bytes, &magic, 8);
  }
  if (flags & 4) reseal_slots(bytes, len);
  if (flags & 16) reseal_entries(bytes, len);
  if (flags & 1) fuzz_reseal_header(bytes, len);
  const char* name = fuzz_name("bytes");
  if (get_u64(bytes, 0) == 0 || fuzz_write_file(name, bytes, len) != 0) {
    free(bytes);
    return 0;
  }

  shmstate_error err;
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_open(name, &seg, &err);
  if (rc == SHMSTATE_OK) list_attached(seg, bytes); /* through the name: before it goes */
  fuzz_remove(name); /* the mapping keeps the segment alive; the name must not outlive us */
  if (rc == SHMSTATE_OK) {
    expect_trusted_table(bytes, len);
    read_opened(seg);
    shmstate_segment_close(seg);
  } else if (rc == SHMSTATE_E_NOENT && len >= sizeof(shmstate_header) &&
             (self_cleaning_flag(bytes) || retired_flag(bytes))) {
    /* The bytes mark a self-cleaning store and list no live attached process, or a retired
     * store: the opener removed it, as documented (protocol.md, "Self-cleaning",
     * "Retirement"). */
  } else if (rc != SHMSTATE_E_CORRUPT && rc != SHMSTATE_E_VERSION) {
    fprintf(stderr, "open gave %s: %s\n", shmstate_code_name(rc), err.message);
    abort();
  } else if (seg != NULL || err.message[0] == '\0') {
    abort();
  }
  free(bytes);
  return 0;
}
