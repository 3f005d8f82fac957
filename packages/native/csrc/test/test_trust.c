/* Trust: open refuses what it must not use (world-writable, symlinked, another user's);
 * create fails cleanly on a full /dev/shm. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static void open_refuses_world_writable_segment(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("worldw");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  CHECK(chmod(path, 0666) == 0);
  CHECK_CODE(shmstate_segment_open(name, &b, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "0666"), "%s", err.message);
  shmstate_segment_close(a);
}

static void open_refuses_a_symlink(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* target = harness_name("target");
  const char* link_name = harness_name("link");
  CHECK_OK(shmstate_segment_create(target, 64, 0, NULL, 0, &a, &err), &err);
  char from[256], to[256];
  snprintf(from, sizeof from, "/dev/shm/shmstate.%s", link_name);
  snprintf(to, sizeof to, "/dev/shm/shmstate.%s", target);
  CHECK(symlink(to, from) == 0);
  CHECK_CODE(shmstate_segment_open(link_name, &b, &err), SHMSTATE_E_PERM, &err);
  CHECK(b == NULL);
  unlink(from);
  shmstate_segment_close(a);
}

static void another_users_segment_is_e_perm(void) {
  if (geteuid() != 0) {
    printf("    (not run here: giving a segment to another user needs root)\n");
    return;
  }
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("owner");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  CHECK(chown(path, 65534, 65534) == 0);
  CHECK_CODE(shmstate_segment_open(name, &b, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "owned by uid 65534; this process runs as uid 0"), "%s",
         err.message);
  CHECK(b == NULL);
  shmstate_segment_close(a);
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Gives this process a private 64 KiB /dev/shm: a mount namespace (as root), or a user and
 * mount namespace (unprivileged, where the kernel allows it). */
static int enter_small_dev_shm(void) {
  if (unshare(CLONE_NEWNS) != 0) {
    char map[64];
    unsigned uid = (unsigned)geteuid(), gid = (unsigned)getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return -1;
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "%u %u 1", uid, uid);
    if (write_file("/proc/self/uid_map", map) != 0) return -1;
    snprintf(map, sizeof map, "%u %u 1", gid, gid);
    if (write_file("/proc/self/gid_map", map) != 0) return -1;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
  return mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=64k,mode=1777");
}

static void a_full_dev_shm_is_e_nospc_and_leaves_nothing(void) {
  int pid = fork();
  if (pid == 0) {
    if (enter_small_dev_shm() != 0) _exit(77);
    shmstate_error err;
    shmstate_segment* seg = NULL;
    int rc = shmstate_segment_create("nospc", 1 << 20, 0, NULL, 0, &seg, &err);
    if (rc != SHMSTATE_E_NOSPC || !harness_contains(err.message, "cannot reserve")) {
      fprintf(stderr, "    create gave %s: %s\n", shmstate_code_name(rc), err.message);
      _exit(1);
    }
    struct stat st;
    _exit(stat("/dev/shm/shmstate.nospc", &st) != 0 && errno == ENOENT ? 0 : 2);
  }
  int status = harness_wait_child(pid);
  if (status == 77) {
    printf("    (not run here: no way to mount a small tmpfs; needs root or user namespaces)\n");
    return;
  }
  CHECKF(status == 0, "child status %d", status);
}

int main(void) {
  static const test_case cases[] = {
      {"open: a world-writable segment is E_PERM", open_refuses_world_writable_segment},
      {"open: a symlink under the name is E_PERM", open_refuses_a_symlink},
      {"open: another user's segment is E_PERM", another_users_segment_is_e_perm},
      {"create: a full /dev/shm is E_NOSPC and leaves nothing",
       a_full_dev_shm_is_e_nospc_and_leaves_nothing},
  };
  return harness_run("trust", cases, sizeof cases / sizeof cases[0]);
}
