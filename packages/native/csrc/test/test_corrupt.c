/* Damaged segments: every bad header field, slot field or payload gives E_CORRUPT or
 * E_VERSION with a message naming the field; nothing crashes or hangs. */
#include <sys/mman.h>

#include "crc32c.h"
#include "harness.h"
#include "raw_segment.h"

#define CAPACITY 1000u
#define SLOT1 (4096u + 64u + 1024u) /* slot 1 holds version 1 */

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

static void reseal_header(raw_segment* raw) {
  raw_put_u32(raw, 56, shmstate_crc32c(raw->bytes + 8, 48));
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
  raw_put_u32(&raw, 8, 2);
  reseal_header(&raw);
  expect_open_fails(name, SHMSTATE_E_VERSION, "layout_version 2; this build supports 1");
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
      {32, 0, 0, "slot_offset[0] 0"},
      {40, 1ull << 62, 0, "slot_offset[1]"},
      {48, 1ull << 40, 0, "segment_size 1099511627776"},
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
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "is 100 bytes; smaller than its 4096-byte header");
}

static void grown_file(void) {
  const char* name;
  raw_segment raw;
  if (prepare("grown", &name, &raw) != 0) return;
  raw_close(&raw);
  char path[300];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  CHECK(truncate(path, 1 << 20) == 0);
  expect_open_fails(name, SHMSTATE_E_CORRUPT, "is 1048576 bytes; header says 8192");
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
  raw_put_u64(&raw, SLOT1 + 8, 0); /* lower than published and the wrong parity */
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "slot version");
  raw_put_u64(&raw, SLOT1 + 8, 7); /* ahead of a published version that never moves */
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "slot 1 holds version 7");
  raw_close(&raw);
}

static void published_version_zero(void) {
  const char* name;
  raw_segment raw;
  if (prepare("ver0", &name, &raw) != 0) return;
  raw_put_u64(&raw, 128, 0);
  expect_read_fails(name, SHMSTATE_E_CORRUPT, "publishes version 0");
  raw_close(&raw);
}

static void current_slot_stuck_odd_is_e_busy_not_a_hang(void) {
  const char* name;
  raw_segment raw;
  if (prepare("stuck", &name, &raw) != 0) return;
  raw_put_u64(&raw, SLOT1, raw_u64(&raw, SLOT1) | 1);
  expect_read_fails(name, SHMSTATE_E_BUSY, "within 100000 attempts");
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
      {"a current slot stuck odd is E_BUSY, not a hang",
       current_slot_stuck_odd_is_e_busy_not_a_hang},
      {"a commit heals a corrupt current slot", a_commit_heals_a_corrupt_current_slot},
      {"a creator that never finished is E_CORRUPT", a_creator_that_never_finished},
  };
  return harness_run("corrupt", cases, sizeof cases / sizeof cases[0]);
}
