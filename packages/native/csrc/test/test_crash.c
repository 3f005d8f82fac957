/*
 * Writers killed with SIGKILL while they hold the writer lock, at every step of a commit
 * (test hooks) and at random times (external kills of a busy writer), 250 times.
 * After each kill: the next writer gets the lock within 100 ms and commits the next
 * version; a reader running throughout only ever sees committed versions, never going
 * backwards, and each version it sees carries the payload committed as that version (no
 * holes: a payload written but never published must not surface under its version);
 * the statistics count the recoveries.
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
#define MAX_VERSIONS (1u << 16)
#define HOOK_ROUNDS 25 /* per crash step: 6 steps */
#define RANDOM_KILLS 100
#define LOCK_BUDGET_NS (100 * 1000000LL)

/* Shared between the test, its writers and its reader. */
typedef struct shared_log {
  uint32_t intent[MAX_VERSIONS];   /* token of the last writer that tried to commit v */
  uint32_t observed[MAX_VERSIONS]; /* token the reader saw as v's payload */
  volatile int stop_reader;
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

/* One commit with the intent protocol: record who tries version v+1, then compare-and-set. */
static int commit_as(shmstate_segment* seg, shared_log* log, uint32_t token, uint64_t* out,
                     shmstate_error* err) {
  unsigned char buf[CAPACITY];
  uint64_t current = shmstate_segment_version(seg);
  if (current + 1 >= MAX_VERSIONS) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "test ran out of versions");
  }
  size_t len = build(buf, current + 1, token);
  __atomic_store_n(&log->intent[current + 1], token, __ATOMIC_SEQ_CST);
  return shmstate_segment_commit(seg, buf, len, current, out, err);
}

static void violation(shared_log* log, const char* what, uint64_t version) {
  if (log->violations++ == 0) {
    snprintf(log->first_violation, sizeof log->first_violation, "%s (version %llu)", what,
             (unsigned long long)version);
  }
}

static void reader_main(const char* name, shared_log* log) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
  unsigned char buf[CAPACITY], want[CAPACITY];
  uint64_t last = 0;
  while (!__atomic_load_n(&log->stop_reader, __ATOMIC_SEQ_CST)) {
    size_t len = 0;
    uint64_t version = 0;
    if (shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err) != SHMSTATE_OK) {
      violation(log, err.message, version);
      continue;
    }
    log->reads++;
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
    uint32_t seen = __atomic_load_n(&log->observed[version], __ATOMIC_SEQ_CST);
    if (seen == 0) {
      __atomic_store_n(&log->observed[version], (uint32_t)token, __ATOMIC_SEQ_CST);
    } else if (seen != token) {
      violation(log, "one version seen with two payloads", version);
    }
  }
  shmstate_segment_close(seg);
  _exit(0);
}

/* After a kill: this process commits next, within the lock budget, and reads it back. */
static int recover_and_commit(shmstate_segment* seg, shared_log* log, uint32_t token,
                              const char* what) {
  shmstate_error err;
  uint64_t before = shmstate_segment_version(seg), got = 0;
  int64_t start = harness_now_ns();
  int rc = commit_as(seg, log, token, &got, &err);
  int64_t took = harness_now_ns() - start;
  int ok = CHECKF(rc == SHMSTATE_OK, "%s: %s", what, err.message);
  ok &=
      CHECKF(took < LOCK_BUDGET_NS, "%s: next commit took %lld us", what, (long long)(took / 1000));
  ok &= CHECKF(got == before + 1, "%s: committed %llu after %llu", what, (unsigned long long)got,
               (unsigned long long)before);
  unsigned char buf[CAPACITY], want[CAPACITY];
  size_t len = 0;
  uint64_t version = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err), &err);
  ok &= CHECK(version == got && build(want, got, token) == len && memcmp(buf, want, len) == 0);
  return ok;
}

static void writers_killed_at_every_step_and_at_random(void) {
  const char* name = harness_name("crash");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, NULL, 0, &seg, &err), &err);
  if (seg == NULL) return;
  shared_log* log =
      mmap(NULL, sizeof *log, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(log, 0, sizeof *log);
  int reader = fork();
  if (reader == 0) reader_main(name, log);

  uint32_t token = 1;
  uint64_t lock_held_kills = 0;
  int ok = 1;
  /* Kills at each named step; each child first makes 0-2 ordinary commits. */
  for (int round = 0; ok && round < HOOK_ROUNDS; round++) {
    for (int step = SHMSTATE_CRASH_AFTER_LOCK; ok && step < SHMSTATE_CRASH_STEP_COUNT; step++) {
      uint32_t child_token = ++token;
      int pid = fork();
      if (pid == 0) {
        uint64_t v;
        for (int i = 0; i < round % 3; i++) {
          if (commit_as(seg, log, child_token, &v, &err) != SHMSTATE_OK) _exit(2);
        }
        shmstate_test_set_crash_step(seg, step);
        commit_as(seg, log, child_token, &v, &err);
        _exit(3); /* the crash point did not fire */
      }
      ok &= CHECKF(harness_wait_child(pid) == 128 + SIGKILL, "step %d round %d", step, round);
      lock_held_kills++;
      char what[64];
      snprintf(what, sizeof what, "after a kill at step %d", step);
      ok &= recover_and_commit(seg, log, ++token, what);
    }
  }
  /* Kills from outside at random times while the child commits as fast as it can. */
  srand((unsigned)getpid());
  for (int round = 0; ok && round < RANDOM_KILLS; round++) {
    uint32_t child_token = ++token;
    int pid = fork();
    if (pid == 0) {
      uint64_t v;
      for (;;) {
        if (commit_as(seg, log, child_token, &v, &err) != SHMSTATE_OK) _exit(2);
      }
    }
    usleep((useconds_t)(200 + rand() % 2000));
    kill(pid, SIGKILL);
    ok &= CHECK(harness_wait_child(pid) == 128 + SIGKILL);
    ok &= recover_and_commit(seg, log, ++token, "after a random kill");
  }

  __atomic_store_n(&log->stop_reader, 1, __ATOMIC_SEQ_CST);
  CHECK(harness_wait_child(reader) == 0);
  CHECKF(log->violations == 0, "%llu violations, first: %s", (unsigned long long)log->violations,
         log->first_violation);
  CHECKF(log->reads > 0, "the reader made no progress");
  /* No holes: whatever the reader saw as version v is what v's last committer wrote. */
  uint64_t final = shmstate_segment_version(seg), checked = 0;
  for (uint64_t v = 2; v <= final && v < MAX_VERSIONS; v++) {
    if (log->observed[v] == 0) continue;
    checked++;
    if (!CHECKF(log->observed[v] == log->intent[v],
                "version %llu: reader saw token %u, "
                "committed by token %u",
                (unsigned long long)v, log->observed[v], log->intent[v]))
      break;
  }
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(
      st.lock_recoveries >= lock_held_kills && st.lock_recoveries <= lock_held_kills + RANDOM_KILLS,
      "%llu recoveries for %llu kills at hooks", (unsigned long long)st.lock_recoveries,
      (unsigned long long)lock_held_kills);
  printf(
      "    %llu kills at hooks, %d random kills, %llu recoveries, %llu reads, "
      "%llu versions checked, final version %llu\n",
      (unsigned long long)lock_held_kills, RANDOM_KILLS, (unsigned long long)st.lock_recoveries,
      (unsigned long long)log->reads, (unsigned long long)checked, (unsigned long long) final);
  munmap(log, sizeof *log);
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
      {"writers killed at every step and at random: 250 recoveries",
       writers_killed_at_every_step_and_at_random},
      {"recovery wakes the waiters a dead writer did not",
       recovery_wakes_waiters_a_dead_writer_did_not},
  };
  return harness_run("crash", cases, sizeof cases / sizeof cases[0]);
}
