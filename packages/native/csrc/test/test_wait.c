/* Notification: wait wakes on a commit from another process, times out, stops on request,
 * and leaves the waiter count as it found it. */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static shmstate_segment* make(const char* tag) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(harness_name(tag), 64, 0, "0", 1, &seg, &err), &err);
  return seg;
}

static uint32_t waiters_of(shmstate_segment* seg) {
  shmstate_stats st;
  shmstate_error err;
  return shmstate_segment_stats(seg, &st, &err) == SHMSTATE_OK ? st.waiters : 0xFFFFFFFFu;
}

static void wait_returns_at_once_when_version_differs(void) {
  shmstate_segment* seg = make("now");
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_wait(seg, 0, 0, NULL, &v, &err), &err);
  CHECK(v == 1);
  shmstate_segment_close(seg);
}

static void wait_wakes_on_commit_from_another_process(void) {
  shmstate_segment* seg = make("wake");
  if (seg == NULL) return;
  int pid = fork();
  if (pid == 0) {
    /* Commit once the parent is blocked (the waiter count says so), from another process. */
    while (waiters_of(seg) == 0) usleep(100);
    shmstate_error cerr;
    uint64_t v = 0;
    _exit(shmstate_segment_commit(seg, "1", 1, 0, &v, &cerr) == SHMSTATE_OK ? 0 : 1);
  }
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_wait(seg, 1, 10 * 1000000000LL, NULL, &v, &err), &err);
  CHECK(v == 2);
  CHECK(harness_wait_child(pid) == 0);
  CHECK(waiters_of(seg) == 0);
  shmstate_segment_close(seg);
}

static void wait_times_out_with_e_timeout(void) {
  shmstate_segment* seg = make("tmo");
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  int64_t start = harness_now_ns();
  CHECK_CODE(shmstate_segment_wait(seg, 1, 20 * 1000000LL, NULL, &v, &err), SHMSTATE_E_TIMEOUT,
             &err);
  CHECK(harness_now_ns() - start >= 20 * 1000000LL);
  CHECK(v == 1);
  CHECK(waiters_of(seg) == 0);
  shmstate_segment_close(seg);
}

typedef struct waiter_arg {
  shmstate_segment* seg;
  volatile int stop;
  int rc;
} waiter_arg;

static void* waiter_thread(void* p) {
  waiter_arg* arg = p;
  shmstate_error err;
  uint64_t v = 0;
  arg->rc = shmstate_segment_wait(arg->seg, 1, -1, &arg->stop, &v, &err);
  return NULL;
}

static void stop_flag_and_wake_end_a_wait_with_e_closed(void) {
  shmstate_segment* seg = make("stop");
  if (seg == NULL) return;
  /* Many rounds, some stopping before the waiter blocks and some after, so both orders of
   * the stop/wait race are covered. */
  for (int round = 0; round < 200; round++) {
    waiter_arg arg = {seg, 0, -1};
    pthread_t t;
    pthread_create(&t, NULL, waiter_thread, &arg);
    if (round % 2 == 0) {
      while (waiters_of(seg) == 0) sched_yield();
    }
    __atomic_store_n(&arg.stop, 1, __ATOMIC_SEQ_CST);
    shmstate_segment_wake(seg);
    pthread_join(t, NULL);
    if (!CHECKF(arg.rc == SHMSTATE_E_CLOSED, "round %d: %s", round, shmstate_code_name(arg.rc)))
      break;
  }
  CHECK(shmstate_segment_version(seg) == 1);
  CHECK(waiters_of(seg) == 0);
  shmstate_segment_close(seg);
}

static void wake_without_change_keeps_waiters_waiting(void) {
  shmstate_segment* seg = make("spurious");
  if (seg == NULL) return;
  waiter_arg arg = {seg, 0, -1};
  pthread_t t;
  pthread_create(&t, NULL, waiter_thread, &arg);
  while (waiters_of(seg) == 0) sched_yield();
  shmstate_segment_wake(seg); /* no stop, no new version: the waiter goes back to sleep */
  struct timespec ten_ms = {0, 10 * 1000000L};
  nanosleep(&ten_ms, NULL);
  CHECK(arg.rc == -1);
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "1", 1, 0, &v, &err), &err);
  pthread_join(t, NULL);
  CHECK(arg.rc == SHMSTATE_OK);
  shmstate_segment_close(seg);
}

static void on_signal(int sig) { (void)sig; }

static void signal_during_wait_is_e_interrupted(void) {
  shmstate_segment* seg = make("intr");
  if (seg == NULL) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: the futex wait returns EINTR */
  struct sigaction old;
  sigaction(SIGUSR1, &sa, &old);
  waiter_arg arg = {seg, 0, -1};
  pthread_t t;
  pthread_create(&t, NULL, waiter_thread, &arg);
  while (waiters_of(seg) == 0) sched_yield();
  pthread_kill(t, SIGUSR1);
  pthread_join(t, NULL);
  CHECKF(arg.rc == SHMSTATE_E_INTERRUPTED, "%s", shmstate_code_name(arg.rc));
  sigaction(SIGUSR1, &old, NULL);
  CHECK(waiters_of(seg) == 0);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"wait returns at once when the version differs", wait_returns_at_once_when_version_differs},
      {"wait wakes on a commit from another process", wait_wakes_on_commit_from_another_process},
      {"wait times out with E_TIMEOUT", wait_times_out_with_e_timeout},
      {"stop flag + wake end a wait with E_CLOSED", stop_flag_and_wake_end_a_wait_with_e_closed},
      {"wake without a change keeps waiters waiting", wake_without_change_keeps_waiters_waiting},
      {"a signal during a wait is E_INTERRUPTED", signal_during_wait_is_e_interrupted},
  };
  return harness_run("wait", cases, sizeof cases / sizeof cases[0]);
}
