/* The bytes of a segment sit exactly where docs/protocol.md says (layout 2). */
#include <stddef.h>

#include "crc32c.h"
#include "harness.h"
#include "layout.h"
#include "raw_segment.h"

static void struct_offsets_match_the_protocol(void) {
  CHECK(offsetof(shmstate_header, fixed.magic) == 0);
  CHECK(offsetof(shmstate_header, fixed.layout_version) == 8);
  CHECK(offsetof(shmstate_header, fixed.header_size) == 12);
  CHECK(offsetof(shmstate_header, fixed.capacity) == 16);
  CHECK(offsetof(shmstate_header, fixed.data_stride) == 24);
  CHECK(offsetof(shmstate_header, fixed.segment_size) == 32);
  CHECK(offsetof(shmstate_header, fixed.store_id) == 40);
  CHECK(offsetof(shmstate_header, fixed.initial_version) == 48);
  CHECK(offsetof(shmstate_header, fixed.compat_features) == 56);
  CHECK(offsetof(shmstate_header, fixed.incompat_features) == 64);
  CHECK(offsetof(shmstate_header, fixed.region_count) == 72);
  CHECK(offsetof(shmstate_header, fixed.regions) == 128);
  CHECK(offsetof(shmstate_header, fixed.header_checksum) == 508);
  CHECK(sizeof(shmstate_header_fixed) == 512);
  CHECK(sizeof(shmstate_region) == 32);
  CHECK(offsetof(shmstate_region, kind) == 0);
  CHECK(offsetof(shmstate_region, offset) == 8);
  CHECK(offsetof(shmstate_region, size) == 16);
  CHECK(offsetof(shmstate_header, writer_lock) == 512);
  CHECK(offsetof(shmstate_header, version) == 576);
  CHECK(offsetof(shmstate_header, current_slot) == 584);
  CHECK(offsetof(shmstate_header, futex_word) == 640);
  CHECK(offsetof(shmstate_header, waiters) == 644);
  CHECK(offsetof(shmstate_header, stat_commits) == 704);
  CHECK(offsetof(shmstate_header, stat_conflicts) == 712);
  CHECK(offsetof(shmstate_header, stat_lock_recoveries) == 720);
  CHECK(offsetof(shmstate_header, doorbell_count) == 768);
  CHECK(offsetof(shmstate_header, doorbell_reclaims) == 776);
  CHECK(offsetof(shmstate_header, flags) == 832);
  CHECK(sizeof(shmstate_header) == 2048);
  CHECK(offsetof(shmstate_slot_header, seq) == 0);
  CHECK(offsetof(shmstate_slot_header, version) == 8);
  CHECK(offsetof(shmstate_slot_header, length) == 16);
  CHECK(offsetof(shmstate_slot_header, checksum) == 24);
  CHECK(sizeof(shmstate_slot_header) == 64);
  /* Ring entries are records with the slot header's layout; the ring header is 64 bytes. */
  CHECK(offsetof(shmstate_record_header, seq) == 0);
  CHECK(offsetof(shmstate_record_header, version) == 8);
  CHECK(offsetof(shmstate_record_header, length) == 16);
  CHECK(offsetof(shmstate_record_header, checksum) == 24);
  CHECK(sizeof(shmstate_record_header) == 64);
  CHECK(offsetof(shmstate_ring_header, entry_count) == 0);
  CHECK(offsetof(shmstate_ring_header, entry_stride) == 4);
  CHECK(offsetof(shmstate_ring_header, state_length) == 8);
  CHECK(offsetof(shmstate_ring_header, patch_bytes) == 16);
  CHECK(sizeof(shmstate_ring_header) == 64);
  CHECK(SHMSTATE_REGION_PATCH_RING == 4 && SHMSTATE_INCOMPAT_PATCH_RING == 1);
}

/* Region table entry `i` of a raw segment: kind, offset and size. */
static int region_is(const raw_segment* raw, int i, uint32_t kind, uint64_t offset, uint64_t size) {
  size_t at = 128 + (size_t)i * 32;
  return CHECKF(
      raw_u32(raw, at) == kind && raw_u64(raw, at + 8) == offset && raw_u64(raw, at + 16) == size,
      "region %d: kind %u offset %llu size %llu", i, raw_u32(raw, at),
      (unsigned long long)raw_u64(raw, at + 8), (unsigned long long)raw_u64(raw, at + 16));
}

static void a_new_segment_has_the_documented_bytes(void) {
  const char* name = harness_name("bytes");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, 1000, 0, "hello", 5, &seg, &err), &err);
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  size_t s0 = 4096, s1 = 4096 + 64 + 1024;
  CHECK(memcmp(raw.bytes, "SHMSTAT1", 8) == 0);
  CHECK(raw_u32(&raw, 8) == 2);
  CHECK(raw_u32(&raw, 12) == 2048);
  CHECK(raw_u64(&raw, 16) == 1000);
  CHECK(raw_u64(&raw, 24) == 1024); /* capacity rounded up to 64 */
  /* 4096 + 2 * 1088 + the 8192-byte attach table, rounded to 4096 */
  CHECK(raw_u64(&raw, 32) == 16384);
  CHECK(raw.size == 16384);
  CHECK(raw_u64(&raw, 40) != 0); /* store id */
  CHECK(raw_u64(&raw, 40) == shmstate_segment_store_id(seg));
  CHECK(raw_u64(&raw, 48) == 1);                   /* initial version */
  CHECK(raw_u64(&raw, 56) == 3);                   /* compat bits 0 (attach), 1 (doorbell paths) */
  CHECK(raw_u64(&raw, 64) == 0);                   /* no incompatible bit */
  CHECK(raw_u32(&raw, 72) == 4);                   /* region_count */
  region_is(&raw, 0, 3, 2048, 2048);               /* DOORBELLS: 64 entries of 32 */
  region_is(&raw, 1, 1, s0, 64 + 1024);            /* SLOT0 */
  region_is(&raw, 2, 2, s1, 64 + 1024);            /* SLOT1 */
  region_is(&raw, 3, 5, s1 + 64 + 1024, 128 * 64); /* ATTACH: 128 entries of 64 */
  for (size_t at = 128 + 4 * 32; at < 508; at++) CHECKF(raw.bytes[at] == 0, "byte %zu", at);
  CHECK(raw_u32(&raw, 508) == shmstate_crc32c(raw.bytes + 8, 500));
  CHECK(raw_u64(&raw, 576) == 1); /* published version */
  CHECK(raw_u32(&raw, 584) == 1); /* current_slot: the initial state is in slot 1 */
  CHECK(raw_u64(&raw, 704) == 1); /* commits */
  CHECK(raw_u64(&raw, 832) == 0); /* flags */
  for (size_t at = s1 + 64 + 1024; at < s1 + 64 + 1024 + 128 * 64; at++) {
    if (!CHECKF(raw.bytes[at] == 0, "attach byte %zu", at)) break; /* every entry free */
  }
  CHECK(raw_u64(&raw, s0 + 0) == 0 && raw_u64(&raw, s0 + 8) == 0);
  uint64_t seq1 = raw_u64(&raw, s1 + 0);
  CHECK(seq1 != 0 && seq1 % 2 == 0);
  CHECK(raw_u64(&raw, s1 + 8) == 1);
  CHECK(raw_u64(&raw, s1 + 16) == 5);
  CHECK(raw_u32(&raw, s1 + 24) == shmstate_crc32c("hello", 5));
  CHECK(memcmp(raw.bytes + s1 + 64, "hello", 5) == 0);
  CHECK(raw.bytes[s1 + 64 + 5] == 0); /* the last word is zero-padded */

  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "world!", 6, 0, &v, &err), &err);
  CHECK(v == 2 && raw_u64(&raw, 576) == 2);
  CHECK(raw_u32(&raw, 584) == 0); /* the commit wrote the other slot and names it */
  CHECK(raw_u64(&raw, s0 + 8) == 2 && raw_u64(&raw, s0 + 16) == 6);
  CHECK(memcmp(raw.bytes + s0 + 64, "world!", 6) == 0);
  uint64_t seq0 = raw_u64(&raw, s0);
  CHECK(seq0 != 0 && seq0 % 2 == 0);
  CHECK(raw_u64(&raw, 704) == 2);
  raw_close(&raw);
  shmstate_segment_close(seg);
}

static void segment_sizes_round_to_4096(void) {
  static const uint64_t capacities[] = {64, 100, 1984, 1985, 4096, 65536, 1000000};
  for (size_t i = 0; i < sizeof capacities / sizeof capacities[0]; i++) {
    const char* name = harness_name("size");
    shmstate_error err;
    shmstate_segment* seg = NULL;
    CHECK_OK(shmstate_segment_create(name, capacities[i], 0, NULL, 0, &seg, &err), &err);
    raw_segment raw;
    if (!CHECK(raw_open(name, &raw) == 0)) return;
    uint64_t stride = (capacities[i] + 63) / 64 * 64;
    uint64_t want = (4096 + 2 * (64 + stride) + 128 * 64 + 4095) / 4096 * 4096;
    CHECKF(raw.size == want && raw_u64(&raw, 32) == want, "capacity %llu: size %zu want %llu",
           (unsigned long long)capacities[i], raw.size, (unsigned long long)want);
    raw_close(&raw);
    shmstate_segment_close(seg);
    shmstate_segment_unlink(name, NULL);
  }
}

int main(void) {
  static const test_case cases[] = {
      {"struct offsets match the protocol", struct_offsets_match_the_protocol},
      {"a new segment has the documented bytes", a_new_segment_has_the_documented_bytes},
      {"segment sizes round up to 4096", segment_sizes_round_to_4096},
  };
  return harness_run("layout", cases, sizeof cases / sizeof cases[0]);
}
