/*
 * A writer stopped (SIGSTOP) in the middle of a commit, holding the writer lock with its
 * slot's seq odd: readers keep reading the published version, other writers (threads of
 * this process and other processes) get E_TIMEOUT after their lock timeout and never
 * take the lock; after SIGCONT the stopped writer publishes its commit and everyone can
 * write again.
 *
 * The stop point: this binary is linked with --wrap=shmstate_crc32c, and the wrapper
 * raises SIGSTOP when an armed process checksums a payload of the armed length, which the
 * core does with the lock held, after the payload is in the slot and before seq is even.
 *
 * Also a tool for the Node and Python variants (test/reliability/stalled-writer.test.ts):
 *   test_stall --stall-writer <name> <payload>   commits <payload>, stopping inside the
 *   commit; prints "committed <version>" once continued.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define CAPACITY 4096u
#define STALL_LEN 777u
#define LOCK_TIMEOUT_MS 200u

uint32_t __real_shmstate_crc32c(const void* data, size_t len);

static size_t stall_len; /* 0: not armed */

uint32_t __wrap_shmstate_crc32c(const void* data, size_t len) {
  if (stall_len != 0 && len == stall_len) {
    stall_len = 0;
    raise(SIGSTOP);
  }
  return __real_shmstate_crc32c(data, len);
}

static int stall_writer_tool(const char* name, const char* payload) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) {
    fprintf(stderr, "open: %s\n", err.message);
    return 1;
  }
  uint64_t version = 0;
  stall_len = strlen(payload);
  int rc = shmstate_segment_commit(seg, payload, strlen(payload), 0, &version, &err);
  if (rc != SHMSTATE_OK)
    fprintf(stderr, "commit: %s\n", err.message);
  else
    printf("committed %llu\n", (unsigned long long)version);
  shmstate_segment_close(seg);
  return rc == SHMSTATE_OK ? 0 : 1;
}

/* Forks a writer that stops inside its commit of STALL_LEN bytes of `fill`; returns its
 * pid once it is stopped (-1 if it never stopped). */
static int start_stalled_writer(const char* name, char fill) {
  int pid = fork();
  if (pid == 0) {
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
    char payload[STALL_LEN];
    memset(payload, fill, sizeof payload);
    stall_len = STALL_LEN;
    uint64_t v = 0;
    int rc = shmstate_segment_commit(seg, payload, sizeof payload, 0, &v, &err);
    shmstate_segment_close(seg);
    _exit(rc == SHMSTATE_OK && v == 3 ? 0 : 2);
  }
  int status = 0;
  if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) return -1;
  return pid;
}

static int read_is(shmstate_segment* seg, uint64_t want_version, char fill, size_t want_len) {
  shmstate_error err;
  unsigned char buf[CAPACITY];
  size_t len = 0;
  uint64_t version = 0;
  int rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err);
  if (rc != SHMSTATE_OK || version != want_version || len != want_len) return 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] != (unsigned char)fill) return 0;
  }
  return 1;
}

/* Another process's commit while the lock is held: its result code. */
static int commit_in_child(const char* name, uint64_t expected) {
  int pid = fork();
  if (pid == 0) {
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(100);
    shmstate_segment_set_lock_timeout(seg, LOCK_TIMEOUT_MS);
    int rc = shmstate_segment_commit(seg, "child", 5, expected, NULL, &err);
    shmstate_segment_close(seg);
    _exit(rc);
  }
  return harness_wait_child(pid);
}

static void stopped_writer_blocks_writers_not_readers(void) {
  const char* name = harness_name("stall");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "aaaa", 4, &seg, &err), &err);
  if (seg == NULL) return;
  char v2[100];
  memset(v2, 'b', sizeof v2);
  CHECK_OK(shmstate_segment_commit(seg, v2, sizeof v2, 0, NULL, &err), &err);
  int pid = start_stalled_writer(name, 'c');
  if (!CHECKF(pid > 0, "the writer did not stop inside its commit")) {
    shmstate_segment_close(seg);
    return;
  }

  /* Readers: unaffected, every read succeeds with the published version 2. */
  int reads_ok = 0;
  for (int i = 0; i < 10000; i++) reads_ok += read_is(seg, 2, 'b', sizeof v2);
  CHECKF(reads_ok == 10000, "%d of 10000 reads returned version 2 whole", reads_ok);
  uint64_t seen = 0;
  CHECK_CODE(shmstate_segment_wait(seg, 2, 50 * 1000000LL, NULL, &seen, &err), SHMSTATE_E_TIMEOUT,
             &err);

  /* Writers: E_TIMEOUT after the lock timeout, from this process and from another. */
  shmstate_segment_set_lock_timeout(seg, LOCK_TIMEOUT_MS);
  for (int attempt = 0; attempt < 3; attempt++) {
    int64_t start = harness_now_ns();
    CHECK_CODE(shmstate_segment_commit(seg, "x", 1, 0, NULL, &err), SHMSTATE_E_TIMEOUT, &err);
    int64_t took_ms = (harness_now_ns() - start) / 1000000;
    CHECKF(took_ms >= LOCK_TIMEOUT_MS - 1 && took_ms < 5 * LOCK_TIMEOUT_MS,
           "timed out after %lld ms for a %u ms timeout", (long long)took_ms, LOCK_TIMEOUT_MS);
    CHECKF(harness_contains(err.message, "not acquired within 200 ms"), "%s", err.message);
  }
  CHECK(commit_in_child(name, 0) == SHMSTATE_E_TIMEOUT);
  CHECK(commit_in_child(name, 2) == SHMSTATE_E_TIMEOUT); /* compare-and-set waits too */
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECKF(st.version == 2 && st.lock_recoveries == 0 && st.commits == 2,
         "version %llu, %llu recoveries, %llu commits: nobody may take a stopped writer's lock",
         (unsigned long long)st.version, (unsigned long long)st.lock_recoveries,
         (unsigned long long)st.commits);

  /* SIGCONT: the stopped writer finishes its commit (version 3) and exits cleanly. */
  kill(pid, SIGCONT);
  CHECKF(harness_wait_child(pid) == 0, "the continued writer did not commit version 3");
  CHECK(read_is(seg, 3, 'c', STALL_LEN));
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "dddd", 4, 3, &v, &err), &err);
  CHECK(v == 4 && read_is(seg, 4, 'd', 4));
  CHECK(commit_in_child(name, 4) == SHMSTATE_OK);
  CHECK(shmstate_segment_version(seg) == 5);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 0 && st.commits == 5);
  shmstate_segment_close(seg);
}

static void stopped_then_killed_writer_is_recovered(void) {
  const char* name = harness_name("stallkill");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, CAPACITY, 0, "aaaa", 4, &seg, &err), &err);
  if (seg == NULL) return;
  CHECK_OK(shmstate_segment_commit(seg, "bb", 2, 0, NULL, &err), &err);
  int pid = start_stalled_writer(name, 'c');
  if (!CHECK(pid > 0)) {
    shmstate_segment_close(seg);
    return;
  }
  shmstate_segment_set_lock_timeout(seg, LOCK_TIMEOUT_MS);
  CHECK_CODE(shmstate_segment_commit(seg, "x", 1, 0, NULL, &err), SHMSTATE_E_TIMEOUT, &err);
  /* Killed while stopped: the robust mutex hands the next writer EOWNERDEAD. Its half
   * write (odd seq) was never published, so version 2 stays readable throughout. */
  kill(pid, SIGKILL);
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  CHECK(read_is(seg, 2, 'b', 2));
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "ee", 2, 2, &v, &err), &err);
  CHECK(v == 3 && read_is(seg, 3, 'e', 2));
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK(st.lock_recoveries == 1);
  shmstate_segment_close(seg);
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "--stall-writer") == 0) {
    return stall_writer_tool(argv[2], argv[3]);
  }
  static const test_case cases[] = {
      {"a writer stopped holding the lock: reads go on, writers get E_TIMEOUT, SIGCONT "
       "completes it",
       stopped_writer_blocks_writers_not_readers},
      {"a writer stopped and then killed holding the lock is recovered",
       stopped_then_killed_writer_is_recovered},
  };
  return harness_run("stall", cases, sizeof cases / sizeof cases[0]);
}
