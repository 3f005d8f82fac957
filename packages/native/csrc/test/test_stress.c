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
 *
 * The ring variant runs the same on a segment with a small patch ring (4 entries, so that
 * entries are overwritten all the time): the writers commit mostly patches (self-verifying
 * too, with the full state when the plan says a checkpoint is due, some too large for an
 * entry), and now and then a plain or a jump commit; one reader makes fresh reads
 * (checkpoint and patches), the other catches up by patches from the last version it read
 * and falls back to a fresh read when the ring no longer holds them. Neither may ever
 * accept a torn patch, a stale one (an entry overwritten by a later lap) or a gap.
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
#define RING_ENTRIES 4u
#define RING_PATCH_MAX 320u /* entry stride 384 */
#define PATCH_WORDS_SALT 0x5041544348ull

typedef struct counters {
  uint64_t commits[WRITERS];
  uint64_t jumps[WRITERS];    /* commits made with commit_at */
  uint64_t advanced[WRITERS]; /* versions the writer's commits moved the store on by */
  uint64_t conflicts[WRITERS];
  uint64_t reads[READERS];
  uint64_t distinct[READERS]; /* reads that saw a newer version than the reader's last */
  uint64_t violations[READERS + WRITERS];
  uint64_t busy[READERS];
  uint64_t patches[READERS];   /* ring: patches checked */
  uint64_t fallbacks[READERS]; /* ring: catch-ups the ring could not serve */
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

/* A patch's length for a version: 18 to 312 bytes, often a partial last word; one version
 * in 29 gets one too large for an entry. */
static size_t patch_length_for(uint64_t version) {
  if (version % 29 == 0) return RING_PATCH_MAX + 80;
  return 24 + (size_t)(version % 37) * 8 - (size_t)(version % 7);
}

static uint64_t patch_word_for(uint64_t version, uint64_t writer, size_t i) {
  if (i == 0) return version;
  if (i == 1) return writer;
  return mix(version * 0x100000001B3ull ^ (writer << 56) ^ i ^ PATCH_WORDS_SALT);
}

static void build_patch(unsigned char* buf, uint64_t version, uint64_t writer, size_t len) {
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = patch_word_for(version, writer, i);
    memcpy(buf + i * 8, &w, len - i * 8 >= 8 ? 8 : len - i * 8);
  }
}

/* Returns NULL if `buf` is the patch committed as `version`, else what is wrong. */
static const char* verify_patch(const unsigned char* buf, size_t len, uint64_t version) {
  if (len != patch_length_for(version)) return "patch length does not match its version";
  uint64_t w0, writer;
  memcpy(&w0, buf, 8);
  memcpy(&writer, buf + 8, 8);
  if (w0 != version) return "patch belongs to another version (a stale entry)";
  if (writer >= WRITERS) return "patch names no writer";
  for (size_t i = 2; i * 8 < len; i++) {
    uint64_t want = patch_word_for(version, writer, i), got = 0;
    size_t n = len - i * 8 >= 8 ? 8 : len - i * 8;
    memcpy(&got, buf + i * 8, n);
    if (n < 8) want &= (1ull << (n * 8)) - 1;
    if (got != want) return "patch word does not match (torn entry)";
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

/* A ring writer: mostly patch commits, every JUMP_EVERY-th attempt a jump, one in 16 a
 * plain checkpoint. */
static void ring_writer_main(const char* name, int id, size_t size, int64_t deadline, counters* c) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
    note(c, READERS + id, err.message, 0);
    _exit(1);
  }
  unsigned char* state = malloc(size);
  unsigned char patch[RING_PATCH_MAX + 80];
  for (uint64_t attempt = 0; harness_now_ns() < deadline; attempt++) {
    int jump = attempt % JUMP_EVERY == JUMP_EVERY - 1;
    int plain = !jump && attempt % 16 == 5;
    uint64_t current = shmstate_segment_version(seg), got = 0;
    uint64_t next = current + (jump ? 2 + attempt / JUMP_EVERY % 4 : 1);
    size_t len = length_for(next, size);
    int rc;
    if (jump || plain) {
      build(state, next, (uint64_t)id, len);
      rc = jump ? shmstate_segment_commit_at(seg, state, len, current, next, &got, &err)
                : shmstate_segment_commit(seg, state, len, current, &got, &err);
    } else {
      size_t plen = patch_length_for(next);
      build_patch(patch, next, (uint64_t)id, plen);
      int due = 0;
      rc = shmstate_segment_patch_plan(seg, current, plen, len, &due, &err);
      if (rc == SHMSTATE_OK) {
        if (due) build(state, next, (uint64_t)id, len); /* encoded only when needed */
        rc = shmstate_segment_commit_patch(seg, patch, plen, due ? state : NULL, len, current, &got,
                                           &err);
      }
    }
    if (rc == SHMSTATE_OK) {
      c->commits[id]++;
      c->jumps[id] += jump;
      c->advanced[id] += got - current;
      if (got != next) note(c, READERS + id, "commit returned another version", got);
    } else if (rc == SHMSTATE_E_CONFLICT) {
      c->conflicts[id]++;
    } else {
      /* E_INVALID "a checkpoint is due" too: with no writer dying, a plan made at the
       * version the commit expects is exact. */
      note(c, READERS + id, err.message, current);
    }
  }
  free(state);
  shmstate_segment_close(seg);
  _exit(0);
}

/* Checks the patches in `pb` as leading from `from` to `from + count`. */
static void check_patches(counters* c, int id, const shmstate_patch_buffer* pb,
                          const unsigned char* bytes, uint64_t from) {
  for (size_t i = 0; i < pb->count; i++) {
    const shmstate_patch* p = &pb->entries[i];
    if (p->version != from + 1 + i) {
      note(c, id, "patches leave a gap or are out of order", p->version);
      return;
    }
    const char* problem = verify_patch(bytes + p->offset, p->length, p->version);
    if (problem != NULL) note(c, id, problem, p->version);
    c->patches[id]++;
  }
}

/* A ring reader: reader 0 makes fresh reads, reader 1 catches up by patches. */
static void ring_reader_main(const char* name, int id, size_t size, int64_t deadline, counters* c) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
    note(c, id, err.message, 0);
    _exit(1);
  }
  shmstate_ring_info info;
  shmstate_segment_ring_info(seg, &info);
  unsigned char* buf = malloc(size);
  unsigned char* bytes = malloc(info.delta_bytes_max);
  shmstate_patch entries[RING_ENTRIES];
  uint64_t last = 0;
  int need_full = 1;
  while (harness_now_ns() < deadline) {
    shmstate_patch_buffer pb = {bytes, info.delta_bytes_max, entries, RING_ENTRIES, 0, 0};
    uint64_t version = 0;
    int rc;
    if (id == 1 && !need_full) {
      rc = shmstate_segment_read_patches(seg, last, &pb, &version, &need_full, &err);
      if (rc == SHMSTATE_OK && need_full) {
        c->fallbacks[id]++; /* the ring moved on: the next read is a fresh one */
        continue;
      }
      if (rc == SHMSTATE_OK) check_patches(c, id, &pb, bytes, last);
    } else {
      size_t len = 0;
      uint64_t checkpoint = 0;
      rc = shmstate_segment_read_delta(seg, buf, size, &len, &checkpoint, &pb, &version, &err);
      if (rc == SHMSTATE_OK) {
        const char* problem = verify(buf, len, checkpoint, size);
        if (problem != NULL) note(c, id, problem, checkpoint);
        if (checkpoint > version || pb.count != version - checkpoint) {
          note(c, id, "a fresh read's patches do not join its checkpoint to its version", version);
        }
        check_patches(c, id, &pb, bytes, checkpoint);
        need_full = 0;
      }
    }
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
  }
  free(buf);
  free(bytes);
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

static void stress(size_t size, int ring, const char* tag) {
  double seconds = harness_stress_seconds(10);
  const char* name = harness_name(tag);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  shmstate_create_options opts = {0};
  opts.capacity = size;
  opts.initial_version = 1;
  opts.ring_entries = ring ? RING_ENTRIES : 0;
  opts.ring_patch_max = ring ? RING_PATCH_MAX : 0;
  CHECK_OK(shmstate_segment_create_with(name, &opts, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  counters* c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(c, 0, sizeof *c);
  int64_t deadline = harness_now_ns() + (int64_t)(seconds * 1e9);
  int pids[WRITERS + READERS];
  for (int i = 0; i < READERS; i++) {
    if ((pids[i] = fork()) == 0) {
      if (ring) ring_reader_main(name, i, size, deadline, c);
      reader_main(name, i, size, deadline, c);
    }
  }
  for (int i = 0; i < WRITERS; i++) {
    if ((pids[READERS + i] = fork()) == 0) {
      if (ring) ring_writer_main(name, i, size, deadline, c);
      writer_main(name, i, size, deadline, c);
    }
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
    printf("    %s reader %d: %llu reads (%llu newer versions), %llu E_BUSY", tag, i,
           (unsigned long long)c->reads[i], (unsigned long long)c->distinct[i],
           (unsigned long long)c->busy[i]);
    if (ring) {
      printf(", %s, %llu patches checked, %llu fall-backs to a fresh read",
             i == 0 ? "fresh reads" : "catch-up reads", (unsigned long long)c->patches[i],
             (unsigned long long)c->fallbacks[i]);
    }
    printf("\n");
    CHECKF(c->reads[i] > 0, "reader %d made no progress", i);
    CHECKF(!ring || c->patches[i] > 0, "reader %d checked no patch", i);
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

static void torn_read_stress_1kib(void) { stress(1024, 0, "stress1k"); }
static void torn_read_stress_256kib(void) { stress(256 * 1024, 0, "stress256k"); }
static void ring_stress_1kib(void) { stress(1024, 1, "ring1k"); }
static void ring_stress_256kib(void) { stress(256 * 1024, 1, "ring256k"); }

int main(void) {
  static const test_case cases[] = {
      {"no torn read: 2 writers, 2 readers, 1 KiB", torn_read_stress_1kib},
      {"no torn read: 2 writers, 2 readers, 256 KiB", torn_read_stress_256kib},
      {"no torn or stale patch: 2 patch writers, a fresh and a catch-up reader, 1 KiB, "
       "4-entry ring",
       ring_stress_1kib},
      {"no torn or stale patch: 2 patch writers, a fresh and a catch-up reader, 256 KiB, "
       "4-entry ring",
       ring_stress_256kib},
  };
  return harness_run("stress", cases, sizeof cases / sizeof cases[0]);
}
