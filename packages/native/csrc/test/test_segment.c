/* Segment lifecycle: create, open, modes, existence, unlink, open_or_create, arguments. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static const char initial[] = "{\"hello\":1}";

static mode_t mode_of(const char* name) {
  char path[256];
  snprintf(path, sizeof path, "/dev/shm/shmstate.%s", name);
  struct stat st;
  if (stat(path, &st) != 0) return (mode_t)-1;
  return st.st_mode & 07777;
}

static void create_default_mode_is_0600(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("mode");
  mode_t old = umask(0);
  CHECK_OK(shmstate_segment_create(name, 1024, 0, initial, sizeof initial - 1, &seg, &err), &err);
  umask(old);
  CHECKF(mode_of(name) == 0600, "mode is 0%o", (unsigned)mode_of(name));
  shmstate_segment_close(seg);
}

static void create_honours_0640_under_umask_077(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("mode640");
  mode_t old = umask(077);
  CHECK_OK(shmstate_segment_create(name, 1024, 0640, initial, sizeof initial - 1, &seg, &err),
           &err);
  umask(old);
  CHECKF(mode_of(name) == 0640, "mode is 0%o", (unsigned)mode_of(name));
  shmstate_segment_close(seg);
}

static void create_then_open_reads_initial_as_version_1(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("open");
  CHECK_OK(shmstate_segment_create(name, 100, 0, initial, sizeof initial - 1, &a, &err), &err);
  CHECK_OK(shmstate_segment_open(name, &b, &err), &err);
  if (b == NULL) return;
  CHECK(shmstate_segment_capacity(b) == 100);
  CHECK(shmstate_segment_version(b) == 1);
  CHECK(strcmp(shmstate_segment_name(b), name) == 0);
  char buf[100];
  size_t len = 0;
  uint64_t version = 0;
  CHECK_OK(shmstate_segment_read(b, buf, sizeof buf, &len, &version, &err), &err);
  CHECK(len == sizeof initial - 1 && memcmp(buf, initial, len) == 0);
  CHECK(version == 1);
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(b, &st, &err), &err);
  CHECK(st.version == 1 && st.commits == 1 && st.capacity == 100 && st.conflicts == 0);
  CHECK(st.lock_recoveries == 0 && st.waiters == 0 && st.layout_version == 2);
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

static void create_of_existing_name_is_e_exists(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("exists");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  CHECK_CODE(shmstate_segment_create(name, 64, 0, NULL, 0, &b, &err), SHMSTATE_E_EXISTS, &err);
  CHECK(b == NULL);
  CHECK(err.code == SHMSTATE_E_EXISTS && err.sys_errno == EEXIST);
  CHECKF(harness_contains(err.message, name), "%s", err.message);
  shmstate_segment_close(a);
}

static void open_of_absent_name_is_e_noent(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("absent");
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_NOENT, &err);
  CHECK(seg == NULL);
  CHECKF(harness_contains(err.message, name), "%s", err.message);
  CHECK_CODE(shmstate_segment_unlink(name, &err), SHMSTATE_E_NOENT, &err);
}

static void unlink_removes_the_name_but_not_open_mappings(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("unlink");
  CHECK_OK(shmstate_segment_create(name, 64, 0, "x", 1, &a, &err), &err);
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK_CODE(shmstate_segment_open(name, &b, &err), SHMSTATE_E_NOENT, &err);
  /* The open mapping stays readable; it is retired, so commits to it are refused
   * (test_retire.c has the rest). */
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit(a, "y", 1, 0, &v, &err), SHMSTATE_E_RETIRED, &err);
  char buf[64];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(a, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(len == 1 && buf[0] == 'x' && v == 1);
  shmstate_segment_close(a);
}

static void open_or_create_creates_once_then_opens(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  int created = -1;
  const char* name = harness_name("ooc");
  CHECK_OK(shmstate_segment_open_or_create(name, 64, 0, "1", 1, &a, &created, &err), &err);
  CHECK(created == 1);
  CHECK_OK(shmstate_segment_open_or_create(name, 64, 0, "2", 1, &b, &created, &err), &err);
  CHECK(created == 0);
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  if (b != NULL) CHECK_OK(shmstate_segment_read(b, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(len == 1 && buf[0] == '1' && v == 1);
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

/* Four processes race open_or_create on one name: exactly one creates, all succeed. */
static void open_or_create_races_have_one_creator(void) {
  const char* name = harness_name("oocrace");
  int* created_count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *created_count = 0;
  int pids[4];
  for (int i = 0; i < 4; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      shmstate_error err;
      shmstate_segment* seg = NULL;
      int created = 0;
      int rc = shmstate_segment_open_or_create(name, 4096, 0, "{}", 2, &seg, &created, &err);
      if (rc != SHMSTATE_OK) _exit(1);
      if (created) __atomic_fetch_add(created_count, 1, __ATOMIC_SEQ_CST);
      char buf[4096];
      size_t len = 0;
      uint64_t v = 0;
      rc = shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err);
      shmstate_segment_close(seg);
      _exit(rc == SHMSTATE_OK && len == 2 && v == 1 ? 0 : 2);
    }
  }
  for (int i = 0; i < 4; i++) CHECK(harness_wait_child(pids[i]) == 0);
  CHECKF(*created_count == 1, "%d creators", *created_count);
  munmap(created_count, 4096);
}

static void create_checks_its_arguments(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("args");
  CHECK_CODE(shmstate_segment_create(name, 63, 0, NULL, 0, &seg, &err), SHMSTATE_E_INVALID, &err);
  CHECKF(harness_contains(err.message, "capacity is 63"), "%s", err.message);
  CHECK_CODE(shmstate_segment_create(name, (1ull << 30) + 1, 0, NULL, 0, &seg, &err),
             SHMSTATE_E_INVALID, &err);
  char big[200] = {0};
  CHECK_CODE(shmstate_segment_create(name, 128, 0, big, sizeof big, &seg, &err),
             SHMSTATE_E_CAPACITY, &err);
  CHECKF(harness_contains(err.message, "200 bytes") && harness_contains(err.message, "128"), "%s",
         err.message);
  CHECK_CODE(shmstate_segment_create(name, 128, 0666, NULL, 0, &seg, &err), SHMSTATE_E_INVALID,
             &err);
  CHECK_CODE(shmstate_segment_create(name, 128, 0400, NULL, 0, &seg, &err), SHMSTATE_E_INVALID,
             &err);
  CHECK_CODE(shmstate_segment_create(name, 128, 04600, NULL, 0, &seg, &err), SHMSTATE_E_INVALID,
             &err);
  CHECK_CODE(shmstate_segment_create("bad/name", 128, 0, NULL, 0, &seg, &err), SHMSTATE_E_NAME,
             &err);
  CHECK(seg == NULL);
  /* Nothing was left behind by the refused creates. */
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_NOENT, &err);
}

static void a_name_removed_during_the_init_wait_is_e_noent(void) {
  /* An empty file (a creator that has not sized it yet) that is then unlinked, as a failed
   * creator does: the opener reports E_NOENT, so open_or_create can try again. */
  const char* name = harness_name("vanish");
  char path[300];
  snprintf(path, sizeof path, "/shmstate.%s", name);
  int fd = shm_open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
  if (!CHECK(fd >= 0)) return;
  close(fd);
  int pid = fork();
  if (pid == 0) {
    usleep(50 * 1000);
    _exit(shm_unlink(path) == 0 ? 0 : 1);
  }
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_NOENT, &err);
  CHECKF(harness_contains(err.message, "removed while opening"), "%s", err.message);
  CHECK(harness_wait_child(pid) == 0);
}

static void create_at_starts_at_the_given_version(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("createat");
  const uint64_t start = 1000000007;
  CHECK_OK(shmstate_segment_create_at(name, 64, 0, "s", 1, start, &a, &err), &err);
  if (a == NULL) return;
  CHECK(shmstate_segment_version(a) == start);
  CHECK_OK(shmstate_segment_open(name, &b, &err), &err);
  if (b == NULL) return;
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(b, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == start && len == 1 && buf[0] == 's');
  /* Ordinary commits still add exactly 1. */
  CHECK_OK(shmstate_segment_commit(a, "t", 1, start, &v, &err), &err);
  CHECK(v == start + 1);
  CHECK_OK(shmstate_segment_read(b, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == start + 1 && len == 1 && buf[0] == 't');
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

static void create_at_version_0_is_e_invalid(void) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  const char* name = harness_name("createat0");
  CHECK_CODE(shmstate_segment_create_at(name, 64, 0, NULL, 0, 0, &seg, &err), SHMSTATE_E_INVALID,
             &err);
  CHECK(seg == NULL);
  CHECKF(harness_contains(err.message, "initial version is 0"), "%s", err.message);
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_NOENT, &err);
}

static void open_or_create_at_uses_the_version_only_when_it_creates(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  int created = -1;
  const char* name = harness_name("oocat");
  CHECK_OK(shmstate_segment_open_or_create_at(name, 64, 0, "1", 1, 500, &a, &created, &err), &err);
  CHECK(created == 1);
  if (a == NULL) return;
  CHECK(shmstate_segment_version(a) == 500);
  CHECK_OK(shmstate_segment_open_or_create_at(name, 64, 0, "2", 1, 9000, &b, &created, &err), &err);
  CHECK(created == 0);
  if (b == NULL) return;
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(b, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(v == 500 && len == 1 && buf[0] == '1');
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

/* A child process opens `name` and writes its store id into *out (0 on failure). */
static void store_id_seen_by_another_process(const char* name, uint64_t* out) {
  *out = 0;
  int pid = fork();
  if (pid == 0) {
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(1);
    __atomic_store_n(out, shmstate_segment_store_id(seg), __ATOMIC_SEQ_CST);
    shmstate_segment_close(seg);
    _exit(0);
  }
  CHECK(harness_wait_child(pid) == 0);
}

static void a_recreated_name_has_another_store_id(void) {
  shmstate_error err;
  shmstate_segment *first = NULL, *second = NULL;
  const char* name = harness_name("storeid");
  uint64_t* seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (!CHECK(seen != MAP_FAILED)) return;
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &first, &err), &err);
  if (first == NULL) return;
  uint64_t id1 = shmstate_segment_store_id(first);
  CHECK(id1 != 0);
  store_id_seen_by_another_process(name, &seen[0]);
  CHECK(seen[0] == id1);
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &second, &err), &err);
  if (second == NULL) return;
  uint64_t id2 = shmstate_segment_store_id(second);
  CHECKF(id2 != 0 && id2 != id1, "store ids %llx then %llx", (unsigned long long)id1,
         (unsigned long long)id2);
  store_id_seen_by_another_process(name, &seen[1]);
  CHECK(seen[1] == id2);
  /* The first handle still maps the unlinked store, and keeps its id. */
  CHECK(shmstate_segment_store_id(first) == id1);
  munmap(seen, 4096);
  shmstate_segment_close(first);
  shmstate_segment_close(second);
}

static void stats_report_the_store_id_and_flags(void) {
  shmstate_error err;
  shmstate_segment *a = NULL, *b = NULL;
  const char* name = harness_name("statsid");
  CHECK_OK(shmstate_segment_create(name, 64, 0, NULL, 0, &a, &err), &err);
  CHECK_OK(shmstate_segment_open(name, &b, &err), &err);
  if (a == NULL || b == NULL) {
    shmstate_segment_close(a);
    shmstate_segment_close(b);
    return;
  }
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(b, &st, &err), &err);
  CHECK(st.store_id != 0);
  CHECK(st.store_id == shmstate_segment_store_id(b));
  CHECK(st.store_id == shmstate_segment_store_id(a));
  CHECK(st.flags == 0); /* none assigned yet */
  shmstate_segment_close(a);
  shmstate_segment_close(b);
}

static void close_of_null_is_fine(void) {
  shmstate_segment_close(NULL);
  CHECK(1);
}

int main(void) {
  static const test_case cases[] = {
      {"create: default mode is exactly 0600", create_default_mode_is_0600},
      {"create: mode 0640 is honoured under umask 077", create_honours_0640_under_umask_077},
      {"create then open: initial state is version 1", create_then_open_reads_initial_as_version_1},
      {"create: existing name is E_EXISTS", create_of_existing_name_is_e_exists},
      {"open/unlink: absent name is E_NOENT", open_of_absent_name_is_e_noent},
      {"unlink: removes the name, mappings stay readable",
       unlink_removes_the_name_but_not_open_mappings},
      {"open_or_create: creates once, then opens", open_or_create_creates_once_then_opens},
      {"open_or_create: racing processes, one creator", open_or_create_races_have_one_creator},
      {"create: checks capacity, size, mode and name", create_checks_its_arguments},
      {"open: a name removed during the init wait is E_NOENT",
       a_name_removed_during_the_init_wait_is_e_noent},
      {"create_at: reads give the given version, the next commit adds 1",
       create_at_starts_at_the_given_version},
      {"create_at: version 0 is E_INVALID", create_at_version_0_is_e_invalid},
      {"open_or_create_at: the version applies only when it creates",
       open_or_create_at_uses_the_version_only_when_it_creates},
      {"store id: unlinked and created again, another id, seen by a new opener",
       a_recreated_name_has_another_store_id},
      {"stats: store_id equals shmstate_segment_store_id; flags 0",
       stats_report_the_store_id_and_flags},
      {"close: NULL is fine", close_of_null_is_fine},
  };
  return harness_run("segment", cases, sizeof cases / sizeof cases[0]);
}
