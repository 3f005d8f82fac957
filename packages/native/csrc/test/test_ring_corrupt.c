/* Damaged patch rings: every bad ring header value, region entry, feature bit and entry
 * gives E_CORRUPT (or E_VERSION) with a message naming it, or, for a catch-up read, the
 * fall-back to a fresh read; nothing crashes or hangs, and the next checkpoint heals what a
 * writer can heal. */
#include <string.h>

#include "crc32c.h"
#include "harness.h"
#include "internal.h"
#include "raw_segment.h"

#define CAPACITY 1000u
#define ENTRIES 4u
#define STRIDE 192u /* ring_patch_max 100: 64 + 100 rounded up to 64 */
#define SLOT1_AT (4096u + 64u + 1024u)
#define RING_AT (4096u + 2u * (64u + 1024u)) /* 6272 */
#define RING_SIZE (64u + ENTRIES * STRIDE)   /* 832 */
#define ENTRY_AT(v) (RING_AT + 64u + ((v) % ENTRIES) * STRIDE)
#define INCOMPAT_AT 64u
#define REGION_COUNT_AT 72u
#define REGION_AT(i) (128u + 32u * (i)) /* DOORBELLS, SLOT0, SLOT1, PATCH_RING */

static void reseal_header(raw_segment* raw) {
  raw_put_u32(raw, 508, shmstate_crc32c(raw->bytes + 8, 500));
}

/* A ring segment whose initial state "{}" is checkpoint 1, then `patches` patch commits
 * ("p2", "p3", ... as versions 2, 3, ...; none is a checkpoint for patches <= 3), closed so
 * that opens see only the damaged bytes, and a raw mapping of it. */
static int prepare(const char* tag, int patches, const char** name, raw_segment* raw) {
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 1;
  opts.ring_entries = ENTRIES;
  opts.ring_patch_max = 100;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  *name = harness_name(tag);
  CHECK_OK(shmstate_segment_create_with(*name, &opts, "{}", 2, &seg, &err), &err);
  if (seg == NULL) return -1;
  for (int i = 0; i < patches; i++) {
    char patch[8];
    int n = snprintf(patch, sizeof patch, "p%d", i + 2);
    uint64_t v = 0;
    CHECK_OK(
        shmstate_segment_commit_patch(seg, patch, (size_t)n, NULL, 2, (uint64_t)i + 1, &v, &err),
        &err);
  }
  shmstate_segment_close(seg);
  return CHECK(raw_open(*name, raw) == 0) ? 0 : -1;
}

static void expect_open_fails(const char* name, int code, const char* needle) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), code, &err);
  CHECK(seg == NULL);
  CHECKF(harness_contains(err.message, needle), "wanted \"%s\" in \"%s\"", needle, err.message);
  shmstate_segment_close(seg);
}

typedef struct reader {
  shmstate_segment* seg;
  unsigned char state[CAPACITY];
  unsigned char bytes[CAPACITY + 128];
  shmstate_patch entries[ENTRIES];
  shmstate_patch_buffer pb;
} reader;

static int reader_open(reader* r, const char* name) {
  shmstate_error err;
  r->seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &r->seg, &err), &err);
  r->pb = (shmstate_patch_buffer){r->bytes, sizeof r->bytes, r->entries, ENTRIES, 0, 0};
  return r->seg != NULL;
}

static int fresh_read(reader* r, uint64_t* version, shmstate_error* err) {
  size_t len;
  uint64_t checkpoint;
  return shmstate_segment_read_delta(r->seg, r->state, sizeof r->state, &len, &checkpoint, &r->pb,
                                     version, err);
}

static void expect_fresh_read_fails(const char* name, const char* needle) {
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  uint64_t v = 0;
  int64_t start = harness_now_ns();
  CHECK_CODE(fresh_read(&r, &v, &err), SHMSTATE_E_CORRUPT, &err);
  CHECKF(harness_contains(err.message, needle), "wanted \"%s\" in \"%s\"", needle, err.message);
  int64_t took_ms = (harness_now_ns() - start) / 1000000;
  CHECKF(took_ms < 2000, "the verdict took %lld ms", (long long)took_ms);
  shmstate_segment_close(r.seg);
}

/* A catch-up read from `from` must give `code`; with OK, need_full must be `need_full`. */
static void expect_catch_up(const char* name, uint64_t from, int code, int need_full,
                            const char* needle) {
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  uint64_t v = 0;
  int full = -1;
  CHECK_CODE(shmstate_segment_read_patches(r.seg, from, &r.pb, &v, &full, &err), code, &err);
  if (code == SHMSTATE_OK) {
    CHECK(full == need_full && (need_full == 0 || r.pb.count == 0));
  } else {
    CHECKF(harness_contains(err.message, needle), "wanted \"%s\" in \"%s\"", needle, err.message);
  }
  shmstate_segment_close(r.seg);
}

/* ---- the ring header and the region table ---- */

static void a_bad_entry_count_is_e_corrupt(void) {
  static const uint32_t counts[] = {0, 1, 65537, UINT32_MAX};
  for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
    const char* name;
    raw_segment raw;
    if (prepare("count", 0, &name, &raw) != 0) return;
    raw_put_u32(&raw, RING_AT, counts[i]);
    char want[64];
    snprintf(want, sizeof want, "ring entry_count %u; it must be in [2, 65536]", counts[i]);
    expect_open_fails(name, SHMSTATE_E_CORRUPT, want);
    raw_close(&raw);
  }
}

static void a_bad_entry_stride_is_e_corrupt(void) {
  static const uint32_t strides[] = {0, 64, 100, 200, UINT32_MAX};
  for (size_t i = 0; i < sizeof strides / sizeof strides[0]; i++) {
    const char* name;
    raw_segment raw;
    if (prepare("stride", 0, &name, &raw) != 0) return;
    raw_put_u32(&raw, RING_AT + 4, strides[i]);
    char want[80];
    snprintf(want, sizeof want,
             "ring entry_stride %u; it must be a multiple of 64 and at least 128", strides[i]);
    expect_open_fails(name, SHMSTATE_E_CORRUPT, want);
    raw_close(&raw);
  }
}

static void entries_beyond_the_ring_region_are_e_corrupt(void) {
  static const struct {
    uint32_t count, stride;
    const char* needle;
  } cases[] = {
      {5, STRIDE, "PATCH_RING region of 832 bytes; its 5 entries of 192 bytes need 1024"},
      {4, 256, "its 4 entries of 256 bytes need 1088"},
      /* A product that would overflow 32 bits, and one near the top of 64. */
      {65536, 0xFFFFFFC0u, "its 65536 entries of 4294967232 bytes need 281474972516416"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char* name;
    raw_segment raw;
    if (prepare("beyond", 0, &name, &raw) != 0) return;
    raw_put_u32(&raw, RING_AT, cases[i].count);
    raw_put_u32(&raw, RING_AT + 4, cases[i].stride);
    expect_open_fails(name, SHMSTATE_E_CORRUPT, cases[i].needle);
    raw_close(&raw);
  }
}

static void the_ring_bit_without_a_ring_region_is_e_corrupt(void) {
  const char* name = harness_name("bitonly");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "{}", 2, &seg, &err), &err);
  shmstate_segment_close(seg);
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  raw_put_u64(&raw, INCOMPAT_AT, 1);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "has no region PATCH_RING");
  raw_close(&raw);
}

static void a_ring_region_without_the_bit_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("regiononly", 0, &name, &raw) != 0) return;
  raw_put_u64(&raw, INCOMPAT_AT, 0);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT,
                    "lists region PATCH_RING without incompatible feature bit 0");
  raw_close(&raw);
}

static void a_ring_region_too_small_for_two_entries_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("ringsmall", 0, &name, &raw) != 0) return;
  raw_put_u64(&raw, REGION_AT(3) + 16, 64 + 128);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region PATCH_RING of 192 bytes; it needs 320");
  raw_close(&raw);
}

static void a_ring_region_listed_twice_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("ringtwice", 0, &name, &raw) != 0) return;
  /* A second PATCH_RING in the free bytes after the first (7104..8192). */
  raw_put_u32(&raw, REGION_AT(4), SHMSTATE_REGION_PATCH_RING);
  raw_put_u64(&raw, REGION_AT(4) + 8, RING_AT + RING_SIZE);
  raw_put_u64(&raw, REGION_AT(4) + 16, RING_SIZE);
  raw_put_u32(&raw, REGION_COUNT_AT, 5);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "lists region PATCH_RING twice");
  raw_close(&raw);
}

static void an_unknown_incompatible_bit_beside_the_ring_bit_is_e_version(void) {
  const char* name;
  raw_segment raw;
  if (prepare("unknownbit", 0, &name, &raw) != 0) return;
  raw_put_u64(&raw, INCOMPAT_AT, 1u | 1u << 5);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_VERSION, "incompatible feature bit 5 (unknown bits 0x20)");
  raw_close(&raw);
}

static void the_ring_geometry_is_read_once_at_open(void) {
  const char* name;
  raw_segment raw;
  if (prepare("geomonce", 1, &name, &raw) != 0) return;
  reader r;
  if (!reader_open(&r, name)) return;
  /* Scribbled after the open: this handle keeps its checked copies; a new open refuses. */
  raw_put_u32(&raw, RING_AT, 60000);
  raw_put_u32(&raw, RING_AT + 4, 1u << 30);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p3", 2, NULL, 2, 2, &v, &err), &err);
  CHECK_OK(fresh_read(&r, &v, &err), &err);
  CHECK(v == 3 && r.pb.count == 2 && memcmp(r.bytes + r.pb.entries[1].offset, "p3", 2) == 0);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "its 60000 entries of 1073741824 bytes");
  shmstate_segment_close(r.seg);
  raw_close(&raw);
}

/* ---- entries and the checkpoint ---- */

static void an_entry_checksum_mismatch_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("entrysum", 2, &name, &raw) != 0) return;
  raw.bytes[ENTRY_AT(2) + 64] ^= 0x01;
  expect_fresh_read_fails(name, "checksum mismatch in the ring entry for version 2");
  expect_catch_up(name, 1, SHMSTATE_E_CORRUPT, 0,
                  "checksum mismatch in the ring entry for version 2");
  expect_catch_up(name, 2, SHMSTATE_OK, 0, NULL); /* entry 3 alone is fine */
  raw_close(&raw);
}

static void an_entry_length_beyond_the_entry_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("entrylen", 2, &name, &raw) != 0) return;
  raw_put_u64(&raw, ENTRY_AT(3) + 16, 129);
  expect_fresh_read_fails(name,
                          "ring entry for version 3 has length 129; an entry holds at most 128");
  expect_catch_up(name, 2, SHMSTATE_E_CORRUPT, 0, "has length 129");
  raw_put_u64(&raw, ENTRY_AT(3) + 16, UINT64_MAX);
  expect_catch_up(name, 2, SHMSTATE_E_CORRUPT, 0, "has length 18446744073709551615");
  raw_close(&raw);
}

static void an_entry_of_another_version_in_the_checkpoint_range_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("entryver", 3, &name, &raw) != 0) return;
  raw_put_u64(&raw, ENTRY_AT(3) + 8, 7);
  expect_fresh_read_fails(name,
                          "ring entry for version 3 holds version 7 while version 4 stays "
                          "published with its checkpoint at 1");
  expect_catch_up(name, 1, SHMSTATE_OK, 1, NULL); /* the catch-up falls back */
  expect_catch_up(name, 3, SHMSTATE_OK, 0, NULL);
  raw_close(&raw);
}

static void an_entry_stuck_odd_is_e_corrupt_not_a_hang(void) {
  const char* name;
  raw_segment raw;
  if (prepare("entryodd", 2, &name, &raw) != 0) return;
  raw_put_u64(&raw, ENTRY_AT(2), raw_u64(&raw, ENTRY_AT(2)) | 1);
  expect_fresh_read_fails(name, "ring entry for version 2 has an odd seq");
  expect_catch_up(name, 1, SHMSTATE_OK, 1, NULL);
  raw_close(&raw);
}

static void a_damaged_entry_before_the_checkpoint_only_costs_a_full_read(void) {
  const char* name;
  raw_segment raw;
  if (prepare("oldentry", 0, &name, &raw) != 0) return;
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p2", 2, NULL, 2, 1, &v, &err), &err);
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p3", 2, "{3}", 3, 2, &v, &err), &err);
  raw_put_u64(&raw, ENTRY_AT(2) + 8, 99); /* before checkpoint 3: fresh reads never need it */
  CHECK_OK(fresh_read(&r, &v, &err), &err);
  CHECK(v == 3 && r.pb.count == 0);
  expect_catch_up(name, 1, SHMSTATE_OK, 1, NULL);
  expect_catch_up(name, 2, SHMSTATE_OK, 0, NULL);
  shmstate_segment_close(r.seg);
  raw_close(&raw);
}

static void a_checkpoint_checksum_mismatch_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("cpsum", 2, &name, &raw) != 0) return;
  raw.bytes[SLOT1_AT + 64] ^= 0x01;
  expect_fresh_read_fails(name, "checksum mismatch in slot 1");
  raw_close(&raw);
}

static void a_checkpoint_above_the_version_is_e_corrupt_and_a_checkpoint_heals_it(void) {
  const char* name;
  raw_segment raw;
  if (prepare("cpahead", 2, &name, &raw) != 0) return;
  raw_put_u64(&raw, SLOT1_AT + 8, 9);
  expect_fresh_read_fails(name, "slot 1 holds version 9 but version 3 is published");
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  int due = 0;
  CHECK_OK(shmstate_segment_patch_plan(r.seg, 3, 2, 3, &due, &err), &err);
  CHECK(due == 1);
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_patch(r.seg, "p4", 2, NULL, 3, 3, &v, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "no checkpoint below the next version"), "%s", err.message);
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p4", 2, "{4}", 3, 3, &v, &err), &err);
  size_t len = 0;
  uint64_t checkpoint = 0;
  CHECK_OK(shmstate_segment_read_delta(r.seg, r.state, sizeof r.state, &len, &checkpoint, &r.pb, &v,
                                       &err),
           &err);
  CHECK(v == 4 && checkpoint == 4 && len == 3 && memcmp(r.state, "{4}", 3) == 0);
  shmstate_segment_close(r.seg);
  raw_close(&raw);
}

static void a_scribbled_patch_byte_count_forces_a_checkpoint(void) {
  const char* name;
  raw_segment raw;
  if (prepare("pbytes", 1, &name, &raw) != 0) return;
  raw_put_u64(&raw, RING_AT + 16, UINT64_MAX - 3); /* writer-side: readers never look */
  raw_put_u64(&raw, RING_AT + 8, 12345);
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(fresh_read(&r, &v, &err), &err);
  CHECK(v == 2 && r.pb.count == 1);
  int due = 0;
  CHECK_OK(shmstate_segment_patch_plan(r.seg, 2, 2, 2, &due, &err), &err);
  CHECK(due == 1);
  CHECK_CODE(shmstate_segment_commit_patch(r.seg, "p3", 2, NULL, 2, 2, &v, &err),
             SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "over their budget"), "%s", err.message);
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p3", 2, "{3}", 3, 2, &v, &err), &err);
  CHECK(raw_u64(&raw, RING_AT + 16) == 0 && raw_u64(&raw, RING_AT + 8) == 3);
  CHECK_OK(shmstate_segment_commit_patch(r.seg, "p4", 2, NULL, 3, 3, &v, &err), &err);
  CHECK(raw_u64(&raw, RING_AT + 16) == 2);
  shmstate_segment_close(r.seg);
  raw_close(&raw);
}

static void a_checkpoint_heals_a_damaged_entry(void) {
  const char* name;
  raw_segment raw;
  if (prepare("healentry", 2, &name, &raw) != 0) return;
  raw.bytes[ENTRY_AT(3) + 65] ^= 0x40;
  reader r;
  if (!reader_open(&r, name)) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_CODE(fresh_read(&r, &v, &err), SHMSTATE_E_CORRUPT, &err);
  CHECK_OK(shmstate_segment_commit(r.seg, "{whole}", 7, 3, &v, &err), &err);
  CHECK_OK(fresh_read(&r, &v, &err), &err);
  CHECK(v == 4 && r.pb.count == 0);
  shmstate_segment_close(r.seg);
  raw_close(&raw);
}

int main(void) {
  static const test_case cases[] = {
      {"a bad ring entry_count is E_CORRUPT", a_bad_entry_count_is_e_corrupt},
      {"a bad ring entry_stride is E_CORRUPT", a_bad_entry_stride_is_e_corrupt},
      {"entries beyond the ring region are E_CORRUPT (no overflow)",
       entries_beyond_the_ring_region_are_e_corrupt},
      {"the ring bit without a ring region is E_CORRUPT",
       the_ring_bit_without_a_ring_region_is_e_corrupt},
      {"a ring region without the ring bit is E_CORRUPT",
       a_ring_region_without_the_bit_is_e_corrupt},
      {"a ring region too small for two entries is E_CORRUPT",
       a_ring_region_too_small_for_two_entries_is_e_corrupt},
      {"a ring region listed twice is E_CORRUPT", a_ring_region_listed_twice_is_e_corrupt},
      {"an unknown incompatible bit beside the ring bit is E_VERSION",
       an_unknown_incompatible_bit_beside_the_ring_bit_is_e_version},
      {"the ring's geometry is read once at open", the_ring_geometry_is_read_once_at_open},
      {"an entry checksum mismatch is E_CORRUPT", an_entry_checksum_mismatch_is_e_corrupt},
      {"an entry length beyond the entry is E_CORRUPT",
       an_entry_length_beyond_the_entry_is_e_corrupt},
      {"an entry of another version after the checkpoint is E_CORRUPT; catch-up falls back",
       an_entry_of_another_version_in_the_checkpoint_range_is_e_corrupt},
      {"an entry stuck odd is E_CORRUPT, not a hang; catch-up falls back",
       an_entry_stuck_odd_is_e_corrupt_not_a_hang},
      {"a damaged entry before the checkpoint only costs catch-up a full read",
       a_damaged_entry_before_the_checkpoint_only_costs_a_full_read},
      {"a checkpoint checksum mismatch is E_CORRUPT", a_checkpoint_checksum_mismatch_is_e_corrupt},
      {"a checkpoint above the version is E_CORRUPT; a checkpoint commit heals it",
       a_checkpoint_above_the_version_is_e_corrupt_and_a_checkpoint_heals_it},
      {"a scribbled patch byte count forces a checkpoint",
       a_scribbled_patch_byte_count_forces_a_checkpoint},
      {"a checkpoint heals a damaged entry", a_checkpoint_heals_a_damaged_entry},
  };
  return harness_run("ring_corrupt", cases, sizeof cases / sizeof cases[0]);
}
