/* Health: the writer lock reads free, held by its live owner, and owner-died after its
 * holder is killed (and free again once the next writer recovers it); doorbell entries of
 * live subscribers are used, not dead; a killed subscriber's entry reads dead until the
 * next registration reclaims it. Looking changes nothing. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static shmstate_health health_of(shmstate_segment* seg) {
  shmstate_health h;
  shmstate_error err;
  CHECK_OK(shmstate_segment_health(seg, &h, &err), &err);
  return h;
}

static void the_lock_reads_free_held_and_owner_died(void) {
  const char* name = harness_name("health-lock");
  shmstate_segment* seg = NULL;
  shmstate_error err;
  CHECK_OK(shmstate_segment_create(name, 1000, 0, "{}", 2, &seg, &err), &err);
  if (seg == NULL) return;
  shmstate_health h = health_of(seg);
  CHECK(h.lock_state == SHMSTATE_LOCK_FREE && h.lock_owner_tid == 0);
  CHECK(shmstate_writer_lock(seg, &err) == SHMSTATE_OK);
  h = health_of(seg);
  CHECK(h.lock_state == SHMSTATE_LOCK_HELD && h.lock_owner_tid == (uint32_t)gettid());
  shmstate_writer_unlock(seg);
  int pid = fork();
  if (pid == 0) {
    shmstate_test_set_crash_step(seg, SHMSTATE_CRASH_AFTER_LOCK);
    shmstate_segment_commit(seg, "[]", 2, 0, NULL, &err);
    _exit(3);
  }
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  h = health_of(seg);
  CHECK(h.lock_state == SHMSTATE_LOCK_OWNER_DIED);
  CHECK(health_of(seg).lock_state == SHMSTATE_LOCK_OWNER_DIED); /* looking repairs nothing */
  CHECK_OK(shmstate_segment_commit(seg, "[1]", 3, 0, NULL, &err), &err);
  CHECK(health_of(seg).lock_state == SHMSTATE_LOCK_FREE);
  shmstate_segment_close(seg);
}

static void a_killed_subscribers_doorbell_reads_dead(void) {
  const char* name = harness_name("health-bell");
  shmstate_segment* seg = NULL;
  shmstate_error err;
  CHECK_OK(shmstate_segment_create(name, 1000, 0, "{}", 2, &seg, &err), &err);
  if (seg == NULL) return;
  shmstate_doorbell* mine = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &mine, &err), &err);
  int ready[2];
  if (!CHECK(pipe(ready) == 0)) return;
  int pid = fork();
  if (pid == 0) {
    shmstate_doorbell* bell = NULL;
    if (shmstate_doorbell_open(seg, &bell, &err) != SHMSTATE_OK) _exit(2);
    if (write(ready[1], "r", 1) != 1) _exit(4);
    pause();
    _exit(0);
  }
  char byte;
  CHECK(read(ready[0], &byte, 1) == 1);
  shmstate_health h = health_of(seg);
  CHECK(h.doorbells_used == 2 && h.doorbells_dead == 0);
  kill(pid, SIGKILL);
  CHECK(harness_wait_child(pid) == 128 + SIGKILL);
  h = health_of(seg);
  CHECK(h.doorbells_used == 2 && h.doorbells_dead == 1);
  shmstate_doorbell_close(mine);
  close(ready[0]);
  close(ready[1]);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"the lock reads free, held and owner-died", the_lock_reads_free_held_and_owner_died},
      {"a killed subscriber's doorbell reads dead", a_killed_subscribers_doorbell_reads_dead},
  };
  return harness_run("health", cases, sizeof cases / sizeof cases[0]);
}
