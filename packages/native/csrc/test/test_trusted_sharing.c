/* Trusted sharing across users and read-only handles: the SHMSTATE_TRUST grammar, opening
 * another uid's segment only when its owner or group is trusted, creating with a group, and
 * a read-only handle that reads and waits but writes nothing (docs/reliability.md, "Other
 * users"). The cases that need another owner run as root (chown, or a forked child that
 * switches to uid 65534 with a group of our choosing); elsewhere they say "not run here". */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define OTHER_UID 65534
#define SHARED_GID 43210 /* a gid no account uses: setgroups needs no group entry */

static void segment_path(const char* name, char* path, size_t cap) {
  snprintf(path, cap, "/dev/shm/shmstate.%s", name);
}

static int needs_root(void) {
  if (geteuid() == 0) return 1;
  printf("    (not run here: another owner needs root)\n");
  return 0;
}

static void the_trust_grammar_parses_group_and_uids(void) {
  shmstate_error err;
  shmstate_trust t;
  CHECK_OK(shmstate_trust_parse("", &t, &err), &err);
  CHECK(t.group == 0 && t.uid_count == 0);
  CHECK_OK(shmstate_trust_parse("group", &t, &err), &err);
  CHECK(t.group == 1 && t.uid_count == 0);
  CHECK_OK(shmstate_trust_parse("uid:1001,group,uid:0", &t, &err), &err);
  CHECK(t.group == 1 && t.uid_count == 2 && t.uids[0] == 1001 && t.uids[1] == 0);
  static const char* const bad[] = {"groups", "uid:",         "uid:-1",   "uid:4294967295",
                                    "uid:1x", "group,",       ",group",   "group, uid:1",
                                    "UID:1",  "uid:1,,uid:2", "gid:1001", "uid:99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECKF(shmstate_trust_parse(bad[i], &t, &err) == SHMSTATE_E_INVALID, "%s", bad[i]);
    CHECKF(harness_contains(err.message, "trust \""), "%s", err.message);
  }
  char many[512] = "uid:1";
  for (int i = 2; i <= SHMSTATE_TRUST_UIDS_MAX + 1; i++) {
    snprintf(many + strlen(many), sizeof many - strlen(many), ",uid:%d", i);
  }
  CHECK_CODE(shmstate_trust_parse(many, &t, &err), SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "more than 16 uids"), "%s", err.message);
}

static void a_malformed_shmstate_trust_is_e_invalid_at_open(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("envbad");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  setenv(SHMSTATE_TRUST_ENV, "everyone", 1);
  CHECK_CODE(shmstate_segment_open(name, &b, &err), SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "from the environment variable SHMSTATE_TRUST"), "%s",
         err.message);
  /* An explicit trust ignores the environment. */
  shmstate_open_options options = {.trust = ""};
  CHECK_OK(shmstate_segment_open_with(name, &options, &b, &err), &err);
  unsetenv(SHMSTATE_TRUST_ENV);
  shmstate_segment_close(b);
  shmstate_segment_close(a);
}

/* Opens `name` with `trust` (NULL: none given) and returns the code; closes what it opened. */
static int open_trusting(const char* name, const char* trust, shmstate_error* err) {
  shmstate_open_options options = {.trust = trust};
  shmstate_segment* seg = NULL;
  int rc = shmstate_segment_open_with(name, &options, &seg, err);
  shmstate_segment_close(seg);
  return rc;
}

static void another_owner_is_opened_only_when_trusted(void) {
  if (!needs_root()) return;
  shmstate_error err;
  shmstate_segment* a = NULL;
  const char* name = harness_name("owner");
  CHECK_OK(shmstate_segment_create(name, 64, 0660, "{}", 2, &a, &err), &err);
  char path[256];
  segment_path(name, path, sizeof path);
  CHECK(chown(path, OTHER_UID, SHARED_GID) == 0);
  CHECK_CODE(open_trusting(name, NULL, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "trusts no other uid"), "%s", err.message);
  CHECK_CODE(open_trusting(name, "uid:1001", &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "not in the trust list"), "%s", err.message);
  /* Root's groups do not include SHARED_GID: the group does not vouch for it. */
  CHECK_CODE(open_trusting(name, "group", &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "group 43210") &&
             harness_contains(err.message, "not one of this process's groups"),
         "%s", err.message);
  CHECK_OK(open_trusting(name, "uid:65534", &err), &err);
  setenv(SHMSTATE_TRUST_ENV, "uid:7,uid:65534", 1);
  CHECK_OK(open_trusting(name, NULL, &err), &err);
  unsetenv(SHMSTATE_TRUST_ENV);
  /* A group of ours (root's gid 0) vouches for the owner. */
  CHECK(chown(path, OTHER_UID, 0) == 0);
  CHECK_OK(open_trusting(name, "group", &err), &err);
  /* World-writable stays refused, whoever is trusted. */
  CHECK(chmod(path, 0666) == 0);
  CHECK_CODE(open_trusting(name, "group,uid:65534", &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "world-writable"), "%s", err.message);
  shmstate_segment_close(a);
}

static void create_gives_the_segment_its_group(void) {
  shmstate_error err;
  shmstate_segment* a = NULL;
  const char* name = harness_name("group");
  shmstate_create_options options = {.capacity = 64,
                                     .mode = 0640,
                                     .initial_version = 1,
                                     .has_group = 1,
                                     .group = (uint32_t)getegid()};
  CHECK_OK(shmstate_segment_create_with(name, &options, NULL, 0, &a, &err), &err);
  char path[256];
  segment_path(name, path, sizeof path);
  struct stat st;
  CHECK(stat(path, &st) == 0 && st.st_gid == getegid() && (st.st_mode & 0777) == 0640);
  shmstate_segment_close(a);
  uint32_t gid = 1;
  CHECK_OK(shmstate_group_parse("4321", &gid, &err), &err);
  CHECK(gid == 4321);
  CHECK_CODE(shmstate_group_parse("no-such-group-here", &gid, &err), SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "no-such-group-here"), "%s", err.message);
}

static void create_with_a_group_the_creator_is_not_in_is_e_perm(void) {
  if (!needs_root()) return;
  int pid = fork();
  if (pid == 0) {
    gid_t mine = SHARED_GID;
    if (setgroups(1, &mine) != 0 || setresgid(mine, mine, mine) != 0 ||
        setresuid(OTHER_UID, OTHER_UID, OTHER_UID) != 0) {
      _exit(70);
    }
    shmstate_error err;
    shmstate_segment* seg = NULL;
    char name[64];
    snprintf(name, sizeof name, "t%d_notmine", (int)getpid());
    shmstate_create_options options = {
        .capacity = 64, .mode = 0660, .initial_version = 1, .has_group = 1, .group = 12};
    int rc = shmstate_segment_create_with(name, &options, NULL, 0, &seg, &err);
    struct stat st;
    char path[128];
    segment_path(name, path, sizeof path);
    int gone = stat(path, &st) != 0 && errno == ENOENT;
    _exit(rc == SHMSTATE_E_PERM && harness_contains(err.message, "group 12") && gone ? 0 : 1);
  }
  CHECK(harness_wait_child(pid) == 0);
}

/* The bytes of a segment file, to show that a read-only handle changed none of them. */
static unsigned char* file_bytes(const char* name, size_t* len) {
  char path[256];
  segment_path(name, path, sizeof path);
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char* buf = malloc(1 << 20);
  *len = buf != NULL ? fread(buf, 1, 1 << 20, f) : 0;
  fclose(f);
  return buf;
}

static void a_read_only_handle_reads_and_waits_and_writes_nothing(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *ro = NULL;
  const char* name = harness_name("ro");
  CHECK_OK(shmstate_segment_create(name, 64, 0, "{\"n\":1}", 7, &a, &err), &err);
  shmstate_open_options options = {.read_only = 1};
  CHECK_OK(shmstate_segment_open_with(name, &options, &ro, &err), &err);
  CHECK(shmstate_segment_read_only(ro) == 1 && shmstate_segment_read_only(a) == 0);
  size_t before_len = 0, after_len = 0;
  unsigned char* before = file_bytes(name, &before_len);

  char buf[64];
  size_t len = 0;
  uint64_t version = 0;
  CHECK_OK(shmstate_segment_read(ro, buf, sizeof buf, &len, &version, &err), &err);
  CHECK(version == 1 && len == 7 && memcmp(buf, "{\"n\":1}", 7) == 0);
  CHECK_CODE(shmstate_segment_commit(ro, "{}", 2, 0, NULL, &err), SHMSTATE_E_PERM, &err);
  CHECKF(harness_contains(err.message, "read-only"), "%s", err.message);
  shmstate_doorbell* bell = NULL;
  CHECK_CODE(shmstate_doorbell_open(ro, &bell, &err), SHMSTATE_E_PERM, &err);
  CHECK(bell == NULL);
  CHECK_OK(shmstate_segment_attach(ro, SHMSTATE_ROLE_SUBSCRIBER, SHMSTATE_LANGUAGE_C, &err), &err);
  CHECK(shmstate_segment_attach_index(ro) == -1);
  CHECK_OK(shmstate_segment_set_role(ro, SHMSTATE_ROLE_READER, &err), &err);
  CHECK_CODE(shmstate_segment_wait(ro, 1, 20 * 1000000, NULL, NULL, &err), SHMSTATE_E_TIMEOUT,
             &err);
  shmstate_segment_wake(ro);
  shmstate_stats stats;
  CHECK_OK(shmstate_segment_stats(ro, &stats, &err), &err);
  CHECK(stats.waiters == 0 && (stats.flags & SHMSTATE_FLAG_UNTRACKED) == 0);
  shmstate_segment_detach(ro);
  unsigned char* after = file_bytes(name, &after_len);
  CHECK(before != NULL && after != NULL && before_len == after_len &&
        memcmp(before, after, before_len) == 0);
  free(before);
  free(after);

  /* A commit from the writer is seen by the read-only waiter (no wake needed: its slice). */
  int pid = fork();
  if (pid == 0) {
    usleep(30000);
    shmstate_error e;
    _exit(shmstate_segment_commit(a, "{\"n\":2}", 7, 0, NULL, &e) == SHMSTATE_OK ? 0 : 1);
  }
  CHECK_OK(shmstate_segment_wait(ro, 1, 5000 * 1000000LL, NULL, &version, &err), &err);
  CHECK(version == 2);
  CHECK(harness_wait_child(pid) == 0);
  shmstate_segment_close(ro);
  shmstate_segment_close(a);
}

static void a_read_only_wait_finds_the_file_removed_by_hand(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *ro = NULL;
  const char* name = harness_name("rorm");
  CHECK_OK(shmstate_segment_create(name, 64, 0, "{}", 2, &a, &err), &err);
  shmstate_open_options options = {.read_only = 1};
  CHECK_OK(shmstate_segment_open_with(name, &options, &ro, &err), &err);
  char path[256];
  segment_path(name, path, sizeof path);
  CHECK(unlink(path) == 0); /* by hand: no flag set, nobody woken */
  /* Nobody commits: the wait's slices find the name gone, long before the 5 s deadline. */
  uint64_t version = 0;
  CHECK_CODE(shmstate_segment_wait(ro, 1, 5000 * 1000000LL, NULL, &version, &err),
             SHMSTATE_E_RETIRED, &err);
  CHECK(version == 1);
  shmstate_segment_close(ro);
  shmstate_segment_close(a);
}

/* As uid 65534 in SHARED_GID only: open `name` trusting the group and report through the
 * exit status: 10 + read_only, or 1 on a failure. */
static int child_opens_as_group_member(const char* name, int commit_code_expected) {
  gid_t mine = SHARED_GID;
  if (setgroups(1, &mine) != 0 || setresgid(OTHER_UID, OTHER_UID, OTHER_UID) != 0 ||
      setresuid(OTHER_UID, OTHER_UID, OTHER_UID) != 0) {
    return 70;
  }
  shmstate_error err;
  shmstate_segment* seg = NULL;
  shmstate_open_options options = {.trust = "group"};
  if (shmstate_segment_open_with(name, &options, &seg, &err) != SHMSTATE_OK) {
    fprintf(stderr, "    child open: %s\n", err.message);
    return 1;
  }
  char buf[64];
  size_t len;
  uint64_t version;
  int ok = shmstate_segment_read(seg, buf, sizeof buf, &len, &version, &err) == SHMSTATE_OK &&
           version == 1 &&
           shmstate_segment_commit(seg, "{}", 2, 0, NULL, &err) == commit_code_expected;
  int read_only = shmstate_segment_read_only(seg);
  shmstate_segment_close(seg);
  return ok ? 10 + read_only : 1;
}

static void a_group_member_gets_read_write_on_0660_and_read_only_on_0640(void) {
  if (!needs_root()) return;
  static const struct {
    unsigned mode;
    int commit_code;
    int status;
  } cases[] = {{0660, SHMSTATE_OK, 10}, {0640, SHMSTATE_E_PERM, 11}};
  for (size_t i = 0; i < 2; i++) {
    shmstate_error err;
    shmstate_segment* a = NULL;
    const char* name = harness_name("member");
    shmstate_create_options options = {.capacity = 64,
                                       .mode = cases[i].mode,
                                       .initial_version = 1,
                                       .has_group = 1,
                                       .group = SHARED_GID};
    CHECK_OK(shmstate_segment_create_with(name, &options, "{}", 2, &a, &err), &err);
    int pid = fork();
    if (pid == 0) _exit(child_opens_as_group_member(name, cases[i].commit_code));
    int status = harness_wait_child(pid);
    CHECKF(status == cases[i].status, "mode 0%o: child status %d", cases[i].mode, status);
    shmstate_segment_close(a);
  }
}

/* As uid 65534 in SHARED_GID only: open `name` (0640, so read-only) trusting the group and
 * list its attach table: 0 when it lists the parent's live entry, 1 otherwise. */
static int child_lists_as_group_member(const char* name) {
  gid_t mine = SHARED_GID;
  if (setgroups(1, &mine) != 0 || setresgid(OTHER_UID, OTHER_UID, OTHER_UID) != 0 ||
      setresuid(OTHER_UID, OTHER_UID, OTHER_UID) != 0) {
    return 70;
  }
  shmstate_error err;
  shmstate_segment* seg = NULL;
  shmstate_open_options options = {.trust = "group"};
  if (shmstate_segment_open_with(name, &options, &seg, &err) != SHMSTATE_OK) return 2;
  shmstate_attachment out[4];
  size_t count = 0;
  int rc = shmstate_segment_attached(seg, out, 4, &count, &err);
  if (rc != SHMSTATE_OK) fprintf(stderr, "    child attached(): %s\n", err.message);
  int ok = rc == SHMSTATE_OK && shmstate_segment_read_only(seg) && count == 1 && out[0].alive &&
           !out[0].self && out[0].role == SHMSTATE_ROLE_WRITER;
  shmstate_segment_close(seg);
  return ok ? 0 : 1;
}

static void a_group_member_with_read_only_access_lists_the_attach_table(void) {
  if (!needs_root()) return;
  shmstate_error err;
  shmstate_segment* a = NULL;
  const char* name = harness_name("rolist");
  shmstate_create_options options = {
      .capacity = 64, .mode = 0640, .initial_version = 1, .has_group = 1, .group = SHARED_GID};
  CHECK_OK(shmstate_segment_create_with(name, &options, "{}", 2, &a, &err), &err);
  CHECK_OK(shmstate_segment_attach(a, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  int pid = fork();
  if (pid == 0) _exit(child_lists_as_group_member(name));
  int status = harness_wait_child(pid);
  CHECKF(status == 0, "child status %d", status);
  shmstate_segment_close(a);
}

int main(void) {
  static const test_case cases[] = {
      {"trust: the grammar parses group and uids, refuses the rest",
       the_trust_grammar_parses_group_and_uids},
      {"trust: a malformed SHMSTATE_TRUST is E_INVALID at open",
       a_malformed_shmstate_trust_is_e_invalid_at_open},
      {"trust: another owner's segment opens only when its uid or group is trusted",
       another_owner_is_opened_only_when_trusted},
      {"create: the segment gets the group asked for", create_gives_the_segment_its_group},
      {"create: a group the creator is not in is E_PERM and leaves nothing",
       create_with_a_group_the_creator_is_not_in_is_e_perm},
      {"read-only: reads and waits, writes are E_PERM, no byte changes",
       a_read_only_handle_reads_and_waits_and_writes_nothing},
      {"group member: read-write on 0660, read-only on 0640",
       a_group_member_gets_read_write_on_0660_and_read_only_on_0640},
      {"read-only: a wait finds the file removed by hand, with nobody committing",
       a_read_only_wait_finds_the_file_removed_by_hand},
      {"group member: lists the attach table of a 0640 segment it may only read",
       a_group_member_with_read_only_access_lists_the_attach_table},
  };
  return harness_run("trusted_sharing", cases, sizeof cases / sizeof cases[0]);
}
