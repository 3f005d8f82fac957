/*
 * Permissions with a real second user (uid/gid 65534, "nobody"/"nogroup"), switched to in
 * a forked child with setresuid: a 0600 segment is closed to other users; a name another
 * user created first is refused (E_PERM naming the owner), never attached to; a symlink
 * under the name is refused by every entry point; a requested 0660 is exact under umask
 * 077, and still only its owner can open it (shmstate opens only its own uid's segments).
 * Needs root to switch users: elsewhere each case prints "not run here" (it cannot run).
 */
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define OTHER_UID 65534
#define OTHER_GID 65534

static int can_switch_users(void) {
  if (geteuid() == 0) return 1;
  printf("    (not run here: switching to a second uid needs root; this runs as uid %u)\n",
         (unsigned)geteuid());
  return 0;
}

/* Runs `fn(name)` in a child as uid/gid `uid`/`gid`; returns what fn returns (a code). */
static int as_user(unsigned uid, unsigned gid, int (*fn)(const char*), const char* name) {
  int pid = fork();
  if (pid == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
      _exit(120);
    }
    _exit(fn(name));
  }
  return harness_wait_child(pid);
}

static int open_as_other(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_open(name, &seg, &err);
  if (rc == SHMSTATE_OK) shmstate_segment_close(seg);
  if (rc != SHMSTATE_OK && seg != NULL) return 121;
  if (rc == SHMSTATE_E_PERM && !harness_contains(err.message, name)) return 122;
  return rc;
}

static int open_or_create_as_other(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int created = -1;
  int rc = shmstate_segment_open_or_create(name, 64, 0, NULL, 0, &seg, &created, &err);
  if (rc == SHMSTATE_OK) shmstate_segment_close(seg);
  return rc == SHMSTATE_OK || (seg == NULL && created == 0) ? rc : 123;
}

static int create_as_other(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_create(name, 64, 0, "{}", 2, &seg, &err);
  shmstate_segment_close(seg);
  return rc;
}

static void a_0600_segment_is_closed_to_another_user(void) {
  if (!can_switch_users()) return;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("private");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &seg, &err), &err);
  CHECK(as_user(OTHER_UID, OTHER_GID, open_as_other, name) == SHMSTATE_E_PERM);
  CHECK(as_user(OTHER_UID, OTHER_GID, open_or_create_as_other, name) == SHMSTATE_E_PERM);
  CHECK(as_user(OTHER_UID, OTHER_GID, create_as_other, name) == SHMSTATE_E_EXISTS);
  /* Same group, other user: 0600 gives the group nothing. */
  CHECK(as_user(OTHER_UID, getegid(), open_as_other, name) == SHMSTATE_E_PERM);
  shmstate_segment_close(seg);
}

static void a_name_squatted_by_another_user_is_refused(void) {
  if (!can_switch_users()) return;
  const char* name = harness_name("squat");
  CHECK(as_user(OTHER_UID, OTHER_GID, create_as_other, name) == SHMSTATE_OK);
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  chmod(path, 0644); /* readable by us: the owner check, not the OS, must refuse it */
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "owned by uid 65534; this process runs as uid 0"), "%s",
         err.message);
  CHECK(seg == NULL);
  int created = -1;
  CHECK_CODE(shmstate_segment_open_or_create(name, 64, 0, NULL, 0, &seg, &created, &err),
             SHMSTATE_E_PERM, &err);
  CHECK(seg == NULL && created == 0);
  CHECKF(harness_contains(err.message, "owned by uid 65534"), "%s", err.message);
  CHECK_CODE(shmstate_segment_create(name, 64, 0, NULL, 0, &seg, &err), SHMSTATE_E_EXISTS, &err);
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_uid == OTHER_UID); /* refused, and left as it was */
}

static int plant_symlink_as_other(const char* link_name) {
  /* link_name is "<target name>.lnk"; the link points at the target's file. */
  char from[256], to[256];
  snprintf(from, sizeof from, "/dev/shm/shmstate.%s", link_name);
  snprintf(to, sizeof to, "/dev/shm/shmstate.%.*s", (int)(strlen(link_name) - 4), link_name);
  return symlink(to, from) == 0 ? 0 : 124;
}

static void a_symlink_planted_by_another_user_is_refused(void) {
  if (!can_switch_users()) return;
  shmstate_error err;
  shmstate_segment *seg = NULL, *other = NULL;
  const char* target = harness_name("victim");
  char link_name[128];
  snprintf(link_name, sizeof link_name, "%s.lnk", target);
  CHECK_OK(shmstate_segment_create(target, 64, 0, "{}", 2, &seg, &err), &err);
  CHECK(as_user(OTHER_UID, OTHER_GID, plant_symlink_as_other, link_name) == 0);
  CHECK_CODE(shmstate_segment_open(link_name, &other, &err), SHMSTATE_E_PERM, &err);
  CHECK(other == NULL);
  int created = -1;
  CHECK_CODE(shmstate_segment_open_or_create(link_name, 64, 0, NULL, 0, &other, &created, &err),
             SHMSTATE_E_PERM, &err);
  CHECK(other == NULL && created == 0);
  CHECK_CODE(shmstate_segment_create(link_name, 64, 0, NULL, 0, &other, &err), SHMSTATE_E_EXISTS,
             &err);
  char from[256];
  snprintf(from, sizeof from, "/dev/shm/shmstate.%s", link_name);
  unlink(from);
  shmstate_segment_close(seg);
}

static void a_requested_0660_is_exact_under_umask_077(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("m0660");
  mode_t old = umask(077);
  CHECK_OK(shmstate_segment_create(name, 64, 0660, NULL, 0, &seg, &err), &err);
  umask(old);
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  struct stat st;
  CHECK(stat(path, &st) == 0);
  CHECKF((st.st_mode & 07777) == 0660, "mode 0%o", (unsigned)(st.st_mode & 07777));
  if (can_switch_users()) {
    /* A member of the group may map the file, but shmstate refuses a segment it does not
     * own: group sharing is not a trust boundary it supports (docs/reliability.md). */
    CHECK(as_user(OTHER_UID, getegid(), open_as_other, name) == SHMSTATE_E_PERM);
    CHECK(as_user(OTHER_UID, OTHER_GID, open_as_other, name) == SHMSTATE_E_PERM);
  }
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"a 0600 segment is E_PERM for another user", a_0600_segment_is_closed_to_another_user},
      {"a name another user created first is E_PERM naming the owner, never attached",
       a_name_squatted_by_another_user_is_refused},
      {"a symlink another user planted is E_PERM for open and open_or_create",
       a_symlink_planted_by_another_user_is_refused},
      {"a requested 0660 is exact under umask 077; only the owner opens it",
       a_requested_0660_is_exact_under_umask_077},
  };
  return harness_run("permissions", cases, sizeof cases / sizeof cases[0]);
}
