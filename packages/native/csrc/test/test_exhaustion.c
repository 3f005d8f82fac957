/*
 * Exhaustion: a tmpfs that fills up gives E_NOSPC at create and open_or_create, and a
 * segment created before it filled writes every page of both slots without SIGBUS (its
 * pages were reserved at create); running out of file descriptors gives E_LIMIT, and
 * open segments hold no descriptor (the mapping keeps them alive), so only the moment of
 * opening needs one.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harness.h"

#define SEG_CAPACITY 16384u

/* A private 64 KiB /dev/shm for this process (a mount namespace: needs root). */
static int enter_small_dev_shm(void) {
  if (unshare(CLONE_NEWNS) != 0) return -1;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
  return mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k,mode=1777");
}

/* Fills the rest of the tmpfs; returns the bytes written. */
static long fill_dev_shm(void) {
  int fd = open("/dev/shm/filler", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  static char block[4096];
  long total = 0;
  for (;;) {
    ssize_t n = write(fd, block, sizeof block);
    if (n <= 0) break;
    total += n;
  }
  close(fd);
  return total;
}

/* The child's checks: exit 0 if all hold, else the number of the failed step. */
static int full_tmpfs_steps(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  if (shmstate_segment_create("early", SEG_CAPACITY, 0, NULL, 0, &seg, &err) != SHMSTATE_OK) {
    return 1;
  }
  if (fill_dev_shm() < 0) return 2;
  /* Every page of both slots, written at full capacity: reserved pages, no SIGBUS. */
  static unsigned char payload[SEG_CAPACITY], buf[SEG_CAPACITY];
  for (int i = 0; i < 4; i++) {
    memset(payload, 'a' + i, sizeof payload);
    if (shmstate_segment_commit(seg, payload, sizeof payload, 0, NULL, &err) != SHMSTATE_OK) {
      return 3;
    }
    size_t len = 0;
    uint64_t v = 0;
    if (shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err) != SHMSTATE_OK ||
        len != sizeof payload || memcmp(buf, payload, len) != 0) {
      return 4;
    }
  }
  shmstate_segment* more = NULL;
  int rc = shmstate_segment_create("late", SEG_CAPACITY, 0, NULL, 0, &more, &err);
  if (rc != SHMSTATE_E_NOSPC || more != NULL) return 5;
  int created = -1;
  rc = shmstate_segment_open_or_create("late2", 64, 0, NULL, 0, &more, &created, &err);
  if (rc != SHMSTATE_E_NOSPC || more != NULL || created != 0) return 6;
  if (access("/dev/shm/shmstate.late", F_OK) == 0 || access("/dev/shm/shmstate.late2", F_OK) == 0) {
    return 7; /* a failed create leaves no half-made segment */
  }
  shmstate_segment_close(seg);
  return 0;
}

static void a_full_tmpfs_is_e_nospc_never_sigbus(void) {
  if (geteuid() != 0) {
    printf("    (not run here: mounting a small tmpfs in a mount namespace needs root)\n");
    return;
  }
  int pid = fork();
  if (pid == 0) {
    if (enter_small_dev_shm() != 0) _exit(77);
    _exit(full_tmpfs_steps());
  }
  int status = harness_wait_child(pid);
  if (status == 77) {
    printf("    (not run here: this kernel refused a private mount namespace)\n");
    return;
  }
  CHECKF(status == 0, "child failed at step %d (128+7 = SIGBUS)", status);
}

static void no_file_descriptor_left_is_e_limit(void) {
  shmstate_error err;
  shmstate_segment *seg = NULL, *other = NULL;
  const char* name = harness_name("nofile");
  CHECK_OK(shmstate_segment_create(name, 64, 0, "{}", 2, &seg, &err), &err);
  struct rlimit old;
  getrlimit(RLIMIT_NOFILE, &old);
  struct rlimit low = {64, old.rlim_max};
  CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
  int fds[64], count = 0;
  while (count < 64 && (fds[count] = dup(0)) >= 0) count++;
  CHECK(count < 64 && errno == EMFILE);
  CHECK_CODE(shmstate_segment_open(name, &other, &err), SHMSTATE_E_LIMIT, &err);
  CHECK(other == NULL);
  CHECKF(harness_contains(err.message, "Too many open files"), "%s", err.message);
  CHECK_CODE(shmstate_segment_create(harness_name("nofile2"), 64, 0, NULL, 0, &other, &err),
             SHMSTATE_E_LIMIT, &err);
  CHECK(other == NULL);
  for (int i = 0; i < count; i++) close(fds[i]);
  /* With descriptors free again, 2000 handles open under the same 64-descriptor limit:
   * an open segment keeps its mapping, not its descriptor. */
  static shmstate_segment* handles[2000];
  int opened = 0;
  for (int i = 0; i < 2000; i++) {
    if (shmstate_segment_open(name, &handles[i], &err) != SHMSTATE_OK) break;
    opened++;
  }
  CHECKF(opened == 2000, "only %d handles opened under RLIMIT_NOFILE 64: %s", opened, err.message);
  for (int i = 0; i < opened; i++) shmstate_segment_close(handles[i]);
  setrlimit(RLIMIT_NOFILE, &old);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"a tmpfs that fills up: E_NOSPC at create, never SIGBUS for an existing segment",
       a_full_tmpfs_is_e_nospc_never_sigbus},
      {"no file descriptor left: E_LIMIT; open segments hold none",
       no_file_descriptor_left_is_e_limit},
  };
  return harness_run("exhaustion", cases, sizeof cases / sizeof cases[0]);
}
