/* Waiting for a segment to appear: the wait ends with the segment its creator published,
 * even one created after the wait began or still being initialised; it times out with
 * E_TIMEOUT after about the time given; an existing segment opens at once; bad arguments
 * fail at once; other open failures are not waited out. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define MS 1000000ll

typedef struct creator_args {
  const char* name;
  int delay_ms;
} creator_args;

static void* create_later(void* p) {
  creator_args* a = p;
  struct timespec ts = {a->delay_ms / 1000, (long)(a->delay_ms % 1000) * MS};
  nanosleep(&ts, NULL);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(a->name, 1000, 0, "{\"n\":7}", 7, &seg, &err), &err);
  shmstate_segment_close(seg);
  return NULL;
}

static void a_segment_created_during_the_wait_is_opened(void) {
  const char* name = harness_name("wait-late");
  creator_args a = {name, 200};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, create_later, &a) == 0);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int64_t start = harness_now_ns();
  CHECK_OK(shmstate_segment_open_wait(name, 5000 * MS, &seg, &err), &err);
  int64_t took = harness_now_ns() - start;
  CHECKF(took >= 150 * MS && took < 2000 * MS, "took %lld ms", (long long)(took / MS));
  CHECK(seg != NULL && shmstate_segment_version(seg) == 1);
  pthread_join(t, NULL);
  shmstate_segment_close(seg);
  shmstate_segment_unlink(name, NULL);
}

static void an_existing_segment_opens_at_once(void) {
  const char* name = harness_name("wait-exists");
  shmstate_error err;
  shmstate_segment* made = NULL;
  CHECK_OK(shmstate_segment_create(name, 1000, 0, "{}", 2, &made, &err), &err);
  shmstate_segment* seg = NULL;
  int64_t start = harness_now_ns();
  CHECK_OK(shmstate_segment_open_wait(name, 0, &seg, &err), &err);
  CHECK(harness_now_ns() - start < 100 * MS);
  shmstate_segment_close(seg);
  shmstate_segment_close(made);
  shmstate_segment_unlink(name, NULL);
}

static void no_segment_times_out_with_e_timeout(void) {
  const char* name = harness_name("wait-never");
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int64_t start = harness_now_ns();
  CHECK_CODE(shmstate_segment_open_wait(name, 300 * MS, &seg, &err), SHMSTATE_E_TIMEOUT, &err);
  int64_t took = harness_now_ns() - start;
  CHECKF(took >= 300 * MS && took < 1000 * MS, "took %lld ms", (long long)(took / MS));
  CHECK(seg == NULL);
  CHECK(harness_contains(err.message, name));
  CHECK_CODE(shmstate_segment_open_wait(name, 0, &seg, &err), SHMSTATE_E_TIMEOUT, &err);
}

static void bad_arguments_fail_at_once(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open_wait("bad/name", 1000 * MS, &seg, &err), SHMSTATE_E_NAME, &err);
  CHECK_CODE(shmstate_segment_open_wait("fine", 1000 * MS, NULL, &err), SHMSTATE_E_INVALID, &err);
}

static void a_corrupt_segment_is_not_waited_out(void) {
  const char* name = harness_name("wait-corrupt");
  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  CHECK(ftruncate(fd, 64) == 0);
  close(fd);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int64_t start = harness_now_ns();
  CHECK_CODE(shmstate_segment_open_wait(name, 5000 * MS, &seg, &err), SHMSTATE_E_CORRUPT, &err);
  CHECK(harness_now_ns() - start < 1000 * MS);
  shm_unlink(path);
}

int main(void) {
  static const test_case cases[] = {
      {"a segment created during the wait is opened", a_segment_created_during_the_wait_is_opened},
      {"an existing segment opens at once", an_existing_segment_opens_at_once},
      {"no segment times out with E_TIMEOUT", no_segment_times_out_with_e_timeout},
      {"bad arguments fail at once", bad_arguments_fail_at_once},
      {"a corrupt segment is not waited out", a_corrupt_segment_is_not_waited_out},
  };
  return harness_run("open_wait", cases, sizeof cases / sizeof cases[0]);
}
