/* Self-cleaning stores (SHMSTATE_FLAG_SELF_CLEANING): the last detach removes the store; a
 * store whose attachers were all SIGKILLed is removed by the next open, which fails with
 * E_NOENT (open_or_create makes a fresh one); a live attacher, the UNTRACKED mark, a store
 * nobody attached yet and a default store are never removed; an attacher that lost the
 * race with the cleaner fails with E_NOENT; many detaching at once never leave it behind. */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static shmstate_segment* make(const char* name, int self_cleaning) {
  shmstate_create_options o = {0};
  o.capacity = 1000;
  o.initial_version = 1;
  o.self_cleaning = (uint32_t)self_cleaning;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), &err);
  return seg;
}

static void attach(shmstate_segment* seg) {
  shmstate_error err;
  CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err), &err);
}

static shmstate_segment* open_attached(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  if (seg != NULL) attach(seg);
  return seg;
}

static int exists(const char* name) {
  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0) return 0;
  close(fd);
  return 1;
}

/* A child that opens and attaches `name`, says so on `ready`, then sleeps until killed. */
static int attached_child(const char* name) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  int pid = fork();
  if (pid == 0) {
    close(ready[0]);
    shmstate_error err;
    shmstate_segment* seg = NULL;
    if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(2);
    if (shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err) !=
        SHMSTATE_OK) {
      _exit(3);
    }
    if (write(ready[1], "x", 1) != 1) _exit(4);
    for (;;) pause();
  }
  close(ready[1]);
  char byte;
  CHECK(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  return pid;
}

static void the_flag_is_set_at_creation_only(void) {
  const char* name = harness_name("sc-flag");
  shmstate_segment* seg = make(name, 1);
  shmstate_stats st = {0};
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((st.flags & SHMSTATE_FLAG_SELF_CLEANING) != 0);
  shmstate_segment_close(seg);
  const char* other = harness_name("sc-flag-default");
  seg = make(other, 0);
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((st.flags & SHMSTATE_FLAG_SELF_CLEANING) == 0);
  shmstate_segment_close(seg);
  shmstate_segment_unlink(name, NULL);
  shmstate_segment_unlink(other, NULL);
  shmstate_create_options o = {0};
  o.capacity = 1000;
  o.initial_version = 1;
  o.self_cleaning = 2;
  CHECK_CODE(shmstate_segment_create_with(name, &o, "{}", 2, &seg, &err), SHMSTATE_E_INVALID, &err);
  CHECK(!exists(name));
}

static void the_last_close_removes_the_store(void) {
  const char* name = harness_name("sc-last");
  shmstate_segment* first = make(name, 1);
  attach(first);
  shmstate_segment* second = open_attached(name);
  shmstate_segment_close(first);
  CHECK(exists(name));
  shmstate_segment_close(second);
  CHECK(!exists(name));
}

static void a_default_store_stays_after_the_last_close(void) {
  const char* name = harness_name("sc-default");
  shmstate_segment* seg = make(name, 0);
  attach(seg);
  shmstate_segment_close(seg);
  CHECK(exists(name));
  shmstate_segment_unlink(name, NULL);
}

static void a_store_nobody_attached_yet_is_kept(void) {
  const char* name = harness_name("sc-fresh");
  shmstate_segment* creator = make(name, 1);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  shmstate_segment_close(seg);
  CHECK(exists(name));
  attach(creator);
  shmstate_segment_close(creator);
  CHECK(!exists(name));
}

static void after_every_attacher_is_killed_open_removes_it(void) {
  const char* name = harness_name("sc-killed");
  shmstate_segment* creator = make(name, 1);
  int a = attached_child(name);
  int b = attached_child(name);
  shmstate_segment_close(creator); /* never attached: not counted, removes nothing */
  CHECK(exists(name));
  kill(a, SIGKILL);
  kill(b, SIGKILL);
  harness_wait_child(a);
  harness_wait_child(b);
  CHECK(exists(name));
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_CODE(shmstate_segment_open(name, &seg, &err), SHMSTATE_E_NOENT, &err);
  CHECK(harness_contains(err.message, "self-cleaning"));
  CHECK(!exists(name));
}

static void open_or_create_makes_a_fresh_store_in_place_of_an_orphan(void) {
  const char* name = harness_name("sc-recreate");
  shmstate_segment* creator = make(name, 1);
  uint64_t old_id = shmstate_segment_store_id(creator);
  int a = attached_child(name);
  shmstate_segment_close(creator);
  kill(a, SIGKILL);
  harness_wait_child(a);
  shmstate_create_options o = {0};
  o.capacity = 1000;
  o.initial_version = 1;
  shmstate_error err;
  shmstate_segment* seg = NULL;
  int created = 0;
  CHECK_OK(shmstate_segment_open_or_create_with(name, &o, "{}", 2, &seg, &created, &err), &err);
  CHECK(created == 1);
  CHECK(shmstate_segment_store_id(seg) != old_id);
  shmstate_segment_close(seg);
  shmstate_segment_unlink(name, NULL);
}

static void a_live_attacher_keeps_the_store(void) {
  const char* name = harness_name("sc-live");
  shmstate_segment* creator = make(name, 1);
  attach(creator);
  int a = attached_child(name);
  shmstate_segment_close(creator);
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_open(name, &seg, &err), &err);
  int removed = 1;
  CHECK_OK(shmstate_segment_clean(seg, &removed, &err), &err);
  CHECK(removed == 0);
  CHECK(exists(name));
  kill(a, SIGKILL);
  harness_wait_child(a);
  CHECK_OK(shmstate_segment_clean(seg, &removed, &err), &err);
  CHECK(removed == 1);
  CHECK(!exists(name));
  shmstate_segment_close(seg);
}

static void an_untracked_store_is_never_removed(void) {
  const char* name = harness_name("sc-untracked");
  shmstate_segment* seg = make(name, 1);
  attach(seg);
  atomic_fetch_or(&seg->hdr->flags, SHMSTATE_FLAG_UNTRACKED);
  shmstate_segment_close(seg);
  CHECK(exists(name));
  shmstate_segment_unlink(name, NULL);
}

static void an_attacher_that_lost_to_the_cleaner_fails_with_e_noent(void) {
  const char* name = harness_name("sc-late");
  shmstate_segment* late = make(name, 1); /* mapped, not attached yet */
  shmstate_segment* other = open_attached(name);
  shmstate_segment_close(other); /* the last attached process: removes the store */
  CHECK(!exists(name));
  shmstate_error err;
  CHECK_CODE(shmstate_segment_attach(late, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err),
             SHMSTATE_E_NOENT, &err);
  CHECK(shmstate_segment_attach_index(late) == -1);
  shmstate_segment_close(late);
}

#define DETACHERS 8

static void many_detaching_at_once_never_leave_it_behind(void) {
  for (int round = 0; round < 20; round++) {
    const char* name = harness_name("sc-many");
    shmstate_segment* creator = make(name, 1);
    int go[2];
    CHECK(pipe(go) == 0);
    int pids[DETACHERS];
    for (int c = 0; c < DETACHERS; c++) {
      pids[c] = fork();
      if (pids[c] == 0) {
        close(go[1]);
        shmstate_error err;
        shmstate_segment* seg = NULL;
        if (shmstate_segment_open(name, &seg, &err) != SHMSTATE_OK) _exit(2);
        if (shmstate_segment_attach(seg, SHMSTATE_ROLE_READER, SHMSTATE_LANGUAGE_C, &err) !=
            SHMSTATE_OK) {
          _exit(3);
        }
        char byte;
        if (read(go[0], &byte, 1) != 0) _exit(4); /* EOF: everyone closes at once */
        shmstate_segment_close(seg);
        _exit(0);
      }
    }
    close(go[0]);
    shmstate_segment_close(creator);
    usleep(20000);
    close(go[1]);
    for (int c = 0; c < DETACHERS; c++) CHECK(harness_wait_child(pids[c]) == 0);
    CHECKF(!exists(name), "round %d left the store behind", round);
  }
}

int main(void) {
  static const test_case cases[] = {
      {"the flag is set at creation only", the_flag_is_set_at_creation_only},
      {"the last close removes the store", the_last_close_removes_the_store},
      {"a default store stays after the last close", a_default_store_stays_after_the_last_close},
      {"a store nobody attached yet is kept", a_store_nobody_attached_yet_is_kept},
      {"after every attacher is killed, open removes it",
       after_every_attacher_is_killed_open_removes_it},
      {"open_or_create makes a fresh store in place of an orphan",
       open_or_create_makes_a_fresh_store_in_place_of_an_orphan},
      {"a live attacher keeps the store", a_live_attacher_keeps_the_store},
      {"an untracked store is never removed", an_untracked_store_is_never_removed},
      {"an attacher that lost to the cleaner fails with E_NOENT",
       an_attacher_that_lost_to_the_cleaner_fails_with_e_noent},
      {"many detaching at once never leave it behind",
       many_detaching_at_once_never_leave_it_behind},
  };
  return harness_run("self_cleaning", cases, sizeof cases / sizeof cases[0]);
}
