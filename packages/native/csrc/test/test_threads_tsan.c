/*
 * A threads-only harness for ThreadSanitizer: writers, readers and a waiter as threads of
 * one process, first sharing one handle (one mapping: TSan sees every access to the
 * segment at one address and checks the seqlock's orderings), then with a handle each
 * (several mappings of one segment: the same bytes at different addresses, which TSan
 * cannot relate, so that half checks the per-handle state and the lock/futex paths).
 * Payloads are self-verifying, so the run also checks that no read is torn. A third case
 * runs patch writers and fresh and catch-up readers on a segment with a patch ring, sharing
 * one handle.
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
#define RING_ENTRIES 8u
#define RING_PATCH_MAX 200u

typedef struct shared {
  const char* name;
  shmstate_segment* common; /* NULL: each thread opens its own handle */
  volatile int writers_done;
  uint64_t bad_reads, reads, waits;
  uint64_t plan_conflicts, patches; /* ring case */
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
    if (rc != SHMSTATE_OK && rc != SHMSTATE_E_CONFLICT) {
      fprintf(stderr, "    patch commit failed: %s (%s)\n", err.message, shmstate_code_name(rc));
      __atomic_add_fetch(&s->bad_reads, 1, __ATOMIC_RELAXED);
    }
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

/* A patch writer: each commit a patch of the build() form (itself a whole payload), with a
 * state of that form when the plan says a checkpoint is due. */
static void* ring_writer(void* p) {
  shared* s = p;
  shmstate_segment* seg = handle_for(s);
  if (seg == NULL) return NULL;
  unsigned char patch[CAPACITY], state[CAPACITY];
  shmstate_error err;
  for (unsigned i = 0; i < COMMITS_PER_WRITER; i++) {
    unsigned seed = i * 7 + (unsigned)(uintptr_t)pthread_self();
    size_t plen = build(patch, seed), slen = build(state, seed * 3);
    uint64_t current = shmstate_segment_version(seg);
    int due = 0;
    int rc = shmstate_segment_patch_plan(seg, current, plen, slen, &due, &err);
    if (rc == SHMSTATE_E_CONFLICT) {
      __atomic_add_fetch(&s->plan_conflicts, 1, __ATOMIC_RELAXED);
      continue;
    }
    if (rc == SHMSTATE_OK) {
      rc = shmstate_segment_commit_patch(seg, patch, plen, due ? state : NULL, slen, current, NULL,
                                         &err);
    }
    if (rc != SHMSTATE_OK && rc != SHMSTATE_E_CONFLICT) {
      fprintf(stderr, "    patch commit failed: %s (%s)\n", err.message, shmstate_code_name(rc));
      __atomic_add_fetch(&s->bad_reads, 1, __ATOMIC_RELAXED);
    }
  }
  __atomic_add_fetch(&s->writers_done, 1, __ATOMIC_SEQ_CST);
  shmstate_segment_wake(seg);
  release(s, seg);
  return NULL;
}

/* A ring reader: fresh reads, and catch-up reads from the last version in between; every
 * state and patch must be whole and the patches must join up. */
static void* ring_reader(void* p) {
  shared* s = p;
  shmstate_segment* seg = handle_for(s);
  if (seg == NULL) return NULL;
  unsigned char state[CAPACITY], bytes[CAPACITY + RING_PATCH_MAX + 64];
  shmstate_patch entries[RING_ENTRIES];
  shmstate_error err;
  uint64_t last = 0;
  for (unsigned turn = 0; __atomic_load_n(&s->writers_done, __ATOMIC_SEQ_CST) < WRITERS; turn++) {
    shmstate_patch_buffer pb = {bytes, sizeof bytes, entries, RING_ENTRIES, 0, 0};
    uint64_t version = 0, from = last;
    int rc, bad = 0, need_full = 1;
    if (last != 0 && turn % 3 != 0) {
      rc = shmstate_segment_read_patches(seg, last, &pb, &version, &need_full, &err);
      if (rc == SHMSTATE_OK && need_full) continue;
    } else {
      size_t len = 0;
      rc = shmstate_segment_read_delta(seg, state, sizeof state, &len, &from, &pb, &version, &err);
      bad = rc == SHMSTATE_OK && (!whole(state, len) || pb.count != version - from);
    }
    if (rc == SHMSTATE_E_BUSY) continue;
    for (size_t i = 0; rc == SHMSTATE_OK && i < pb.count; i++) {
      bad |= entries[i].version != from + 1 + i ||
             !whole(bytes + entries[i].offset, entries[i].length);
    }
    __atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->patches, pb.count, __ATOMIC_RELAXED);
    if (rc != SHMSTATE_OK || bad || version < last) {
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

static void run(int shared_handle, int ring, const char* tag) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  shared s = {harness_name(tag), NULL, 0, 0, 0, 0, 0, 0};
  shmstate_create_options opts = {0};
  opts.capacity = CAPACITY;
  opts.initial_version = 1;
  opts.ring_entries = ring ? RING_ENTRIES : 0;
  opts.ring_patch_max = ring ? RING_PATCH_MAX : 0;
  CHECK_OK(shmstate_segment_create_with(s.name, &opts, "{}", 2, &seg, &err), &err);
  if (seg == NULL) return;
  if (shared_handle) s.common = seg;
  pthread_t t[WRITERS + READERS + 1];
  int n = 0;
  for (int i = 0; i < WRITERS; i++) pthread_create(&t[n++], NULL, ring ? ring_writer : writer, &s);
  for (int i = 0; i < READERS; i++) pthread_create(&t[n++], NULL, ring ? ring_reader : reader, &s);
  pthread_create(&t[n++], NULL, waiter, &s);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(s.bad_reads == 0, "%llu bad reads or failed commits", (unsigned long long)s.bad_reads);
  CHECKF(st.commits + st.conflicts + s.plan_conflicts == 1 + WRITERS * COMMITS_PER_WRITER,
         "%llu commits + %llu conflicts + %llu at the plan", (unsigned long long)st.commits,
         (unsigned long long)st.conflicts, (unsigned long long)s.plan_conflicts);
  CHECKF(!ring || s.patches > 0, "the ring readers applied no patch");
  printf("    %llu commits, %llu conflicts, %llu reads (%llu patches), %llu wake-ups\n",
         (unsigned long long)st.commits, (unsigned long long)(st.conflicts + s.plan_conflicts),
         (unsigned long long)s.reads, (unsigned long long)s.patches, (unsigned long long)s.waits);
  shmstate_segment_close(seg);
}

static void threads_share_one_handle(void) { run(1, 0, "tsan1"); }
static void threads_each_open_a_handle(void) { run(0, 0, "tsanN"); }
static void ring_threads_share_one_handle(void) { run(1, 1, "tsanring"); }

int main(void) {
  static const test_case cases[] = {
      {"2 writers, 2 readers, 1 waiter sharing one handle", threads_share_one_handle},
      {"2 writers, 2 readers, 1 waiter with a handle each", threads_each_open_a_handle},
      {"2 patch writers, 2 fresh and catch-up readers, 1 waiter on a patch ring, one handle",
       ring_threads_share_one_handle},
  };
  return harness_run("tsan", cases, sizeof cases / sizeof cases[0]);
}
