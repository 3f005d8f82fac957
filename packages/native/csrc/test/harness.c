/* The test harness behind harness.h. Test-only code: globals are fine here. */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAMES 64

static int case_failures;
static char names[MAX_NAMES][64];
static int name_count;
static int name_serial;

int harness_check(int ok, const char* file, int line, const char* expr, const char* fmt, ...) {
  if (ok) return 1;
  case_failures++;
  fprintf(stderr, "    FAIL %s:%d: %s", file, line, expr);
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    fputs(" -- ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
  }
  fputc('\n', stderr);
  return 0;
}

const char* harness_name(const char* tag) {
  if (name_count == MAX_NAMES) {
    fprintf(stderr, "harness: more than %d names in one case\n", MAX_NAMES);
    abort();
  }
  char* slot = names[name_count++];
  snprintf(slot, sizeof names[0], "t%d_%d_%s", (int)getpid(), ++name_serial, tag);
  return slot;
}

static void unlink_names(void) {
  for (int i = 0; i < name_count; i++) shmstate_segment_unlink(names[i], NULL);
  name_count = 0;
}

int harness_run(const char* suite, const test_case* cases, size_t count) {
  int passed = 0, failed = 0;
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (size_t i = 0; i < count; i++) {
    case_failures = 0;
    int64_t start = harness_now_ns();
    cases[i].fn();
    unlink_names();
    double ms = (double)(harness_now_ns() - start) / 1e6;
    if (case_failures == 0) {
      passed++;
      printf("  ok   %s: %s (%.0f ms)\n", suite, cases[i].name, ms);
    } else {
      failed++;
      printf("  FAIL %s: %s (%d failed checks)\n", suite, cases[i].name, case_failures);
    }
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

int64_t harness_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int harness_wait_child(int pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int harness_contains(const char* haystack, const char* needle) {
  return strstr(haystack, needle) != NULL;
}

double harness_stress_seconds(double fallback) {
  const char* text = getenv("SHMSTATE_STRESS_SECONDS");
  if (text == NULL || *text == '\0') return fallback;
  double value = strtod(text, NULL);
  return value > 0 ? value : fallback;
}
