/* Commit and read: round trip, versions, compare-and-set, capacity, buffer checks. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static shmstate_segment* make(const char* tag, uint64_t capacity) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(harness_name(tag), capacity, 0, "{}", 2, &seg, &err), &err);
  return seg;
}

static void commit_then_read_round_trips(void) {
  shmstate_segment* seg = make("rt", 1000);
  if (seg == NULL) return;
  shmstate_error err;
  char payload[1000];
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (char)('a' + i % 26);
  /* Every length 0..capacity-ish, including those that end mid-word. */
  static const size_t lengths[] = {0, 1, 7, 8, 9, 63, 64, 65, 999, 1000};
  for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
    uint64_t committed = 0, read_version = 0;
    CHECK_OK(shmstate_segment_commit(seg, payload, lengths[k], 0, &committed, &err), &err);
    char buf[1000];
    size_t len = 12345;
    CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &read_version, &err), &err);
    CHECKF(len == lengths[k], "len %zu want %zu", len, lengths[k]);
    CHECK(memcmp(buf, payload, len) == 0);
    CHECK(read_version == committed);
  }
  shmstate_segment_close(seg);
}

static void versions_increase_by_exactly_one(void) {
  shmstate_segment* seg = make("ver", 64);
  if (seg == NULL) return;
  shmstate_error err;
  for (uint64_t want = 2; want < 200; want++) {
    uint64_t v = 0;
    char byte = (char)want;
    CHECK_OK(shmstate_segment_commit(seg, &byte, 1, 0, &v, &err), &err);
    CHECKF(v == want, "commit gave version %llu, want %llu", (unsigned long long)v,
           (unsigned long long)want);
    CHECK(shmstate_segment_version(seg) == want);
  }
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.commits == 199 && st.version == 199);
  shmstate_segment_close(seg);
}

static void compare_and_set_refuses_a_stale_version(void) {
  shmstate_segment* seg = make("cas", 64);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "a", 1, 1, &v, &err), &err);
  CHECK(v == 2);
  v = 0;
  CHECK_CODE(shmstate_segment_commit(seg, "b", 1, 1, &v, &err), SHMSTATE_E_CONFLICT, &err);
  CHECK(v == 0);
  CHECKF(harness_contains(err.message, "expected version 1") &&
             harness_contains(err.message, "current version is 2"),
         "%s", err.message);
  CHECK_OK(shmstate_segment_commit(seg, "c", 1, 2, &v, &err), &err);
  CHECK(v == 3);
  char buf[64];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(len == 1 && buf[0] == 'c' && v == 3);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.conflicts == 1 && st.commits == 3);
  shmstate_segment_close(seg);
}

static void oversized_state_is_e_capacity_naming_both_sizes(void) {
  shmstate_segment* seg = make("cap", 65536);
  if (seg == NULL) return;
  shmstate_error err;
  static char big[70000];
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit(seg, big, sizeof big, 0, &v, &err), SHMSTATE_E_CAPACITY, &err);
  CHECKF(strcmp(err.message, "state is 70000 bytes; capacity is 65536") == 0, "%s", err.message);
  CHECK(shmstate_segment_version(seg) == 1);
  /* Exactly the capacity fits. */
  CHECK_OK(shmstate_segment_commit(seg, big, 65536, 0, &v, &err), &err);
  shmstate_segment_close(seg);
}

static void read_needs_a_buffer_of_capacity(void) {
  shmstate_segment* seg = make("buf", 128);
  if (seg == NULL) return;
  shmstate_error err;
  char buf[127];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "127") && harness_contains(err.message, "128"), "%s",
         err.message);
  shmstate_segment_close(seg);
}

static void commits_from_two_handles_interleave(void) {
  const char* name = harness_name("two");
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  CHECK_OK(shmstate_segment_open(name, &b, &err), &err);
  if (a == NULL || b == NULL) return;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(a, "from a", 6, 0, &v, &err), &err);
  CHECK_OK(shmstate_segment_commit(b, "from b", 6, 2, &v, &err), &err);
  char buf[64];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(a, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 3 && len == 6 && memcmp(buf, "from b", 6) == 0);
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

static void lock_timeout_is_e_timeout_and_never_steals(void) {
  const char* name = harness_name("locktmo");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  /* This process holds the writer lock, as a stalled writer would; a commit from a child
   * must time out rather than take it. */
  volatile int* held = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *held = 0;
  int pid = fork();
  if (pid == 0) {
    shmstate_segment_set_lock_timeout(seg, 50);
    while (__atomic_load_n(held, __ATOMIC_SEQ_CST) == 0) usleep(100);
    uint64_t v = 0;
    int rc = shmstate_segment_commit(seg, "x", 1, 0, &v, &err);
    _exit(rc == SHMSTATE_E_TIMEOUT && harness_contains(err.message, "50 ms") ? 0 : 1);
  }
  CHECK_OK(shmstate_writer_lock(seg, &err), &err);
  __atomic_store_n(held, 1, __ATOMIC_SEQ_CST);
  CHECK(harness_wait_child(pid) == 0);
  shmstate_writer_unlock(seg);
  CHECK(shmstate_segment_version(seg) == 1);
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "y", 1, 0, &v, &err), &err);
  CHECK(v == 2);
  munmap((void*)held, 4096);
  shmstate_segment_close(seg);
}

/* The published version and payload of `seg` are `version` and `want`. */
static int reads_as(shmstate_segment* seg, uint64_t version, const char* want) {
  shmstate_error err;
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err);
  return CHECKF(
      rc == SHMSTATE_OK && v == version && len == strlen(want) && memcmp(buf, want, len) == 0,
      "read %s v%llu (%zu bytes), wanted v%llu \"%s\": %s", shmstate_code_name(rc),
      (unsigned long long)v, len, (unsigned long long)version, want, err.message);
}

static void commit_at_jumps_to_the_given_version(void) {
  shmstate_segment* seg = make("jump", 64);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "a", 1, 0, &v, &err), &err);
  CHECK(v == 2);
  CHECK_OK(shmstate_segment_commit_at(seg, "b", 1, 0, 12, &v, &err), &err);
  CHECK(v == 12 && shmstate_segment_version(seg) == 12);
  CHECK(reads_as(seg, 12, "b"));
  /* Twice in a row: each jump writes the slot the previous one did not. */
  CHECK_OK(shmstate_segment_commit_at(seg, "c", 1, 12, 22, &v, &err), &err);
  CHECK(v == 22 && reads_as(seg, 22, "c"));
  /* Ordinary commits carry on from the jump, adding 1; a jump of one is a commit too. */
  CHECK_OK(shmstate_segment_commit(seg, "d", 1, 0, &v, &err), &err);
  CHECK(v == 23 && reads_as(seg, 23, "d"));
  CHECK_OK(shmstate_segment_commit_at(seg, "e", 1, 0, 24, &v, &err), &err);
  CHECK(v == 24 && reads_as(seg, 24, "e"));
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.commits == 6 && st.version == 24);
  shmstate_segment_close(seg);
}

static void commit_at_refuses_a_version_not_above_the_current_one(void) {
  shmstate_segment* seg = make("jumpback", 64);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit_at(seg, "a", 1, 0, 10, &v, &err), &err);
  static const uint64_t refused[] = {10, 9, 1};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    v = 0;
    CHECK_CODE(shmstate_segment_commit_at(seg, "x", 1, 0, refused[i], &v, &err),
               SHMSTATE_E_CONFLICT, &err);
    CHECK(v == 0);
    CHECKF(harness_contains(err.message, "current version 10") &&
               harness_contains(err.message, "never go backwards"),
           "%s", err.message);
  }
  CHECK(reads_as(seg, 10, "a"));
  shmstate_segment_close(seg);
}

static void commit_at_version_0_is_e_invalid(void) {
  shmstate_segment* seg = make("jump0", 64);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 7;
  CHECK_CODE(shmstate_segment_commit_at(seg, "x", 1, 0, 0, &v, &err), SHMSTATE_E_INVALID, &err);
  CHECK(v == 7);
  CHECKF(harness_contains(err.message, "version is 0"), "%s", err.message);
  CHECK(reads_as(seg, 1, "{}"));
  shmstate_segment_close(seg);
}

static void commit_at_honours_the_expected_version(void) {
  shmstate_segment* seg = make("jumpcas", 64);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit_at(seg, "x", 1, 5, 50, &v, &err), SHMSTATE_E_CONFLICT, &err);
  CHECKF(harness_contains(err.message, "expected version 5"), "%s", err.message);
  CHECK_OK(shmstate_segment_commit_at(seg, "y", 1, 1, 50, &v, &err), &err);
  CHECK(v == 50 && reads_as(seg, 50, "y"));
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.conflicts == 1);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"commit then read round-trips every length", commit_then_read_round_trips},
      {"versions increase by exactly one per commit", versions_increase_by_exactly_one},
      {"compare-and-set refuses a stale version", compare_and_set_refuses_a_stale_version},
      {"oversized state is E_CAPACITY naming both sizes",
       oversized_state_is_e_capacity_naming_both_sizes},
      {"read needs a buffer of at least the capacity", read_needs_a_buffer_of_capacity},
      {"commits from two handles interleave", commits_from_two_handles_interleave},
      {"a held writer lock gives E_TIMEOUT, never stolen",
       lock_timeout_is_e_timeout_and_never_steals},
      {"commit_at jumps to the given version; commits carry on from it",
       commit_at_jumps_to_the_given_version},
      {"commit_at a version not above the current one is E_CONFLICT",
       commit_at_refuses_a_version_not_above_the_current_one},
      {"commit_at version 0 is E_INVALID", commit_at_version_0_is_e_invalid},
      {"commit_at honours the expected version", commit_at_honours_the_expected_version},
  };
  return harness_run("commit_read", cases, sizeof cases / sizeof cases[0]);
}
