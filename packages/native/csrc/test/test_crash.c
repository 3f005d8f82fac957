/*
 * Writers killed with SIGKILL while they hold the writer lock, at every step of a commit
 * (test hooks) and at random times (external kills of a busy writer): 25 rounds of every
 * crash point plus 100 random kills, once with ordinary commits and once with commits at
 * a given version (shmstate_segment_commit_at, jumping ahead by 1 to 16).
 * After each kill: the next writer gets the lock within 100 ms and commits the version it
 * asked for; two readers running throughout only ever see committed versions, never going
 * backwards, and each version they see carries the payload committed as that version (no
 * holes: a payload written but never published must not surface under its version); the
 * statistics count the recoveries.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define CAPACITY 4096u
#define MAX_VERSIONS (1u << 20)
#define HOOK_ROUNDS 25 /* per crash step */
#define RANDOM_KILLS 100
#define READERS 2
#define MAX_JUMP 16
#define LOCK_BUDGET_NS (100 * 1000000LL)

/* How the writers of one run pick their next version. */
typedef enum writer_mode { PLAIN, JUMP } writer_mode;

/* Shared between the test, its writers and its readers. */
typedef struct shared_log {
  uint32_t intent[MAX_VERSIONS];   /* token of the last writer that tried to commit v */
  uint32_t observed[MAX_VERSIONS]; /* token a reader saw first as v's payload */
  volatile int stop_readers;
  uint64_t reads;
  uint64_t violations;
  char first_violation[160];
} shared_log;

/* Payload for (version, token): 8-byte words, word 0 the version, word 1 the token. */
static size_t build(unsigned char* buf, uint64_t version, uint32_t token) {
  size_t len = 64 + (size_t)(version % 512) * 7;
  for (size_t i = 0; i * 8 < len; i++) {
    uint64_t w = i == 0 ? version : i == 1 ? token : version * 31 + token * 17 + i;
    memcpy(buf + i * 8, &w, len - i * 8 >= 8 ? 8 : len - i * 8);
  }
  return len;
}

/* The version a writer asks for after `current`: the next one, or (JUMP) 1 to MAX_JUMP
 * ahead, varied by writer and version so that jumps of every size occur. */
static uint64_t next_version(uint64_t current, uint32_t token, writer_mode mode) {
  if (mode == PLAIN) return current + 1;
  return current + 1 + (current * 2654435761u + token) % MAX_JUMP;
}

/* One commit with the intent protocol: record who tries the next version, then commit it
 * with compare-and-set against the version it follows. */
static int commit_as(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                     uint64_t* out, shmstate_error* err) {
  unsigned char buf[CAPACITY];
  uint64_t current = shmstate_segment_version(seg);
  uint64_t next = next_version(current, token, mode);
  if (next >= MAX_VERSIONS) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "test ran out of versions");
  }
  size_t len = build(buf, next, token);
  __atomic_store_n(&log->intent[next], token, __ATOMIC_SEQ_CST);
  if (mode == JUMP) return shmstate_segment_commit_at(seg, buf, len, current, next, out, err);
  return shmstate_segment_commit(seg, buf, len, current, out, err);
}

static void violation(shared_log* log, const char* what, uint64_t version) {
  if (__atomic_fetch_add(&log->violations, 1, __ATOMIC_SEQ_CST) == 0) {
    snprintf(log->first_violation, sizeof log->first_violation, "%s (version %llu)", what,
             (unsigned long long)version);
  }
}

/* Records `token` as the payload seen for `version`, or reports a second, different one. */
static void observe(shared_log* log, uint64_t version, uint32_t token) {
  uint32_t seen = 0;
  if (!__atomic_compare_exchange_n(&log->observed[version], &seen, token, 0, __ATOMIC_SEQ_CST,
                                   __ATOMIC_SEQ_CST) &&
      seen != token) {
    violation(log, "one version seen with two payloads", version);
  }
}

static void reader_main(const char* name, shared_log* log) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
  unsigned char buf[CAPACITY], want[CAPACITY];
  uint64_t last = 0;
  while (!__atomic_load_n(&log->stop_readers, __ATOMIC_SEQ_CST)) {
    size_t len = 0;
    uint64_t version = 0;
    if (shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err) != SHMSTATE_OK) {
      violation(log, err.message, version);
      continue;
    }
    __atomic_fetch_add(&log->reads, 1, __ATOMIC_RELAXED);
    if (version < last) violation(log, "version went backwards", version);
    last = version;
    if (version == 1 || version >= MAX_VERSIONS) continue;
    uint64_t w0 = 0, token = 0;
    memcpy(&w0, buf, 8);
    memcpy(&token, buf + 8, 8);
    if (len < 16 || w0 != version) {
      violation(log, "payload belongs to another version", version);
      continue;
    }
    if (build(want, version, (uint32_t)token) != len || memcmp(want, buf, len) != 0) {
      violation(log, "payload is not the one built for its version", version);
      continue;
    }
    observe(log, version, (uint32_t)token);
  }
  shmstate_segment_close(seg);
  _exit(0);
}

/* After a kill: this process commits the version it asks for, within the lock budget, and
 * reads it back. */
static int recover_and_commit(shmstate_segment* seg, shared_log* log, uint32_t token,
                              writer_mode mode, const char* what) {
  shmstate_error err;
  uint64_t before = shmstate_segment_version(seg), got = 0;
  uint64_t want_version = next_version(before, token, mode);
  int64_t start = harness_now_ns();
  int rc = commit_as(seg, log, token, mode, &got, &err);
  int64_t took = harness_now_ns() - start;
  int ok = CHECKF(rc == SHMSTATE_OK, "%s: %s", what, err.message);
  ok &=
      CHECKF(took < LOCK_BUDGET_NS, "%s: next commit took %lld us", what, (long long)(took / 1000));
  ok &=
      CHECKF(got == want_version, "%s: committed %llu after %llu, asked for %llu", what,
             (unsigned long long)got, (unsigned long long)before, (unsigned long long)want_version);
  unsigned char buf[CAPACITY], want[CAPACITY];
  size_t len = 0;
  uint64_t version = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err), &err);
  ok &= CHECK(version == got && build(want, got, token) == len && memcmp(buf, want, len) == 0);
  return ok;
}

/* A child that makes `warmup` commits, then dies at `step` of the next one. */
static void die_at_step(shmstate_segment* seg, shared_log* log, uint32_t token, writer_mode mode,
                        int warmup, int step) {
  shmstate_error err;
  uint64_t v;
  for (int i = 0; i < warmup; i++) {
    if (commit_as(seg, log, token, mode, &v, &err) != SHMSTATE_OK) _exit(2);
  }
  shmstate_test_set_crash_step(seg, step);
  commit_as(seg, log, token, mode, &v, &err);
  _exit(3); /* the crash point did not fire */
}

/* A child that commits as fast as it can until it is killed. */
static void commit_until_killed(shmstate_segment* seg, shared_log* log, uint32_t token,
                                writer_mode mode) {
  shmstate_error err;
  uint64_t v;
  for (;;) {
    if (commit_as(seg, log, token, mode, &v, &err) != SHMSTATE_OK) _exit(2);
  }
}

/* No holes: whatever a reader saw as version v is what v's last committer wrote. */
static uint64_t check_no_holes(shmstate_segment* seg, const shared_log* log) {
  uint64_t final = shmstate_segment_version(seg), checked = 0;
  for (uint64_t v = 2; v <= final && v < MAX_VERSIONS; v++) {
    if (log->observed[v] == 0) continue;
    checked++;
    if (!CHECKF(log->observed[v] == log->intent[v],
                "version %llu: reader saw token %u, committed by token %u", (unsigned long long)v,
                log->observed[v], log->intent[v]))
      break;
  }
  return checked;
}

static void writers_killed_at_every_step_and_at_random(writer_mode mode, const char* tag) {
  const char* name = harness_name(tag);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  shared_log* log =
      mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (!CHECK(log != MAP_FAILED)) return;
  int readers[READERS];
  for (int i = 0; i < READERS; i++) {
    if ((readers[i] = fork()) == 0) reader_main(name, log);
  }

  uint32_t token = 1;
  uint64_t lock_held_kills = 0;
  int ok = 1;
  /* Kills at each named step; each child first makes 0-2 commits. */
  for (int round = 0; ok && round < HOOK_ROUNDS; round++) {
    for (int step = SHMSTATE_CRASH_AFTER_LOCK; ok && step < SHMSTATE_CRASH_PLAIN_COUNT; step++) {
      uint32_t child_token = ++token;
      int pid = fork();
      if (pid == 0) die_at_step(seg, log, child_token, mode, round % 3, step);
      ok &= CHECKF(harness_wait_child(pid) == 128 + SIGKILL, "step %d round %d", step, round);
      lock_held_kills++;
      char what[64];
      snprintf(what, sizeof what, "after a kill at step %d", step);
      ok &= recover_and_commit(seg, log, ++token, mode, what);
    }
  }
  /* Kills from outside at random times while the child commits as fast as it can. */
  srand((unsigned)getpid());
  for (int round = 0; ok && round < RANDOM_KILLS; round++) {
    uint32_t child_token = ++token;
    int pid = fork();
    if (pid == 0) commit_until_killed(seg, log, child_token, mode);
    usleep((useconds_t)(200 + rand() % 2000));
    kill(pid, SIGKILL);
    ok &= CHECK(harness_wait_child(pid) == 128 + SIGKILL);
    ok &= recover_and_commit(seg, log, ++token, mode, "after a random kill");
  }

  __atomic_store_n(&log->stop_readers, 1, __ATOMIC_SEQ_CST);
  for (int i = 0; i < READERS; i++) CHECK(harness_wait_child(readers[i]) == 0);
  CHECKF(log->violations == 0, "%llu violations, first: %s", (unsigned long long)log->violations,
         log->first_violation);
  CHECKF(log->reads > 0, "the readers made no progress");
  uint64_t checked = check_no_holes(seg, log);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(
      st.lock_recoveries >= lock_held_kills && st.lock_recoveries <= lock_held_kills + RANDOM_KILLS,
      "%llu recoveries for %llu kills at hooks", (unsigned long long)st.lock_recoveries,
      (unsigned long long)lock_held_kills);
  printf(
      "    %s: %llu kills at hooks, %d random kills, %llu recoveries, %llu reads, "
      "%llu versions checked, final version %llu\n",
      mode == JUMP ? "commit_at" : "commit", (unsigned long long)lock_held_kills, RANDOM_KILLS,
      (unsigned long long)st.lock_recoveries, (unsigned long long)log->reads,
      (unsigned long long)checked, (unsigned long long)st.version);
  munmap(log, sizeof *log);
  shmstate_segment_close(seg);
}

static void plain_writers_killed(void) {
  writers_killed_at_every_step_and_at_random(PLAIN, "crash");
}

static void jumping_writers_killed(void) {
  writers_killed_at_every_step_and_at_random(JUMP, "crashjump");
}

/* The published version and payload read through `seg`. */
static int reads_as(shmstate_segment* seg, uint64_t version, const char* want) {
  shmstate_error err;
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err);
  return CHECKF(
      rc == SHMSTATE_OK && v == version && len == strlen(want) && memcmp(buf, want, len) == 0,
      "read %s v%llu, wanted v%llu: %s", shmstate_code_name(rc), (unsigned long long)v,
      (unsigned long long)version, err.message);
}

/* Killed between its two publishing stores, a writer leaves the version published and the
 * slot index naming the previous state's slot. Readers follow the version to the other
 * slot; the next writer repairs the index before it writes, so it writes the slot that
 * does not hold the published state. */
static void a_writer_killed_between_version_and_slot_index(void) {
  const char* name = harness_name("lagkill");
  shmstate_error err;
  shmstate_segment *seg = NULL, *reader = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, "a", 1, &seg, &err), &err);
  CHECK_OK(shmstate_segment_open(name, &reader, &err), &err);
  if (seg == NULL || reader == NULL) {
    shmstate_segment_close(seg);
    shmstate_segment_close(reader);
    return;
  }
  int pid = fork();
  if (pid == 0) {
    shmstate_test_set_crash_step(seg, SHMSTATE_CRASH_AFTER_VERSION);
    shmstate_segment_commit_at(seg, "b", 1, 0, 5, NULL, &err);
    _exit(3);
  }
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  shmstate_header* hdr = seg->hdr;
  CHECK(atomic_load(&hdr->version) == 5);
  CHECK(atomic_load(&hdr->current_slot) == 1); /* still the initial state's slot */
  CHECK(reads_as(reader, 5, "b"));
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "c", 1, 5, &v, &err), &err);
  CHECK(v == 6 && reads_as(reader, 6, "c"));
  /* Repaired to slot 0 (version 5), then the commit wrote slot 1 and named it. */
  CHECK(atomic_load(&shmstate_slot(seg, 0)->version) == 5);
  CHECK(atomic_load(&shmstate_slot(seg, 1)->version) == 6);
  CHECK(atomic_load(&hdr->current_slot) == 1);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1);
  shmstate_segment_close(reader);
  shmstate_segment_close(seg);
}

typedef struct waiter_arg {
  shmstate_segment* seg;
  uint64_t seen;
  int rc;
  uint64_t woke_at;
} waiter_arg;

static void* waiter_thread(void* p) {
  waiter_arg* arg = p;
  shmstate_error err;
  arg->rc =
      shmstate_segment_wait(arg->seg, arg->seen, 10 * 1000000000LL, NULL, &arg->woke_at, &err);
  return NULL;
}

static void recovery_wakes_waiters_a_dead_writer_did_not(void) {
  const char* name = harness_name("deadwake");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  waiter_arg arg = {seg, 1, -1, 0};
  pthread_t t;
  pthread_create(&t, NULL, waiter_thread, &arg);
  shmstate_stats st;
  do {
    shmstate_segment_stats(seg, &st, &err);
  } while (st.waiters == 0);
  int pid = fork();
  if (pid == 0) {
    uint64_t v;
    shmstate_test_set_crash_step(seg, SHMSTATE_CRASH_BEFORE_WAKE);
    shmstate_segment_commit(seg, "x", 1, 0, &v, &err);
    _exit(3);
  }
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  CHECK(shmstate_segment_version(seg) == 2); /* published, nobody woken */
  /* A compare-and-set against a stale version fails, but taking the lock recovers it, and
   * recovery wakes the waiter the dead writer left asleep. */
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit(seg, "y", 1, 1, &v, &err), SHMSTATE_E_CONFLICT, &err);
  pthread_join(t, NULL);
  CHECKF(arg.rc == SHMSTATE_OK && arg.woke_at == 2, "waiter: %s at %llu",
         shmstate_code_name(arg.rc), (unsigned long long)arg.woke_at);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1 && st.conflicts == 1);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"writers killed at every step and at random: 275 kills", plain_writers_killed},
      {"commit_at writers jumping ahead, killed at every step and at random: 275 kills",
       jumping_writers_killed},
      {"a writer killed between the version and the slot index: readers see its version, "
       "the next writer repairs the index",
       a_writer_killed_between_version_and_slot_index},
      {"recovery wakes the waiters a dead writer did not",
       recovery_wakes_waiters_a_dead_writer_did_not},
  };
  return harness_run("crash", cases, sizeof cases / sizeof cases[0]);
}
