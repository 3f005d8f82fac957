/* Damaged segments: every bad header field, region entry, slot field or payload gives
 * E_CORRUPT or E_VERSION with a message naming the field; nothing crashes or hangs. What a
 * reader must tolerate (unknown compatible features and region kinds, a slot index that
 * lags the version) opens and works. */
#include <sys/mman.h>

#include "crc32c.h"
#include "harness.h"
#include "raw_segment.h"

#define CAPACITY 1000u
#define SEGMENT_SIZE 16384u /* the slots end at 6272, the attach table at 14464 */
#define SLOT0 4096u
#define SLOT1 (4096u + 64u + 1024u) /* slot 1 holds version 1 */
#define COMPAT_AT 56u
#define INCOMPAT_AT 64u
#define REGION_COUNT_AT 72u
/* Region table entry i (kind u32 at +0, offset u64 at +8, size u64 at +16). A creator
 * lists DOORBELLS, SLOT0, SLOT1, ATTACH in that order. */
#define REGION_AT(i) (128u + 32u * (i))
#define KIND_AT(i) REGION_AT(i)
#define OFFSET_AT(i) (REGION_AT(i) + 8u)
#define SIZE_AT(i) (REGION_AT(i) + 16u)
#define VERSION_AT 576u
#define CURRENT_SLOT_AT 584u

/* A fresh segment and a raw mapping of its file; the segment handle is closed so that
 * opens see only the damaged bytes. */
static int prepare(const char* tag, const char** name, raw_segment* raw) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  *name = harness_name(tag);
  CHECK_OK(shmstate_segment_create(*name, CAPACITY, 0, "{\"ok\":true}", 11, &seg, &err), &err);
  if (seg == NULL) return -1;
  shmstate_segment_close(seg);
  return CHECK(raw_open(*name, raw) == 0) ? 0 : -1;
}

/* After an edit of the fixed part: the checksum (CRC32C of bytes 8..507, at 508) agrees
 * again, so the opener gets past it to the field under test. */
static void reseal_header(raw_segment* raw) {
  raw_put_u32(raw, 508, shmstate_crc32c(raw->bytes + 8, 500));
}

/* Opening must fail with `code` and a message containing `needle`. */
static void expect_open_fails(const char* name, int code, const char* needle) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), code, &err);
  CHECK(seg == NULL);
  CHECKF(harness_contains(err.message, needle), "wanted \"%s\" in \"%s\"", needle, err.message);
  shmstate_segment_close(seg);
}

/* Opening succeeds, reading must fail with `code` and a message containing `needle`. */
static void expect_read_fails(const char* name, int code, const char* needle) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  char buf[CAPACITY];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), code, &err);
  CHECKF(harness_contains(err.message, needle), "wanted \"%s\" in \"%s\"", needle, err.message);
  shmstate_segment_close(seg);
}

static void bad_magic(void) {
  const char* name;
  raw_segment raw;
  if (prepare("magic", &name, &raw) != 0) return;
  raw.bytes[0] ^= 0xFF;
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "bad magic");
  raw_close(&raw);
}

static void wrong_layout_version(void) {
  const char* name;
  raw_segment raw;
  if (prepare("layoutv", &name, &raw) != 0) return;
  raw_put_u32(&raw, 8, 3);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_VERSION, "layout_version 3; this build supports 2");
  raw_close(&raw);
}

static void bad_header_checksum(void) {
  const char* name;
  raw_segment raw;
  if (prepare("hdrsum", &name, &raw) != 0) return;
  raw_put_u64(&raw, 16, 1u << 20); /* capacity changed, checksum not */
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "header_checksum");
  raw_close(&raw);
}

static void inconsistent_header_fields_with_valid_checksum(void) {
  static const struct {
    size_t at;
    uint64_t value;
    int is_u32;
    const char* needle;
  } cases[] = {
      {12, 8192, 1, "header_size 8192"},
      {16, 0, 0, "capacity 0"},
      {16, 1ull << 40, 0, "capacity 1099511627776"},
      {24, 64, 0, "data_stride 64"},
      {32, 1ull << 40, 0, "header says 1099511627776 (segment_size)"},
      {32, 4096 + 100, 0, "segment_size 4196; not a multiple of 4096"},
      {40, 0, 0, "store_id 0"},
      {48, 0, 0, "initial_version 0"},
      {OFFSET_AT(1), 0, 0, "region 1 (kind 1) at offset 0"},
      {OFFSET_AT(2), 1ull << 62, 0, "region 2 (kind 2) at offset 4611686018427387904"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char* name;
    raw_segment raw;
    if (prepare("fields", &name, &raw) != 0) return;
    if (cases[i].is_u32) {
      raw_put_u32(&raw, cases[i].at, (uint32_t)cases[i].value);
    } else {
      raw_put_u64(&raw, cases[i].at, cases[i].value);
    }
    reseal_header(&raw);
    expect_open_fails(name, SHMSTATE_E_CORRUPT, cases[i].needle);
    raw_close(&raw);
  }
}

static void truncated_file(void) {
  const char* name;
  raw_segment raw;
  if (prepare("trunc", &name, &raw) != 0) return;
  size_t full = raw.size;
  raw_close(&raw); /* unmap before shrinking */
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  CHECK(truncate(path, 4096) == 0);
  char want[80];
  snprintf(want, sizeof want, "is 4096 bytes; header says %zu", full);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, want);
  CHECK(truncate(path, 100) == 0);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "is 100 bytes; smaller than its 2048-byte header");
}

static void grown_file(void) {
  const char* name;
  raw_segment raw;
  if (prepare("grown", &name, &raw) != 0) return;
  raw_close(&raw);
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  CHECK(truncate(path, 1 << 20) == 0);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "is 1048576 bytes; header says 16384");
}

static void length_beyond_capacity_in_current_slot(void) {
  const char* name;
  raw_segment raw;
  if (prepare("length", &name, &raw) != 0) return;
  raw_put_u64(&raw, SLOT1 + 16, CAPACITY + 1);
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "length 1001; capacity is 1000");
  raw_put_u64(&raw, SLOT1 + 16, UINT64_MAX); /* would overflow any unclamped size */
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "length 18446744073709551615");
  raw_close(&raw);
}

static void payload_checksum_mismatch(void) {
  const char* name;
  raw_segment raw;
  if (prepare("paysum", &name, &raw) != 0) return;
  raw.bytes[SLOT1 + 64 + 3] ^= 0x01;
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "checksum mismatch in slot 1");
  raw_close(&raw);
}

static void slot_version_disagrees_with_published_version(void) {
  const char* name;
  raw_segment raw;
  if (prepare("slotver", &name, &raw) != 0) return;
  raw_put_u64(&raw, SLOT1 + 8, 0); /* lower than published; the other slot holds 0 too */
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "slot version");
  raw_put_u64(&raw, SLOT1 + 8, 7); /* ahead of a published version that never moves */
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "slot 1 holds version 7");
  raw_close(&raw);
}

static void published_version_zero(void) {
  const char* name;
  raw_segment raw;
  if (prepare("ver0", &name, &raw) != 0) return;
  raw_put_u64(&raw, VERSION_AT, 0);
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "publishes version 0");
  raw_close(&raw);
}

/* No writer writes the slot of a version that stays published, so an odd seq there is
 * damage, reported after the reader's patience, not E_BUSY after 100000 attempts. */
static void current_slot_stuck_odd_is_e_corrupt_not_a_hang(void) {
  const char* name;
  raw_segment raw;
  if (prepare("stuck", &name, &raw) != 0) return;
  raw_put_u64(&raw, SLOT1, raw_u64(&raw, SLOT1) | 1);
  int64_t start = harness_now_ns();
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "slot 1 has an odd seq");
  int64_t took_ms = (harness_now_ns() - start) / 1000000;
  CHECKF(took_ms < 2000, "the verdict took %lld ms", (long long)took_ms);
  raw_close(&raw);
}

static void a_commit_heals_a_corrupt_current_slot(void) {
  const char* name;
  raw_segment raw;
  if (prepare("heal", &name, &raw) != 0) return;
  raw.bytes[SLOT1 + 64] ^= 0xFF;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "fresh", 5, 0, &v, &err), &err);
  char buf[CAPACITY];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 2 && len == 5 && memcmp(buf, "fresh", 5) == 0);
  shmstate_segment_close(seg);
  raw_close(&raw);
}

static void a_creator_that_never_finished(void) {
  /* Sized but magic 0: the opener waits out the initialisation window, then refuses. */
  const char* name = harness_name("nomagic");
  char path[300];
  snprintf(path, sizeof path, "/shmstate.%s", name);
  int fd = shm_open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (!CHECK(fd >= 0)) return;
  CHECK(ftruncate(fd, 8192) == 0);
  close(fd);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "never finished initialising");
  /* Empty file: same wait, then too small for a header. */
  const char* empty = harness_name("empty");
  snprintf(path, sizeof path, "/shmstate.%s", empty);
  fd = shm_open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (!CHECK(fd >= 0)) return;
  close(fd);
  expect_open_fails(empty, SHMSTATE_E_CORRUPT, "is 0 bytes");
}

/* Opening, reading, committing and reading back must all work. */
static void expect_open_read_commit_work(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  char buf[CAPACITY];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 1 && len == 11 && memcmp(buf, "{\"ok\":true}", 11) == 0);
  CHECK_OK(shmstate_segment_commit(seg, "next", 4, 1, &v, &err), &err);
  CHECK(v == 2);
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 2 && len == 4 && memcmp(buf, "next", 4) == 0);
  shmstate_segment_close(seg);
}

static void an_unknown_compatible_feature_bit_is_ignored(void) {
  const char* name;
  raw_segment raw;
  if (prepare("compat", &name, &raw) != 0) return;
  raw_put_u64(&raw, COMPAT_AT, raw_u64(&raw, COMPAT_AT) | 1ull << 17);
  reseal_header(&raw);
  expect_open_read_commit_work(name);
  raw_close(&raw);
}

static void an_unknown_incompatible_feature_bit_is_e_version_naming_it(void) {
  const char* name;
  raw_segment raw;
  if (prepare("incompat", &name, &raw) != 0) return;
  raw_put_u64(&raw, INCOMPAT_AT, 1ull << 5);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_VERSION, "incompatible feature bit 5 ");
  raw_close(&raw);
}

/* Rewrites the header as layout 1 laid it out: a 4096-byte header with the slot offsets
 * at 32 and 40, segment_size at 48, the checksum of bytes 8..55 at 56, the version at 128. */
static void rewrite_as_layout_1(raw_segment* raw) {
  memset(raw->bytes + 8, 0, 4096 - 8);
  raw_put_u32(raw, 8, 1);
  raw_put_u32(raw, 12, 4096);
  raw_put_u64(raw, 16, CAPACITY);
  raw_put_u64(raw, 24, 1024);
  raw_put_u64(raw, 32, SLOT0);
  raw_put_u64(raw, 40, SLOT1);
  raw_put_u64(raw, 48, SEGMENT_SIZE);
  raw_put_u32(raw, 56, shmstate_crc32c(raw->bytes + 8, 48));
  raw_put_u64(raw, 128, 1);
}

static void a_layout_1_segment_is_e_version_saying_recreate_it(void) {
  const char* name;
  raw_segment raw;
  if (prepare("layout1", &name, &raw) != 0) return;
  rewrite_as_layout_1(&raw);
  expect_open_fails(name, SHMSTATE_E_VERSION, "layout_version 1");
  expect_open_fails(name, SHMSTATE_E_VERSION, "Recreate it");
  raw_close(&raw);
}

static void a_region_outside_the_file_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("regout", &name, &raw) != 0) return;
  raw_put_u64(&raw, OFFSET_AT(2), SEGMENT_SIZE + 4096); /* starts past the end */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region 2 (kind 2) at offset 20480");
  raw_put_u64(&raw, OFFSET_AT(2), SEGMENT_SIZE - 64); /* starts inside, ends past the end */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "outside the 16384-byte segment");
  raw_put_u64(&raw, OFFSET_AT(2), SLOT1);
  raw_put_u64(&raw, SIZE_AT(2), UINT64_MAX); /* a size no sum may overflow with */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "18446744073709551615 bytes: outside");
  raw_close(&raw);
}

static void a_region_inside_the_header_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("reghdr", &name, &raw) != 0) return;
  raw_put_u64(&raw, OFFSET_AT(0), 1024); /* the doorbells over the header's live words */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region 0 (kind 3) at offset 1024");
  raw_close(&raw);
}

static void a_misaligned_region_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("regalign", &name, &raw) != 0) return;
  raw_put_u64(&raw, OFFSET_AT(1), SLOT0 + 8); /* 8-aligned but not 64 */
  raw_put_u64(&raw, SIZE_AT(1), 64 + 1024 - 8);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region 1 (kind 1) at offset 4104");
  raw_close(&raw);
}

static void overlapping_regions_are_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("overlap", &name, &raw) != 0) return;
  raw_put_u64(&raw, OFFSET_AT(2), SLOT0 + 64); /* SLOT1 starts inside SLOT0 */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "regions 1 and 2 overlapping");
  raw_close(&raw);
}

static void a_missing_slot1_region_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("noslot1", &name, &raw) != 0) return;
  raw_put_u32(&raw, REGION_COUNT_AT, 2); /* the table ends before SLOT1 */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "has no region SLOT1");
  raw_close(&raw);
}

static void a_missing_doorbell_region_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("nobells", &name, &raw) != 0) return;
  raw_put_u32(&raw, KIND_AT(0), 42); /* still a valid entry, of a kind nobody knows */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "has no region DOORBELLS");
  raw_close(&raw);
}

static void a_duplicated_slot0_region_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("dupslot", &name, &raw) != 0) return;
  raw_put_u32(&raw, KIND_AT(2), 1); /* SLOT1's entry now says SLOT0 */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "lists region SLOT0 twice");
  raw_close(&raw);
}

static void a_slot_region_too_small_for_the_capacity_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("slotsmall", &name, &raw) != 0) return;
  raw_put_u64(&raw, SIZE_AT(2), 64 + 512);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region SLOT1 of 576 bytes; it needs 1088");
  raw_close(&raw);
}

static void a_region_count_above_8_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("regcount", &name, &raw) != 0) return;
  raw_put_u32(&raw, REGION_COUNT_AT, 9);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region_count 9; at most 8");
  raw_put_u32(&raw, REGION_COUNT_AT, UINT32_MAX);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "region_count 4294967295");
  raw_close(&raw);
}

static void an_unknown_region_kind_inside_the_file_is_ignored(void) {
  const char* name;
  raw_segment raw;
  if (prepare("regkind", &name, &raw) != 0) return;
  /* The attach table ends at 6272 + 8192 = 14464; the rest of the 16384 bytes is free. */
  raw_put_u32(&raw, KIND_AT(4), 42);
  raw_put_u64(&raw, OFFSET_AT(4), 14464 + 64);
  raw_put_u64(&raw, SIZE_AT(4), 1024);
  raw_put_u32(&raw, REGION_COUNT_AT, 5);
  reseal_header(&raw);
  expect_open_read_commit_work(name);
  raw_close(&raw);
}

static void an_attach_region_without_compat_bit_0_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("attnobit", &name, &raw) != 0) return;
  raw_put_u64(&raw, COMPAT_AT, 0);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT,
                    "lists region ATTACH without compatible feature bit 0");
  raw_close(&raw);
}

static void compat_bit_0_without_an_attach_region_is_e_corrupt(void) {
  const char* name;
  raw_segment raw;
  if (prepare("attnoreg", &name, &raw) != 0) return;
  raw_put_u32(&raw, REGION_COUNT_AT, 3); /* the table ends before ATTACH */
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "has no region ATTACH");
  raw_close(&raw);
}

static void a_scribbled_current_slot_is_e_corrupt_for_readers(void) {
  const char* name;
  raw_segment raw;
  if (prepare("slot7", &name, &raw) != 0) return;
  raw_put_u32(&raw, CURRENT_SLOT_AT, 7);
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "current_slot 7; it must be 0 or 1");
  raw_close(&raw);
}

static void the_next_commit_repairs_a_scribbled_current_slot(void) {
  const char* name;
  raw_segment raw;
  if (prepare("slot7fix", &name, &raw) != 0) return;
  raw_put_u32(&raw, CURRENT_SLOT_AT, 7);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "fixed", 5, 0, &v, &err), &err);
  CHECK(v == 2);
  CHECKF(raw_u32(&raw, CURRENT_SLOT_AT) <= 1, "current_slot %u", raw_u32(&raw, CURRENT_SLOT_AT));
  char buf[CAPACITY];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 2 && len == 5 && memcmp(buf, "fixed", 5) == 0);
  shmstate_segment_close(seg);
  raw_close(&raw);
}

/* A fresh handle reads version 2, "second" (the lagging-index test's state). */
static void expect_a_fresh_reader_sees_second(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  char buf[CAPACITY];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 2 && len == 6 && memcmp(buf, "second", 6) == 0);
  shmstate_segment_close(seg);
}

/* What a writer killed between its two publishing stores leaves: the version names the
 * new state, the slot index still the old one. Readers find the version in the other slot. */
static void a_current_slot_lagging_the_version_still_reads_the_published_version(void) {
  const char* name;
  raw_segment raw;
  if (prepare("lag", &name, &raw) != 0) return;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg == NULL) return;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "second", 6, 0, &v, &err), &err);
  CHECK(v == 2 && raw_u32(&raw, CURRENT_SLOT_AT) == 0);
  raw_put_u32(&raw, CURRENT_SLOT_AT, 1); /* back to slot 1, which holds version 1 */
  char buf[CAPACITY];
  for (int i = 0; i < 3; i++) {
    size_t len = 0;
    CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
    CHECK(v == 2 && len == 6 && memcmp(buf, "second", 6) == 0);
  }
  expect_a_fresh_reader_sees_second(name);
  shmstate_segment_close(seg);
  raw_close(&raw);
}

int main(void) {
  static const test_case cases[] = {
      {"bad magic is E_CORRUPT", bad_magic},
      {"wrong layout version is E_VERSION", wrong_layout_version},
      {"bad header checksum is E_CORRUPT naming it", bad_header_checksum},
      {"inconsistent header fields are E_CORRUPT naming each",
       inconsistent_header_fields_with_valid_checksum},
      {"a truncated file is E_CORRUPT naming both sizes", truncated_file},
      {"a grown file is E_CORRUPT naming both sizes", grown_file},
      {"length beyond capacity is E_CORRUPT", length_beyond_capacity_in_current_slot},
      {"payload checksum mismatch is E_CORRUPT", payload_checksum_mismatch},
      {"slot version disagreeing is E_CORRUPT", slot_version_disagrees_with_published_version},
      {"published version 0 is E_CORRUPT", published_version_zero},
      {"a current slot stuck odd is E_CORRUPT (odd seq), not a hang",
       current_slot_stuck_odd_is_e_corrupt_not_a_hang},
      {"a commit heals a corrupt current slot", a_commit_heals_a_corrupt_current_slot},
      {"a creator that never finished is E_CORRUPT", a_creator_that_never_finished},
      {"an unknown compatible feature bit is ignored: open, read and commit work",
       an_unknown_compatible_feature_bit_is_ignored},
      {"an unknown incompatible feature bit is E_VERSION naming the bit",
       an_unknown_incompatible_feature_bit_is_e_version_naming_it},
      {"a layout-1 segment is E_VERSION saying to recreate it",
       a_layout_1_segment_is_e_version_saying_recreate_it},
      {"a region entry outside the file is E_CORRUPT", a_region_outside_the_file_is_e_corrupt},
      {"a region entry inside the header is E_CORRUPT", a_region_inside_the_header_is_e_corrupt},
      {"a misaligned region entry is E_CORRUPT", a_misaligned_region_is_e_corrupt},
      {"overlapping region entries are E_CORRUPT", overlapping_regions_are_e_corrupt},
      {"a missing SLOT1 region is E_CORRUPT", a_missing_slot1_region_is_e_corrupt},
      {"a missing DOORBELLS region is E_CORRUPT", a_missing_doorbell_region_is_e_corrupt},
      {"a duplicated SLOT0 region is E_CORRUPT", a_duplicated_slot0_region_is_e_corrupt},
      {"a slot region too small for the capacity is E_CORRUPT",
       a_slot_region_too_small_for_the_capacity_is_e_corrupt},
      {"a region_count above 8 is E_CORRUPT", a_region_count_above_8_is_e_corrupt},
      {"an unknown region kind inside the file is ignored",
       an_unknown_region_kind_inside_the_file_is_ignored},
      {"an ATTACH region without compatible bit 0 is E_CORRUPT",
       an_attach_region_without_compat_bit_0_is_e_corrupt},
      {"compatible bit 0 without an ATTACH region is E_CORRUPT",
       compat_bit_0_without_an_attach_region_is_e_corrupt},
      {"current_slot scribbled to 7 is E_CORRUPT for readers",
       a_scribbled_current_slot_is_e_corrupt_for_readers},
      {"the next commit repairs a scribbled current_slot",
       the_next_commit_repairs_a_scribbled_current_slot},
      {"a current_slot lagging the version still reads the published version",
       a_current_slot_lagging_the_version_still_reads_the_published_version},
  };
  return harness_run("corrupt", cases, sizeof cases / sizeof cases[0]);
}
