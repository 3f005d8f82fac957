/*
 * A threads-only harness for ThreadSanitizer: writers, readers and a waiter as threads of
 * one process, first sharing one handle (one mapping: TSan sees every access to the
 * segment at one address and checks the seqlock's orderings), then with a handle each
 * (several mappings of one segment: the same bytes at different addresses, which TSan
 * cannot relate, so that half checks the per-handle state and the lock/futex paths).
 * Payloads are self-verifying, so the run also checks that no read is torn.
 * Built with gcc -fsanitize=thread by `make reliability` (run through test/run-tsan.sh).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

#define CAPACITY 512u
#define WRITERS 2
#define READERS 2
#define COMMITS_PER_WRITER 20000

typedef struct shared {
  const char* name;
  shmstate_segment* common; /* NULL: each thread opens its own handle */
  volatile int writers_done;
  uint64_t bad_reads, reads, waits;
} shared;

static shmstate_segment* handle_for(shared* s) {
  if (s->common != NULL) return s->common;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  return shmstate_segment_open(s->name, &seg, &err) == SHMSTATE_OK ? seg : NULL;
}

static void release(shared* s, shmstate_segment* seg) {
  if (seg != s->common) shmstate_segment_close(seg);
}

/* Payload: a length byte n in [8, 200], then n - 1 copies of one byte. */
static size_t build(unsigned char* buf, unsigned seed) {
  size_t len = 8 + seed % 193;
  buf[0] = (unsigned char)len;
  memset(buf + 1, 'A' + seed % 50, len - 1);
  return len;
}

static int whole(const unsigned char* buf, size_t len) {
  if (len == 2 && memcmp(buf, "{}", 2) == 0) return 1; /* the initial state */
  if (len < 8 || buf[0] != len) return 0;
  for (size_t i = 2; i < len; i++) {
    if (buf[i] != buf[1]) return 0;
  }
  return 1;
}

static void* writer(void* p) {
  shared* s = p;
  shmstate_segment* seg = handle_for(s);
  if (seg == NULL) return NULL;
  unsigned char buf[CAPACITY];
  shmstate_error err;
  for (unsigned i = 0; i < COMMITS_PER_WRITER; i++) {
    size_t len = build(buf, i * 7 + (unsigned)(uintptr_t)pthread_self());
    uint64_t expected = i % 4 == 0 ? shmstate_segment_version(seg) : 0; /* some CAS too */
    int rc = shmstate_segment_commit(seg, buf, len, expected, NULL, &err);
    if (rc != SHMSTATE_OK && rc != SHMSTATE_E_CONFLICT)
      __atomic_add_fetch(&s->bad_reads, 1, __ATOMIC_RELAXED);
  }
  __atomic_add_fetch(&s->writers_done, 1, __ATOMIC_SEQ_CST);
  shmstate_segment_wake(seg);
  release(s, seg);
  return NULL;
}

static void* reader(void* p) {
  shared* s = p;
  shmstate_segment* seg = handle_for(s);
  if (seg == NULL) return NULL;
  unsigned char buf[CAPACITY];
  shmstate_error err;
  uint64_t last = 0;
  while (__atomic_load_n(&s->writers_done, __ATOMIC_SEQ_CST) < WRITERS) {
    size_t len = 0;
    uint64_t version = 0;
    int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err);
    if (rc == SHMSTATE_E_BUSY) continue;
    __atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
    if (rc != SHMSTATE_OK || version < last || !whole(buf, len)) {
      __atomic_add_fetch(&s->bad_reads, 1, __ATOMIC_RELAXED);
    }
    last = version;
  }
  release(s, seg);
  return NULL;
}

static void* waiter(void* p) {
  shared* s = p;
  shmstate_segment* seg = handle_for(s);
  if (seg == NULL) return NULL;
  shmstate_error err;
  uint64_t seen = shmstate_segment_version(seg);
  while (__atomic_load_n(&s->writers_done, __ATOMIC_SEQ_CST) < WRITERS) {
    uint64_t now = seen;
    int rc = shmstate_segment_wait(seg, seen, 100 * 1000000LL, NULL, &now, &err);
    if (rc == SHMSTATE_OK) __atomic_add_fetch(&s->waits, 1, __ATOMIC_RELAXED);
    seen = now;
  }
  release(s, seg);
  return NULL;
}

static void run(int shared_handle, const char* tag) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  shared s = {harness_name(tag), NULL, 0, 0, 0, 0};
  CHECK_OK(shmstate_segment_create(s.name, CAPACITY, 0, "{}", 2, &seg, &err), &err);
  if (seg == NULL) return;
  if (shared_handle) s.common = seg;
  pthread_t t[WRITERS + READERS + 1];
  int n = 0;
  for (int i = 0; i < WRITERS; i++) pthread_create(&t[n++], NULL, writer, &s);
  for (int i = 0; i < READERS; i++) pthread_create(&t[n++], NULL, reader, &s);
  pthread_create(&t[n++], NULL, waiter, &s);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(s.bad_reads == 0, "%llu bad reads or failed commits", (unsigned long long)s.bad_reads);
  CHECKF(st.commits + st.conflicts == 1 + WRITERS * COMMITS_PER_WRITER,
         "%llu commits + %llu conflicts", (unsigned long long)st.commits,
         (unsigned long long)st.conflicts);
  printf("    %llu commits, %llu conflicts, %llu reads, %llu wake-ups\n",
         (unsigned long long)st.commits, (unsigned long long)st.conflicts,
         (unsigned long long)s.reads, (unsigned long long)s.waits);
  shmstate_segment_close(seg);
}

static void threads_share_one_handle(void) { run(1, "tsan1"); }
static void threads_each_open_a_handle(void) { run(0, "tsanN"); }

int main(void) {
  static const test_case cases[] = {
      {"2 writers, 2 readers, 1 waiter sharing one handle", threads_share_one_handle},
      {"2 writers, 2 readers, 1 waiter with a handle each", threads_each_open_a_handle},
  };
  return harness_run("tsan", cases, sizeof cases / sizeof cases[0]);
}
