/*
 * Counters near their wrap points, set by editing the header of a live segment:
 *   - the published version and the slot versions near 2^64-1 (never reached in practice:
 *     2^64 commits at a billion per second take 584 years; this pins what happens anyway),
 *   - the slots' 64-bit seq near 2^64-1 (odd/even survives the wrap),
 *   - the 32-bit futex word near 2^32-1 (it wraps every 4 billion commits: harmless,
 *     waiters compare it for equality only).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "raw_segment.h"

#define CAPACITY 64u
#define VERSION_AT 576u
#define FUTEX_AT 640u
#define SLOT0 4096u
#define SLOT1 (4096u + 64u + 64u)
#define SLOT_AT(i) ((i) ? SLOT1 : SLOT0)

static int read_back(shmstate_segment* seg, uint64_t want_version, const char* want) {
  shmstate_error err;
  char buf[CAPACITY];
  size_t len = 0;
  uint64_t version = 0;
  int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err);
  return CHECKF(rc == SHMSTATE_OK && version == want_version && len == strlen(want) &&
                    memcmp(buf, want, len) == 0,
                "read %s v%llu (%zu bytes), wanted v%llu: %s", shmstate_code_name(rc),
                (unsigned long long)version, len, (unsigned long long)want_version, err.message);
}

static void versions_count_up_to_the_last_u64(void) {
  const char* name = harness_name("vwrap");
  shmstate_error err;
  shmstate_segment *seg = NULL, *reader = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "a", 1, &seg, &err), &err);
  if (seg == NULL) return;
  CHECK_OK(shmstate_segment_commit(seg, "b", 1, 0, NULL, &err), &err); /* v2 in slot 0 */
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  const uint64_t start = UINT64_MAX - 5; /* into slot 0, which holds v2 and is current */
  raw_put_u64(&raw, SLOT0 + 8, start);
  raw_put_u64(&raw, VERSION_AT, start);
  CHECK_OK(shmstate_segment_open(name, &reader, &err), &err);
  if (reader == NULL) return;
  CHECK(read_back(reader, start, "b"));
  char payload[8];
  for (uint64_t v = start + 1; v != 0; v++) {
    snprintf(payload, sizeof payload, "%u", (unsigned)(UINT64_MAX - v));
    uint64_t got = 0;
    CHECK_OK(shmstate_segment_commit(seg, payload, strlen(payload), v - 1, &got, &err), &err);
    CHECK(got == v && read_back(reader, v, payload));
  }
  CHECK(shmstate_segment_version(reader) == UINT64_MAX);
  /* One more is refused: versions never wrap to 0 (which no reader accepts), and the
   * last state stays readable. */
  uint64_t got = 1;
  CHECK_CODE(shmstate_segment_commit(seg, "w", 1, UINT64_MAX, &got, &err), SHMSTATE_E_LIMIT, &err);
  CHECKF(harness_contains(err.message, "2^64-1"), "%s", err.message);
  CHECK(got == 1);
  CHECK(shmstate_segment_version(reader) == UINT64_MAX);
  snprintf(payload, sizeof payload, "%u", 0u);
  CHECK(read_back(reader, UINT64_MAX, payload));
  raw_close(&raw);
  shmstate_segment_close(reader);
  shmstate_segment_close(seg);
}

static void a_jump_to_the_last_u64_leaves_plain_commits_refused(void) {
  const char* name = harness_name("jumpwrap");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "a", 1, &seg, &err), &err);
  if (seg == NULL) return;
  uint64_t got = 0;
  CHECK_OK(shmstate_segment_commit_at(seg, "z", 1, 1, UINT64_MAX, &got, &err), &err);
  CHECK(got == UINT64_MAX && read_back(seg, UINT64_MAX, "z"));
  /* A plain commit after 2^64-1 is E_LIMIT exactly as when counted up to it; a jump to the
   * same version is E_CONFLICT (not above the current one). Neither changes the state. */
  got = 1;
  CHECK_CODE(shmstate_segment_commit(seg, "w", 1, 0, &got, &err), SHMSTATE_E_LIMIT, &err);
  CHECKF(harness_contains(err.message, "2^64-1"), "%s", err.message);
  CHECK(got == 1);
  CHECK_CODE(shmstate_segment_commit_at(seg, "w", 1, 0, UINT64_MAX, &got, &err),
             SHMSTATE_E_CONFLICT, &err);
  CHECK(got == 1);
  CHECK(read_back(seg, UINT64_MAX, "z"));
  shmstate_segment_close(seg);
}

typedef struct hammer {
  shmstate_segment* seg;
  volatile int stop;
  uint64_t reads, bad;
} hammer;

/* Payloads are 8 copies of one byte: a torn copy would mix two bytes. */
static void* read_hammer(void* p) {
  hammer* h = p;
  shmstate_error err;
  unsigned char buf[CAPACITY];
  while (!__atomic_load_n(&h->stop, __ATOMIC_SEQ_CST)) {
    size_t len = 0;
    uint64_t version = 0;
    int rc = shmstate_segment_read(h->seg, buf, sizeof buf, &len, &version, &err);
    if (rc == SHMSTATE_E_BUSY) continue;
    __atomic_fetch_add(&h->reads, 1, __ATOMIC_SEQ_CST);
    if (rc != SHMSTATE_OK || len != 8) h->bad++;
    for (size_t i = 1; rc == SHMSTATE_OK && i < len; i++) h->bad += buf[i] != buf[0];
  }
  return NULL;
}

static void slot_seq_wraps_without_a_torn_read(void) {
  const char* name = harness_name("seqwrap");
  shmstate_error err;
  shmstate_segment *seg = NULL, *reader = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "aaaaaaaa", 8, &seg, &err), &err);
  if (seg == NULL) return;
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  /* Both slots at the last even seqs: the next writes store 2^64-1 (odd) and then 0. */
  raw_put_u64(&raw, SLOT0, UINT64_MAX - 1);
  raw_put_u64(&raw, SLOT1, UINT64_MAX - 3);
  CHECK_OK(shmstate_segment_open(name, &reader, &err), &err);
  if (reader == NULL) return;
  hammer h = {reader, 0, 0, 0};
  pthread_t t;
  pthread_create(&t, NULL, read_hammer, &h);
  /* The wrap happens in the first commits: start them only once the reader is reading. */
  while (__atomic_load_n(&h.reads, __ATOMIC_SEQ_CST) == 0) sched_yield();
  unsigned char payload[8];
  for (int i = 0; i < 20000; i++) {
    memset(payload, 'a' + i % 26, sizeof payload);
    CHECK_OK(shmstate_segment_commit(seg, payload, sizeof payload, 0, NULL, &err), &err);
  }
  __atomic_store_n(&h.stop, 1, __ATOMIC_SEQ_CST);
  pthread_join(t, NULL);
  CHECKF(h.bad == 0 && h.reads > 0, "%llu bad of %llu reads", (unsigned long long)h.bad,
         (unsigned long long)h.reads);
  CHECKF(raw_u64(&raw, SLOT0) < 100000 && raw_u64(&raw, SLOT1) < 100000,
         "seqs %llu and %llu did not wrap", (unsigned long long)raw_u64(&raw, SLOT0),
         (unsigned long long)raw_u64(&raw, SLOT1));
  CHECK(read_back(reader, 20001, "ffffffff")); /* commit 19999 wrote 'a' + 19999 % 26 */
  raw_close(&raw);
  shmstate_segment_close(reader);
  shmstate_segment_close(seg);
}

typedef struct waiter {
  shmstate_segment* seg;
  uint64_t seen;
  int rc;
  uint64_t woke_at;
} waiter;

static void* wait_once(void* p) {
  waiter* w = p;
  shmstate_error err;
  w->rc = shmstate_segment_wait(w->seg, w->seen, 10 * 1000000000LL, NULL, &w->woke_at, &err);
  return NULL;
}

static void futex_word_wraps_and_waiters_still_wake(void) {
  const char* name = harness_name("futexwrap");
  shmstate_error err;
  shmstate_segment *seg = NULL, *reader = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "a", 1, &seg, &err), &err);
  if (seg == NULL) return;
  raw_segment raw;
  if (!CHECK(raw_open(name, &raw) == 0)) return;
  raw_put_u32(&raw, FUTEX_AT, UINT32_MAX - 2);
  CHECK_OK(shmstate_segment_open(name, &reader, &err), &err);
  if (reader == NULL) return;
  for (uint64_t v = 1; v < 7; v++) {
    waiter w = {reader, v, -1, 0};
    pthread_t t;
    pthread_create(&t, NULL, wait_once, &w);
    shmstate_stats st;
    do { /* commit only once the waiter sleeps, so the wake goes through the futex */
      shmstate_segment_stats(seg, &st, &err);
    } while (st.waiters == 0);
    CHECK_OK(shmstate_segment_commit(seg, "n", 1, v, NULL, &err), &err);
    pthread_join(t, NULL);
    CHECKF(w.rc == SHMSTATE_OK && w.woke_at == v + 1, "wait after v%llu: %s at v%llu",
           (unsigned long long)v, shmstate_code_name(w.rc), (unsigned long long)w.woke_at);
  }
  uint32_t word = raw_u32(&raw, FUTEX_AT);
  CHECKF(word < 10, "futex word is %u: it did not wrap", word);
  raw_close(&raw);
  shmstate_segment_close(reader);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"versions count up to 2^64-1; one more commit is refused (E_LIMIT)",
       versions_count_up_to_the_last_u64},
      {"a jump to 2^64-1 leaves plain commits refused (E_LIMIT) and jumps E_CONFLICT",
       a_jump_to_the_last_u64_leaves_plain_commits_refused},
      {"slot seqs wrap past 2^64-1 without a torn read", slot_seq_wraps_without_a_torn_read},
      {"the futex word wraps past 2^32-1 and waiters still wake",
       futex_word_wraps_and_waiters_still_wake},
  };
  return harness_run("wrap", cases, sizeof cases / sizeof cases[0]);
}
