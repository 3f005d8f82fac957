/*
 * The long crash run of the reliability suite: SHMSTATE_CRASH_ITERATIONS writers (default
 * 900) killed with SIGKILL while they hold the writer lock, cycling through every crash
 * point of a commit (test hooks) with one kill per cycle an external one at a random time.
 * Every other cycle the writers commit at a given version (shmstate_segment_commit_at,
 * jumping 1 to 8 ahead), so every crash point is hit by both kinds of commit. Two reader
 * processes validate every state they see throughout: committed versions only, never
 * backwards, each payload self-verifying and the one committed under its version. After
 * each kill the next writer commits the version it asks for within 100 ms (the recovery
 * figure). A second run does the same on a segment with a patch ring: the writers commit
 * patches, checkpoints after a patch, patches too large for an entry and plain checkpoints
 * (ring_workload.h), and die at every crash point of each, the ring's own included; the
 * readers alternate fresh reads and catch-up reads and validate every state and patch.
 * With test_crash (1,025) and the Node and Python kill tests (50 each) the suite kills
 * writers well over 2,000 times.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"
#include "ring_workload.h"

#define CAPACITY 2048u
#define MAX_VERSIONS (1u << 23) /* jumps use versions fast: room for ~40000 iterations */
#define RECOVERY_BUDGET_NS (100 * 1000000LL)
#define READERS 2
#define MAX_JUMP 8

typedef struct shared_log {
  uint32_t committed[MAX_VERSIONS]; /* token whose commit of v returned OK, or tried v */
  volatile int stop_readers;
  uint64_t reads, violations;
  char first_violation[160];
} shared_log;

/* Payload for (version, token): word 0 the version, word 1 the token, then words derived
 * from both; the length depends on the version so torn lengths show too. */
static size_t build(unsigned char* buf, uint64_t version, uint32_t token) {
  size_t len = 16 + (size_t)(version % 250) * 8;
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = i == 0 ? version : i == 1 ? token : version * 2654435761u + token * 40503u + i;
    memcpy(buf + i * 8, &w, 8);
  }
  return len;
}

/* The version a writer asks for after `current`: the next one, or (jump) 1 to MAX_JUMP
 * ahead, varied by writer and version. */
static uint64_t next_version(uint64_t current, uint32_t token, int jump) {
  if (!jump) return current + 1;
  return current + 1 + (current * 2654435761u + token) % MAX_JUMP;
}

/* How a run's writers commit. */
typedef enum writer_mode { PLAIN, JUMP, RING } writer_mode;

static int commit_kind(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                       ring_kind kind, uint64_t* out, shmstate_error* err) {
  unsigned char buf[CAPACITY];
  uint64_t current = shmstate_segment_version(seg);
  uint64_t next = next_version(current, token, mode == JUMP);
  if (next >= MAX_VERSIONS) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "out of versions");
  size_t len = build(buf, next, token);
  __atomic_store_n(&log->committed[next], token, __ATOMIC_SEQ_CST);
  if (mode == RING) return ring_commit(seg, current, token, kind, buf, len, out, err);
  if (mode == JUMP) return shmstate_segment_commit_at(seg, buf, len, current, next, out, err);
  return shmstate_segment_commit(seg, buf, len, current, out, err);
}

/* A commit of the mode's usual kind (RING: mostly patches, now and then another kind). */
static int commit_as(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                     uint64_t* out, shmstate_error* err) {
  uint64_t v = shmstate_segment_version(seg);
  ring_kind kind = v % 7 == 3 ? RING_PLAIN : v % 11 == 5 ? RING_BIG_PATCH : RING_PATCH;
  return commit_kind(seg, log, token, mode, kind, out, err);
}

static void violation(shared_log* log, const char* what, uint64_t version) {
  if (__atomic_fetch_add(&log->violations, 1, __ATOMIC_SEQ_CST) == 0) {
    snprintf(log->first_violation, sizeof log->first_violation, "%s (version %llu)", what,
             (unsigned long long)version);
  }
}

/* The state read as `version` is self-verifying and the one committed as it. */
static void check_state(shared_log* log, const unsigned char* buf, size_t len, uint64_t version) {
  unsigned char want[CAPACITY];
  if (version == 1) return;
  uint64_t w0 = 0, token = 0;
  if (len >= 16) {
    memcpy(&w0, buf, 8);
    memcpy(&token, buf + 8, 8);
  }
  if (len < 16 || w0 != version || build(want, version, (uint32_t)token) != len ||
      memcmp(want, buf, len) != 0) {
    violation(log, "torn or foreign payload", version);
  } else if (version < MAX_VERSIONS &&
             __atomic_load_n(&log->committed[version], __ATOMIC_SEQ_CST) != token) {
    violation(log, "payload of a writer that did not commit this version", version);
  }
}

/* The patches a ring read returned lead to from + 1, from + 2, ..., each self-verifying and
 * the one committed under its version. */
static void check_patches(shared_log* log, const ring_reader* rr, uint64_t from) {
  for (size_t i = 0; i < rr->pb.count; i++) {
    const shmstate_patch* p = &rr->pb.entries[i];
    uint32_t token = 0;
    const char* problem = ring_check_patch(rr->bytes + p->offset, p->length, p->version, &token);
    if (p->version != from + 1 + i) {
      violation(log, "patches out of order", p->version);
    } else if (problem != NULL) {
      violation(log, problem, p->version);
    } else if (p->version < MAX_VERSIONS &&
               __atomic_load_n(&log->committed[p->version], __ATOMIC_SEQ_CST) != token) {
      violation(log, "patch of a writer that did not commit this version", p->version);
    }
  }
}

/* One read and its checks; returns the version read, or 0 if there was none to check. */
static uint64_t read_once(shmstate_segment* seg, shared_log* log, writer_mode mode, uint64_t last,
                          unsigned turn) {
  static unsigned char buf[CAPACITY];
  static ring_reader rr;
  shmstate_error err;
  uint64_t version = 0;
  int rc;
  if (mode != RING) {
    size_t len = 0;
    rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err);
    if (rc == SHMSTATE_OK) check_state(log, buf, len, version);
  } else if (last != 0 && turn % 4 != 0) {
    int need_full = 0;
    size_t room = turn % 2 ? RING_PATCH_MAX : sizeof rr.bytes;
    rc = ring_catch_up(seg, &rr, last, room, &version, &need_full, &err);
    if (rc == SHMSTATE_OK && need_full) return 0;
    if (rc == SHMSTATE_OK) check_patches(log, &rr, last);
  } else {
    rc = ring_fresh_read(seg, &rr, &version, &err);
    if (rc == SHMSTATE_OK) {
      if (rr.checkpoint > version || rr.pb.count != version - rr.checkpoint) {
        violation(log, "a fresh read's patches do not join its checkpoint to its version", version);
      }
      check_state(log, rr.state, rr.len, rr.checkpoint);
      check_patches(log, &rr, rr.checkpoint);
    }
  }
  if (rc == SHMSTATE_E_BUSY) return 0; /* overtaken past the cap: allowed, not a tear */
  if (rc != SHMSTATE_OK) {
    violation(log, err.message, version);
    return 0;
  }
  return version;
}

static void reader_main(const char* name, shared_log* log, writer_mode mode) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
  uint64_t last = 0;
  for (unsigned turn = 0; !__atomic_load_n(&log->stop_readers, __ATOMIC_SEQ_CST); turn++) {
    uint64_t version = read_once(seg, log, mode, last, turn);
    if (version == 0) continue;
    __atomic_fetch_add(&log->reads, 1, __ATOMIC_RELAXED);
    if (version < last) violation(log, "version went backwards", version);
    last = version;
  }
  shmstate_segment_close(seg);
  _exit(0);
}

static long iterations(void) {
  const char* text = getenv("SHMSTATE_CRASH_ITERATIONS");
  long n = text != NULL ? strtol(text, NULL, 10) : 0;
  return n > 0 ? n : 900;
}

/* A child writer for iteration `i`: commits as fast as it can (step 0, killed from outside)
 * or makes i % 3 commits and dies at `step` of the next. On the ring the last commit is of a
 * kind that passes the step, after a plain checkpoint if the ring is too full for it. */
static void child(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode, long i,
                  int step) {
  shmstate_error err;
  uint64_t v;
  if (step == 0) {
    for (;;) {
      if (commit_as(seg, log, token, mode, &v, &err) != SHMSTATE_OK) _exit(2);
    }
  }
  int warmup = (int)(i % 3);
  ring_kind last = RING_PATCH;
  if (mode == RING) {
    if (!ring_room_for(seg, warmup + 1) &&
        commit_kind(seg, log, token, mode, RING_PLAIN, &v, &err) != SHMSTATE_OK) {
      _exit(2);
    }
    last = ring_kind_for_step(step, (int)(i / SHMSTATE_CRASH_STEP_COUNT));
  }
  for (int k = 0; k < warmup; k++) {
    if (commit_kind(seg, log, token, mode, RING_PATCH, &v, &err) != SHMSTATE_OK) _exit(2);
  }
  shmstate_test_set_crash_step(seg, step);
  commit_kind(seg, log, token, mode, last, &v, &err);
  _exit(3); /* the crash point did not fire */
}

static void writers_killed_many_times(int ring, const char* tag) {
  const char* name = harness_name(tag);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(ring_workload_create(name, CAPACITY, ring, &seg, &err), &err);
  if (seg == NULL) return;
  shared_log* log =
      mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (!CHECK(log != MAP_FAILED)) return;
  int readers[READERS];
  for (int r = 0; r < READERS; r++) {
    if ((readers[r] = fork()) == 0) reader_main(name, log, ring ? RING : PLAIN);
  }

  /* Without a ring the plain commit's points, with one every point. */
  int steps = ring ? SHMSTATE_CRASH_STEP_COUNT : SHMSTATE_CRASH_PLAIN_COUNT;
  long total = iterations();
  long kills_at_steps[SHMSTATE_CRASH_STEP_COUNT] = {0}, random_kills = 0, jump_kills = 0;
  int64_t worst_ns = 0, sum_ns = 0;
  uint32_t token = 1;
  int ok = 1;
  srand((unsigned)getpid());
  int64_t started = harness_now_ns();
  for (long i = 0; ok && i < total; i++) {
    uint32_t child_token = ++token;
    /* 0: an external kill at a random time; 1..steps-1: the crash points. */
    int step = (int)(i % steps);
    writer_mode mode = ring ? RING : i / steps % 2 ? JUMP : PLAIN;
    int pid = fork();
    if (pid == 0) child(seg, log, child_token, mode, i, step);
    if (step == 0) {
      usleep((useconds_t)(100 + rand() % 1500));
      kill(pid, SIGKILL);
    }
    ok &= CHECKF(harness_wait_child(pid) == 128 + SIGKILL, "iteration %ld (step %d)", i, step);
    if (step == 0)
      random_kills++;
    else
      kills_at_steps[step]++;
    jump_kills += mode == JUMP;
    uint64_t before = shmstate_segment_version(seg), got = 0;
    uint32_t recovery_token = ++token;
    uint64_t want = next_version(before, recovery_token, mode == JUMP);
    ring_kind kind = (ring_kind)(i % RING_KINDS);
    int64_t t0 = harness_now_ns();
    int rc = commit_kind(seg, log, recovery_token, mode, kind, &got, &err);
    int64_t took = harness_now_ns() - t0;
    sum_ns += took;
    if (took > worst_ns) worst_ns = took;
    ok &= CHECKF(rc == SHMSTATE_OK && got == want, "recovery after iteration %ld: %s", i,
                 rc == SHMSTATE_OK ? "not the version asked for" : err.message);
    ok &= CHECKF(took < RECOVERY_BUDGET_NS, "recovery took %lld us", (long long)(took / 1000));
  }
  double seconds = (double)(harness_now_ns() - started) / 1e9;
  __atomic_store_n(&log->stop_readers, 1, __ATOMIC_SEQ_CST);
  for (int r = 0; r < READERS; r++) CHECK(harness_wait_child(readers[r]) == 0);
  CHECKF(log->violations == 0, "%llu violations, first: %s", (unsigned long long)log->violations,
         log->first_violation);
  CHECKF(log->reads > 0, "the reader made no progress");
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  long at_steps = 0;
  for (int s = 1; s < steps; s++) {
    at_steps += kills_at_steps[s];
    CHECKF(kills_at_steps[s] > 0 || total < steps, "no kill at step %d", s);
  }
  CHECKF((long)st.lock_recoveries >= at_steps, "%llu recoveries for %ld kills at crash points",
         (unsigned long long)st.lock_recoveries, at_steps);
  printf(
      "    %s: %ld kills: %ld at crash points (%ld per point, %d points), %ld random, %ld of them "
      "in commit_at; %llu lock recoveries; %llu reads validated, 0 torn; final version %llu; "
      "recovery mean %.2f ms, worst %.2f ms; %.1f s\n",
      ring ? "patch ring" : "commit", at_steps + random_kills, at_steps, kills_at_steps[1],
      steps - 1, random_kills, jump_kills, (unsigned long long)st.lock_recoveries,
      (unsigned long long)log->reads, (unsigned long long)st.version,
      (double)sum_ns / (double)(at_steps + random_kills) / 1e6, (double)worst_ns / 1e6, seconds);
  munmap(log, sizeof *log);
  shmstate_segment_close(seg);
}

static void writers_killed_holding_the_lock_many_times(void) {
  writers_killed_many_times(0, "crashmany");
}

static void ring_writers_killed_holding_the_lock_many_times(void) {
  writers_killed_many_times(1, "crashmanyring");
}

int main(void) {
  static const test_case cases[] = {
      {"writers killed holding the lock (SHMSTATE_CRASH_ITERATIONS, default 900)",
       writers_killed_holding_the_lock_many_times},
      {"patch-ring writers killed holding the lock, at every ring step too "
       "(SHMSTATE_CRASH_ITERATIONS, default 900)",
       ring_writers_killed_holding_the_lock_many_times},
  };
  return harness_run("crash_many", cases, sizeof cases / sizeof cases[0]);
}
