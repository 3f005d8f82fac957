/*
 * Torn-read stress: two writer processes and two reader processes on one segment for
 * SHMSTATE_STRESS_SECONDS (default 10) per payload size, 1 KiB and 256 KiB.
 *
 * Every payload is self-verifying: its length and every byte follow from its version and
 * the id of the writer that committed it, so a reader detects any mix of two payloads, a
 * wrong length or a version whose payload is not its own. Writers commit with
 * compare-and-set against the version they built the payload for; one commit in JUMP_EVERY
 * is a commit at a given version (shmstate_segment_commit_at) 2 to 5 ahead. Readers also
 * check that versions never go backwards. A violation is any of those, or a read error.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#define WRITERS 2
#define READERS 2
#define JUMP_EVERY 4

typedef struct counters {
  uint64_t commits[WRITERS];
  uint64_t jumps[WRITERS];    /* commits made with commit_at */
  uint64_t advanced[WRITERS]; /* versions the writer's commits moved the store on by */
  uint64_t conflicts[WRITERS];
  uint64_t reads[READERS];
  uint64_t distinct[READERS]; /* reads that saw a newer version than the reader's last */
  uint64_t violations[READERS + WRITERS];
  uint64_t busy[READERS];
  char first_violation[READERS + WRITERS][160];
} counters;

static uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/* Payload length for a version: at most `size`, varied so the tail word is often partial. */
static size_t length_for(uint64_t version, size_t size) { return size - (size_t)(version % 61); }

/* Word i of the payload for (version, writer): word 0 is the version, word 1 the writer. */
static uint64_t word_for(uint64_t version, uint64_t writer, size_t i) {
  if (i == 0) return version;
  if (i == 1) return writer;
  return mix(version * 0x100000001B3ull ^ (writer << 56) ^ i);
}

static void build(unsigned char* buf, uint64_t version, uint64_t writer, size_t len) {
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = word_for(version, writer, i);
    memcpy(buf + i * 8, &w, len - i * 8 >= 8 ? 8 : len - i * 8);
  }
}

/* Returns NULL if `buf` is the payload committed as `version`, else what is wrong. */
static const char* verify(const unsigned char* buf, size_t len, uint64_t version, size_t size) {
  if (version == 1) return len == 0 ? NULL : "initial payload is not empty";
  if (len != length_for(version, size)) return "length does not match the version";
  uint64_t w0, writer;
  memcpy(&w0, buf, 8);
  memcpy(&writer, buf + 8, 8);
  if (w0 != version) return "payload belongs to another version";
  if (writer >= WRITERS) return "payload names no writer";
  for (size_t i = 2; i * 8 < len; i++) {
    uint64_t want = word_for(version, writer, i), got = 0;
    size_t n = len - i * 8 >= 8 ? 8 : len - i * 8;
    memcpy(&got, buf + i * 8, n);
    if (n < 8) want &= (1ull << (n * 8)) - 1;
    if (got != want) return "payload word does not match (torn read)";
  }
  return NULL;
}

static void note(counters* c, int who, const char* what, uint64_t version) {
  if (c->violations[who]++ == 0) {
    snprintf(c->first_violation[who], sizeof c->first_violation[who], "%s (version %llu)", what,
             (unsigned long long)version);
  }
}

static void writer_main(const char* name, int id, size_t size, int64_t deadline, counters* c) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
    note(c, READERS + id, err.message, 0);
    _exit(1);
  }
  unsigned char* buf = malloc(size);
  for (uint64_t attempt = 0; harness_now_ns() < deadline; attempt++) {
    /* The version this attempt asks for: the next one, or a jump 2 to 5 ahead. */
    int jump = attempt % JUMP_EVERY == JUMP_EVERY - 1;
    uint64_t current = shmstate_segment_version(seg), got = 0;
    uint64_t next = current + (jump ? 2 + attempt / JUMP_EVERY % 4 : 1);
    size_t len = length_for(next, size);
    build(buf, next, (uint64_t)id, len);
    int rc = jump ? shmstate_segment_commit_at(seg, buf, len, current, next, &got, &err)
                  : shmstate_segment_commit(seg, buf, len, current, &got, &err);
    if (rc == SHMSTATE_OK) {
      c->commits[id]++;
      c->jumps[id] += jump;
      c->advanced[id] += got - current;
      if (got != next) note(c, READERS + id, "commit returned another version", got);
    } else if (rc == SHMSTATE_E_CONFLICT) {
      c->conflicts[id]++;
    } else {
      note(c, READERS + id, err.message, current);
    }
  }
  free(buf);
  shmstate_segment_close(seg);
  _exit(0);
}

static void reader_main(const char* name, int id, size_t size, int64_t deadline, counters* c) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
    note(c, id, err.message, 0);
    _exit(1);
  }
  unsigned char* buf = malloc(size);
  uint64_t last = 0;
  while (harness_now_ns() < deadline) {
    size_t len = 0;
    uint64_t version = 0;
    int rc = shmstate_segment_read(seg, buf, size, &len, &version, &err);
    if (rc == SHMSTATE_E_BUSY) {
      c->busy[id]++;
      continue;
    }
    if (rc != SHMSTATE_OK) {
      note(c, id, err.message, version);
      continue;
    }
    c->reads[id]++;
    if (version < last) note(c, id, "version went backwards", version);
    if (version > last) c->distinct[id]++;
    last = version;
    const char* problem = verify(buf, len, version, size);
    if (problem != NULL) note(c, id, problem, version);
  }
  free(buf);
  shmstate_segment_close(seg);
  _exit(0);
}

static void stress(size_t size, const char* tag) {
  double seconds = harness_stress_seconds(10);
  const char* name = harness_name(tag);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, size, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  counters* c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(c, 0, sizeof *c);
  int64_t deadline = harness_now_ns() + (int64_t)(seconds * 1e9);
  int pids[WRITERS + READERS];
  for (int i = 0; i < READERS; i++) {
    if ((pids[i] = fork()) == 0) reader_main(name, i, size, deadline, c);
  }
  for (int i = 0; i < WRITERS; i++) {
    if ((pids[READERS + i] = fork()) == 0) writer_main(name, i, size, deadline, c);
  }
  for (int i = 0; i < WRITERS + READERS; i++) CHECK(harness_wait_child(pids[i]) == 0);

  uint64_t commits = 0, advanced = 0;
  for (int i = 0; i < WRITERS; i++) {
    printf("    %s writer %d: %llu commits (%llu with commit_at), %llu conflicts\n", tag, i,
           (unsigned long long)c->commits[i], (unsigned long long)c->jumps[i],
           (unsigned long long)c->conflicts[i]);
    commits += c->commits[i];
    advanced += c->advanced[i];
    CHECK(c->commits[i] > 0);
    CHECK(c->jumps[i] > 0);
  }
  for (int i = 0; i < READERS; i++) {
    printf("    %s reader %d: %llu reads (%llu newer versions), %llu E_BUSY\n", tag, i,
           (unsigned long long)c->reads[i], (unsigned long long)c->distinct[i],
           (unsigned long long)c->busy[i]);
    CHECKF(c->reads[i] > 0, "reader %d made no progress", i);
    CHECKF(c->busy[i] == 0, "reader %d got E_BUSY %llu times", i, (unsigned long long)c->busy[i]);
  }
  for (int i = 0; i < READERS + WRITERS; i++) {
    CHECKF(c->violations[i] == 0, "%s %d: %llu violations, first: %s",
           i < READERS ? "reader" : "writer", i < READERS ? i : i - READERS,
           (unsigned long long)c->violations[i], c->first_violation[i]);
  }
  /* No holes: the store moved on by exactly what the successful commits asked for, each
   * counted once. */
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(st.version == 1 + advanced && st.commits == 1 + commits,
         "version %llu after %llu commits that moved it on by %llu", (unsigned long long)st.version,
         (unsigned long long)commits, (unsigned long long)advanced);
  printf("    %s: %.1f s, %llu violations\n", tag, seconds,
         (unsigned long long)(c->violations[0] + c->violations[1] + c->violations[2] +
                              c->violations[3]));
  munmap(c, sizeof *c);
  shmstate_segment_close(seg);
}

static void torn_read_stress_1kib(void) { stress(1024, "stress1k"); }
static void torn_read_stress_256kib(void) { stress(256 * 1024, "stress256k"); }

int main(void) {
  static const test_case cases[] = {
      {"no torn read: 2 writers, 2 readers, 1 KiB", torn_read_stress_1kib},
      {"no torn read: 2 writers, 2 readers, 256 KiB", torn_read_stress_256kib},
  };
  return harness_run("stress", cases, sizeof cases / sizeof cases[0]);
}
