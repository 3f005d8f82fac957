/*
 * Waiting for a segment to appear: a subscriber that starts before its publisher. The
 * waiter watches /dev/shm with inotify (IN_CREATE, IN_MOVED_TO) and tries to open the name
 * after every event, so it sleeps in poll() between creations instead of polling the name.
 * The watch is added before the first try: a creation between the try and the poll still
 * wakes the poll. A segment that exists but is still being initialised (size 0 or magic 0)
 * is the open's business (segment_open.c waits it out). Without inotify (no instance left,
 * another filesystem) the same loop polls the name every POLL_CAP_MS instead.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SHM_DIR "/dev/shm"
/* The longest one poll() sleeps even with a watch: a safety net for an event that never
 * comes (a creation through another mount of the same tmpfs), and the whole polling step
 * without inotify. */
#define POLL_CAP_MS 50

static uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Drains the events read so far: which name was created does not matter, the next try
 * opens ours or finds it still absent. */
static void drain(int fd) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (read(fd, buf, sizeof buf) > 0) {
  }
}

int shmstate_segment_open_wait(const char* name, uint64_t timeout_ns, shmstate_segment** out,
                               shmstate_error* err) {
  return shmstate_segment_open_wait_with(name, NULL, timeout_ns, out, err);
}

int shmstate_segment_open_wait_with(const char* name, const shmstate_open_options* options,
                                    uint64_t timeout_ns, shmstate_segment** out,
                                    shmstate_error* err) {
  if (out == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "out is NULL");
  *out = NULL;
  int rc = shmstate_name_check(name, err);
  if (rc != SHMSTATE_OK) return rc;
  uint64_t start = monotonic_ns();
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd >= 0 && inotify_add_watch(fd, SHM_DIR, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
    close(fd);
    fd = -1;
  }
  for (;;) {
    rc = shmstate_segment_open_with(name, options, out, err);
    if (rc != SHMSTATE_E_NOENT) break;
    uint64_t waited = monotonic_ns() - start;
    if (waited >= timeout_ns) {
      rc = shmstate_fail(err, SHMSTATE_E_TIMEOUT, 0, "no segment \"%s\" appeared within %llu ms",
                         name, (unsigned long long)((timeout_ns + 500000u) / 1000000u));
      break;
    }
    uint64_t left_ms = (timeout_ns - waited + 999999u) / 1000000u;
    int sleep_ms = left_ms < POLL_CAP_MS ? (int)left_ms : POLL_CAP_MS;
    struct pollfd pfd = {fd, POLLIN, 0};
    /* poll() on a negative fd ignores it: a plain sleep of sleep_ms. */
    if (poll(&pfd, 1, sleep_ms) < 0 && errno == EINTR) {
      rc = shmstate_fail(err, SHMSTATE_E_INTERRUPTED, EINTR,
                         "the wait for segment \"%s\" was interrupted by a signal", name);
      break;
    }
    if (fd >= 0 && (pfd.revents & POLLIN) != 0) drain(fd);
  }
  if (fd >= 0) close(fd);
  return rc;
}
