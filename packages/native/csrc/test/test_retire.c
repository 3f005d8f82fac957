/* Retirement (SHMSTATE_FLAG_RETIRED): unlink sets the flag, wakes a blocked waiter in another
 * process and rings an armed doorbell, each of which ends with E_RETIRED after the last
 * version; commits to a retired store are refused while its state stays readable; a file
 * removed by hand is found at the next commit, wake-up or read, which retires it; a retired
 * store left under its name opens as absent and is removed, so the name can be created
 * again. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static shmstate_segment* make(const char* name) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(name, 64, 0, "0", 1, &seg, &err), &err);
  return seg;
}

static uint32_t waiters_of(shmstate_segment* seg) {
  shmstate_stats st;
  shmstate_error err;
  return shmstate_segment_stats(seg, &st, &err) == SHMSTATE_OK ? st.waiters : 0xFFFFFFFFu;
}

static int exists(const char* name) {
  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, O_RDONLY, 0);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

static void unlink_sets_the_flag_refuses_commits_keeps_reads(void) {
  const char* name = harness_name("flag");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK(!shmstate_segment_retired(seg));
  CHECK_OK(shmstate_segment_check(seg, &err), &err);
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK(shmstate_segment_retired(seg));
  shmstate_stats st;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  CHECK((st.flags & SHMSTATE_FLAG_RETIRED) != 0);
  CHECK(!exists(name));
  uint64_t v = 0;
  CHECK_CODE(shmstate_segment_commit(seg, "1", 1, 0, &v, &err), SHMSTATE_E_RETIRED, &err);
  CHECKF(harness_contains(err.message, name), "%s", err.message);
  CHECK_CODE(shmstate_segment_check(seg, &err), SHMSTATE_E_RETIRED, &err);
  char buf[64];
  size_t len = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(len == 1 && buf[0] == '0' && v == 1);
  CHECK(shmstate_segment_version(seg) == 1);
  shmstate_segment_close(seg);
}

static void unlink_wakes_a_waiter_in_another_process(void) {
  const char* name = harness_name("wake");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  int pid = fork();
  if (pid == 0) {
    shmstate_error werr;
    uint64_t v = 0;
    int rc = shmstate_segment_wait(seg, 1, 10 * 1000000000LL, NULL, &v, &werr);
    _exit(rc == SHMSTATE_E_RETIRED && v == 1 ? 0 : 10 + rc);
  }
  while (waiters_of(seg) == 0) usleep(100);
  shmstate_error err;
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK(harness_wait_child(pid) == 0);
  CHECK(waiters_of(seg) == 0);
  shmstate_segment_close(seg);
}

static void a_wait_reports_the_last_version_before_e_retired(void) {
  const char* name = harness_name("last");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_commit(seg, "1", 1, 0, &v, &err), &err);
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK_OK(shmstate_segment_wait(seg, 1, 0, NULL, &v, &err), &err);
  CHECK(v == 2);
  CHECK_CODE(shmstate_segment_wait(seg, 2, -1, NULL, &v, &err), SHMSTATE_E_RETIRED, &err);
  shmstate_segment_close(seg);
}

static void unlink_rings_an_armed_doorbell_whose_turn_ends_retired(void) {
  const char* name = harness_name("bell");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  if (bell == NULL) {
    shmstate_segment_close(seg);
    return;
  }
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  struct pollfd p = {.fd = shmstate_doorbell_fd(bell), .events = POLLIN};
  CHECK(poll(&p, 1, 5000) == 1);
  shmstate_doorbell_turn_begin(bell);
  CHECK(!shmstate_doorbell_turn_again(bell));
  CHECK_CODE(shmstate_doorbell_turn_end(bell, NULL, &err), SHMSTATE_E_RETIRED, &err);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void a_commit_before_the_turn_ends_is_delivered_first(void) {
  const char* name = harness_name("turn");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  if (bell == NULL) {
    shmstate_segment_close(seg);
    return;
  }
  shmstate_doorbell_turn_begin(bell); /* delivering version 1 ... */
  CHECK_OK(shmstate_segment_commit(seg, "2", 1, 0, NULL, &err), &err);
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  /* ... the turn ends as version 2 and the retirement land: one more turn for version 2. */
  int rang = 0;
  CHECK_OK(shmstate_doorbell_turn_end(bell, &rang, &err), &err);
  shmstate_doorbell_turn_begin(bell);
  CHECK(shmstate_segment_version(seg) == 2);
  CHECK(!shmstate_doorbell_turn_again(bell));
  CHECK_CODE(shmstate_doorbell_turn_end(bell, NULL, &err), SHMSTATE_E_RETIRED, &err);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void a_doorbell_opened_on_a_retired_store_rings_at_once(void) {
  const char* name = harness_name("bellate");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  if (bell != NULL) {
    struct pollfd p = {.fd = shmstate_doorbell_fd(bell), .events = POLLIN};
    CHECK(poll(&p, 1, 0) == 1);
    shmstate_doorbell_turn_begin(bell);
    CHECK_CODE(shmstate_doorbell_turn_end(bell, NULL, &err), SHMSTATE_E_RETIRED, &err);
    shmstate_doorbell_close(bell);
  }
  shmstate_segment_close(seg);
}

static void unlink_goes_on_without_a_lock_a_stalled_writer_holds(void) {
  const char* name = harness_name("stall");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  int ready[2];
  CHECK(pipe(ready) == 0);
  int pid = fork();
  if (pid == 0) {
    /* A writer that takes the lock and stops. */
    shmstate_error cerr;
    if (shmstate_writer_lock(seg, &cerr) != SHMSTATE_OK) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(2);
    pause();
    _exit(0);
  }
  char byte;
  CHECK(read(ready[0], &byte, 1) == 1);
  shmstate_error err;
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK(shmstate_segment_retired(seg));
  CHECK(!exists(name));
  kill(pid, SIGKILL);
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  close(ready[0]);
  close(ready[1]);
  shmstate_segment_close(seg);
}

/* `attached`: the handle holds its attach descriptor (found by fstat) or not (found by
 * opening the name again). */
static void removed_by_hand_is_found_at_the_next_commit(int attached) {
  const char* name = harness_name(attached ? "handa" : "hand");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  if (attached) {
    CHECK_OK(shmstate_segment_attach(seg, SHMSTATE_ROLE_WRITER, SHMSTATE_LANGUAGE_C, &err), &err);
  }
  shmstate_path path;
  shmstate_segment_path(name, path);
  CHECK(shm_unlink(path) == 0); /* what `rm /dev/shm/shmstate.<name>` does */
  CHECK(!shmstate_segment_retired(seg));
  CHECK_CODE(shmstate_segment_commit(seg, "1", 1, 0, NULL, &err), SHMSTATE_E_RETIRED, &err);
  CHECK(shmstate_segment_retired(seg));
  CHECK(shmstate_segment_version(seg) == 1);
  shmstate_segment_close(seg);
}

static void removed_by_hand_attached(void) { removed_by_hand_is_found_at_the_next_commit(1); }
static void removed_by_hand_unattached(void) { removed_by_hand_is_found_at_the_next_commit(0); }

static void replaced_by_hand_is_found_by_a_read_and_a_wait(void) {
  const char* name = harness_name("repl");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_path path;
  shmstate_segment_path(name, path);
  CHECK(shm_unlink(path) == 0);
  shmstate_segment* other = make(name); /* a new store under the same name */
  char buf[64];
  size_t len = 0;
  uint64_t v = 0;
  CHECK_OK(shmstate_segment_read(seg, buf, sizeof buf, &len, &v, &err), &err);
  CHECK(shmstate_segment_retired(seg));
  CHECK(other != NULL && !shmstate_segment_retired(other));
  CHECK_CODE(shmstate_segment_wait(seg, 1, -1, NULL, &v, &err), SHMSTATE_E_RETIRED, &err);
  shmstate_segment_close(other);
  shmstate_segment_close(seg);
}

static void a_wake_up_finds_a_name_removed_by_hand(void) {
  const char* name = harness_name("wakeup");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_path path;
  shmstate_segment_path(name, path);
  CHECK(shm_unlink(path) == 0);
  shmstate_error err;
  uint64_t v = 0;
  /* Nobody commits: the wait's time slice ends, and the wake-up checks the name. */
  CHECK_CODE(shmstate_segment_wait(seg, 1, 1000000, NULL, &v, &err), SHMSTATE_E_RETIRED, &err);
  shmstate_segment_close(seg);
}

static void a_retired_store_left_under_its_name_opens_as_absent(void) {
  const char* name = harness_name("left");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  /* An unlinker that died between setting the flag and removing the name. */
  shmstate_segment_mark_retired(seg);
  shmstate_error err;
  shmstate_segment* again = NULL;
  CHECK_CODE(shmstate_segment_open(name, &again, &err), SHMSTATE_E_NOENT, &err);
  CHECK(again == NULL);
  CHECK(!exists(name));
  shmstate_segment* fresh = make(name);
  CHECK(fresh != NULL && !shmstate_segment_retired(fresh));
  shmstate_segment_close(fresh);
  shmstate_segment_close(seg);
}

static void unlink_of_a_retired_store_still_removes_it(void) {
  const char* name = harness_name("twice");
  shmstate_segment* seg = make(name);
  if (seg == NULL) return;
  shmstate_segment_mark_retired(seg);
  shmstate_error err;
  CHECK_OK(shmstate_segment_unlink(name, &err), &err);
  CHECK(!exists(name));
  CHECK_CODE(shmstate_segment_unlink(name, &err), SHMSTATE_E_NOENT, &err);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"unlink sets the flag, refuses commits, keeps reads",
       unlink_sets_the_flag_refuses_commits_keeps_reads},
      {"unlink wakes a waiter in another process with E_RETIRED",
       unlink_wakes_a_waiter_in_another_process},
      {"a wait reports the last version before E_RETIRED",
       a_wait_reports_the_last_version_before_e_retired},
      {"unlink rings an armed doorbell; its turn ends with E_RETIRED",
       unlink_rings_an_armed_doorbell_whose_turn_ends_retired},
      {"a commit before the turn ends is delivered before E_RETIRED",
       a_commit_before_the_turn_ends_is_delivered_first},
      {"a doorbell opened on a retired store rings at once",
       a_doorbell_opened_on_a_retired_store_rings_at_once},
      {"unlink goes on without the lock a stalled writer holds",
       unlink_goes_on_without_a_lock_a_stalled_writer_holds},
      {"removed by hand: the next commit (attached) is E_RETIRED", removed_by_hand_attached},
      {"removed by hand: the next commit (not attached) is E_RETIRED", removed_by_hand_unattached},
      {"replaced by hand: a read retires the old store, a wait ends",
       replaced_by_hand_is_found_by_a_read_and_a_wait},
      {"a wake-up finds a name removed by hand", a_wake_up_finds_a_name_removed_by_hand},
      {"a retired store left under its name opens as absent and is removed",
       a_retired_store_left_under_its_name_opens_as_absent},
      {"unlink of a retired store still removes it", unlink_of_a_retired_store_still_removes_it},
  };
  return harness_run("retire", cases, sizeof cases / sizeof cases[0]);
}
