/*
 * A small test harness: named test cases, CHECK macros that report file:line and carry
 * on, a unique segment name per test, and helpers for fork-based tests. Each test binary
 * prints "N passed, M failed" last; run.sh sums the binaries into the final line.
 */
#ifndef SHMSTATE_TEST_HARNESS_H
#define SHMSTATE_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "shmstate.h"

typedef struct test_case {
  const char* name;
  void (*fn)(void);
} test_case;

/* Runs every case in order, prints one line per case and the summary; returns the exit
 * status for main (0 when every case passed). */
int harness_run(const char* suite, const test_case* cases, size_t count);

/* Records a failed check in the current case (printf-style detail) when `ok` is false. */
int harness_check(int ok, const char* file, int line, const char* expr, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define CHECK(cond) harness_check(!!(cond), __FILE__, __LINE__, #cond, NULL)
#define CHECKF(cond, ...) harness_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
/* A call returning a shmstate code that must be OK (or `want`); prints the error if not.
 * The call is evaluated before the error is read. */
#define CHECK_OK(call, errp) CHECK_CODE(call, SHMSTATE_OK, errp)
#define CHECK_CODE(call, want, errp)                                            \
  do {                                                                          \
    int check_rc_ = (call);                                                     \
    harness_check(check_rc_ == (want), __FILE__, __LINE__, #call, "got %s: %s", \
                  shmstate_code_name(check_rc_), (errp)->message);              \
  } while (0)

/* A name unique to this process and call ("t<pid>_<n>_<tag>"); the harness unlinks every
 * name it handed out when the case ends, so a failing case leaves nothing in /dev/shm. */
const char* harness_name(const char* tag);

/* Monotonic clock in nanoseconds. */
int64_t harness_now_ns(void);

/* Waits for a child and returns its exit status (128 + signal if it was killed). */
int harness_wait_child(int pid);

/* Whether message `haystack` contains `needle`. */
int harness_contains(const char* haystack, const char* needle);

/* Seconds of stress from SHMSTATE_STRESS_SECONDS (default `fallback`). */
double harness_stress_seconds(double fallback);

#endif /* SHMSTATE_TEST_HARNESS_H */
