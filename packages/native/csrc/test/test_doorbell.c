/* Doorbells: open registers and arms an entry, a commit rings each armed doorbell once and
 * disarms it, arm re-checks and rings itself for a commit that slipped past, close
 * unregisters, dead subscribers are reclaimed (by a writer and by a registrant), a full
 * table refuses with E_LIMIT (leaving no socket file), and a lost entry makes arm fail
 * with E_CLOSED. */
#include <dirent.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

static shmstate_segment* make(const char* tag) {
  shmstate_error err;
  shmstate_segment* seg = NULL;
  CHECK_OK(shmstate_segment_create(harness_name(tag), 64, 0, "0", 1, &seg, &err), &err);
  return seg;
}

static shmstate_stats stats_of(shmstate_segment* seg) {
  shmstate_stats st = {0};
  shmstate_error err;
  CHECK_OK(shmstate_segment_stats(seg, &st, &err), &err);
  return st;
}

static void commit(shmstate_segment* seg) {
  shmstate_error err;
  CHECK_OK(shmstate_segment_commit(seg, "1", 1, 0, NULL, &err), &err);
}

static int readable(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/* Datagrams waiting on the socket, read without consuming a byte of the protocol. */
static int pending(int fd) {
  char buf[8];
  int n = 0;
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) n++;
  return n;
}

/* Registers this process's doorbell on `seg`; NULL (the failure recorded, `seg` closed)
 * if that fails. */
static shmstate_doorbell* open_bell(shmstate_segment* seg) {
  shmstate_error err;
  shmstate_doorbell* bell = NULL;
  CHECK_OK(shmstate_doorbell_open(seg, &bell, &err), &err);
  if (bell == NULL) shmstate_segment_close(seg);
  return bell;
}

static unsigned state_of(shmstate_segment* seg, unsigned index) {
  return (unsigned)(atomic_load(&shmstate_doorbell_table(seg)[index].control) & 3u);
}

static void open_registers_and_arms(void) {
  shmstate_segment* seg = make("open");
  if (seg == NULL) return;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  CHECK(stats_of(seg).doorbells == 1);
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_ARMED);
  CHECK((uint32_t)(atomic_load(&shmstate_doorbell_table(seg)[0].control) >> 32) ==
        (uint32_t)getpid());
  CHECK(!readable(shmstate_doorbell_fd(bell), 0));
  shmstate_doorbell_close(bell);
  CHECK(stats_of(seg).doorbells == 0);
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_FREE);
  shmstate_segment_close(seg);
}

static void commits_ring_once_until_rearmed(void) {
  shmstate_segment* seg = make("ring");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  int fd = shmstate_doorbell_fd(bell);
  for (int i = 0; i < 5; i++) commit(seg);
  CHECK(readable(fd, 0));
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_DISARMED);
  CHECK(atomic_load(&shmstate_doorbell_table(seg)[0].rings) == 1);
  shmstate_doorbell_drain(bell);
  CHECK(!readable(fd, 0));
  int rang = -1;
  CHECK_OK(shmstate_doorbell_arm(bell, &rang, &err), &err);
  CHECK(rang == 0);
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_ARMED);
  commit(seg);
  CHECK(readable(fd, 0));
  CHECK(pending(fd) == 1);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void arm_rings_itself_for_a_commit_after_the_drain(void) {
  shmstate_segment* seg = make("recheck");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  int fd = shmstate_doorbell_fd(bell);
  commit(seg);
  shmstate_doorbell_drain(bell);
  commit(seg); /* lands while disarmed: the writer does not ring */
  CHECK(!readable(fd, 0));
  int rang = 0;
  CHECK_OK(shmstate_doorbell_arm(bell, &rang, &err), &err);
  CHECK(rang == 1);
  CHECK(pending(fd) == 1);
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_DISARMED);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void a_commit_from_another_process_rings(void) {
  shmstate_segment* seg = make("xproc");
  if (seg == NULL) return;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  int pid = fork();
  if (pid == 0) {
    shmstate_segment* other = NULL;
    shmstate_error cerr;
    if (shmstate_segment_open(shmstate_segment_name(seg), &other, &cerr) != SHMSTATE_OK) _exit(1);
    int rc = shmstate_segment_commit(other, "2", 1, 0, NULL, &cerr);
    shmstate_segment_close(other);
    _exit(rc == SHMSTATE_OK ? 0 : 2);
  }
  CHECK(readable(shmstate_doorbell_fd(bell), 10000));
  CHECK(harness_wait_child(pid) == 0);
  CHECK(shmstate_segment_version(seg) == 2);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void no_subscriber_means_no_socket_and_no_scan(void) {
  shmstate_segment* seg = make("idle");
  if (seg == NULL) return;
  commit(seg);
  CHECK(seg->ring_fd == -1);
  shmstate_segment_close(seg);
}

/* The Dekker argument in practice: another process commits in bursts while this one
 * runs drain / read / arm (or mark / read / discard / arm, the Node binding's order); the
 * last version must arrive through the doorbell alone (a lost ring leaves the socket
 * silent and the poll times out). */
static void no_commit_is_missed(int discard_after_read) {
  enum { COMMITS = 20000 };
  shmstate_segment* seg = make("stream");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  int pid = fork();
  if (pid == 0) {
    shmstate_segment* other = NULL;
    shmstate_error cerr;
    if (shmstate_segment_open(shmstate_segment_name(seg), &other, &cerr) != SHMSTATE_OK) _exit(1);
    for (int i = 0; i < COMMITS; i++) {
      if (shmstate_segment_commit(other, "x", 1, 0, NULL, &cerr) != SHMSTATE_OK) _exit(2);
      if (i % 64 == 0) usleep(50); /* let the subscriber catch up now and then */
    }
    shmstate_segment_close(other);
    _exit(0);
  }
  uint64_t last = 1;
  int deliveries = 0, silent = 0;
  while (last < 1 + COMMITS) {
    if (!readable(shmstate_doorbell_fd(bell), 10000)) {
      silent = 1;
      break;
    }
    if (discard_after_read) {
      shmstate_doorbell_mark(bell);
    } else {
      shmstate_doorbell_drain(bell);
    }
    uint64_t now = shmstate_segment_version(seg);
    CHECK(now >= last);
    last = now;
    deliveries++;
    if (discard_after_read) shmstate_doorbell_discard(bell);
    CHECK_OK(shmstate_doorbell_arm(bell, NULL, &err), &err);
  }
  CHECKF(!silent, "no ring for 10 s at version %llu", (unsigned long long)last);
  CHECK(last == 1 + COMMITS);
  /* At most one byte per commit (plus one for a commit racing the open). */
  CHECKF(deliveries <= COMMITS + 1, "%d deliveries for %d commits", deliveries, COMMITS);
  CHECK(harness_wait_child(pid) == 0);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

static void no_commit_is_missed_by_a_drain_read_arm_loop(void) { no_commit_is_missed(0); }

static void no_commit_is_missed_by_a_mark_read_discard_arm_loop(void) { no_commit_is_missed(1); }

/* A commit between the mark and the discard is not lost with its byte: arm's re-check
 * against the mark rings again. */
static void a_ring_discarded_after_the_read_is_caught_by_arm(void) {
  shmstate_segment* seg = make("discard");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  int fd = shmstate_doorbell_fd(bell);
  /* Woken while still armed (as by a foreign byte): mark, then "read the state". */
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_ARMED);
  shmstate_doorbell_mark(bell);
  commit(seg); /* lands after the read: finds the entry armed, rings and disarms */
  CHECK(pending(fd) == 1);
  shmstate_doorbell_discard(bell); /* that byte is thrown away ... */
  CHECK(!readable(fd, 0));
  int rang = 0;
  CHECK_OK(shmstate_doorbell_arm(bell, &rang, &err), &err);
  CHECK(rang == 1); /* ... and arm's re-check against the mark rings again */
  CHECK(pending(fd) == 1);
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

/* A child registers and dies without unregistering. */
static void register_and_die(shmstate_segment* seg) {
  int pid = fork();
  if (pid == 0) {
    shmstate_doorbell* bell = NULL;
    shmstate_error cerr;
    _exit(shmstate_doorbell_open(seg, &bell, &cerr) == SHMSTATE_OK ? 0 : 1);
  }
  CHECK(harness_wait_child(pid) == 0);
}

static void a_writer_frees_the_entry_of_a_dead_subscriber(void) {
  shmstate_segment* seg = make("deadw");
  if (seg == NULL) return;
  register_and_die(seg);
  CHECK(stats_of(seg).doorbells == 1);
  commit(seg);
  shmstate_stats st = stats_of(seg);
  CHECK(st.doorbells == 0);
  CHECK(st.doorbell_reclaims == 1);
  CHECK(state_of(seg, 0) == SHMSTATE_DOORBELL_FREE);
  shmstate_segment_close(seg);
}

/* Doorbell socket files of this segment in /dev/shm (docs/protocol.md "Doorbells"). */
static int sockets_of(shmstate_segment* seg) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "shmstate-bell.%016" PRIx64 ".", shmstate_segment_store_id(seg));
  DIR* dir = opendir("/dev/shm");
  if (dir == NULL) return -1;
  int n = 0;
  for (struct dirent* d; (d = readdir(dir)) != NULL;)
    n += strncmp(d->d_name, prefix, strlen(prefix)) == 0;
  closedir(dir);
  return n;
}

static void a_full_table_reclaims_the_dead_then_refuses(void) {
  shmstate_segment* seg = make("full");
  if (seg == NULL) return;
  register_and_die(seg);
  shmstate_error err;
  shmstate_doorbell* bells[SHMSTATE_DOORBELL_MAX] = {0};
  for (int i = 0; i < SHMSTATE_DOORBELL_MAX - 1; i++) {
    CHECK_OK(shmstate_doorbell_open(seg, &bells[i], &err), &err);
  }
  CHECK(stats_of(seg).doorbells == SHMSTATE_DOORBELL_MAX);
  /* The table is full, one entry is the dead child's: it is reclaimed, not refused. */
  CHECK_OK(shmstate_doorbell_open(seg, &bells[SHMSTATE_DOORBELL_MAX - 1], &err), &err);
  CHECK(stats_of(seg).doorbell_reclaims == 1);
  shmstate_doorbell* extra = NULL;
  CHECK_CODE(shmstate_doorbell_open(seg, &extra, &err), SHMSTATE_E_LIMIT, &err);
  CHECK(extra == NULL);
  CHECK(harness_contains(err.message, "64 doorbell subscribers"));
  CHECK(sockets_of(seg) == SHMSTATE_DOORBELL_MAX); /* the refused one left no file */
  CHECK(stats_of(seg).doorbells == SHMSTATE_DOORBELL_MAX);
  for (int i = 0; i < SHMSTATE_DOORBELL_MAX; i++) shmstate_doorbell_close(bells[i]);
  CHECK(stats_of(seg).doorbells == 0);
  CHECK(sockets_of(seg) == 0);
  shmstate_segment_close(seg);
}

static void arm_reports_a_lost_entry(void) {
  shmstate_segment* seg = make("lost");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  commit(seg);
  /* What a writer in another network namespace does: it cannot reach the socket, so it
   * frees the entry (here by hand, with the next generation as a claim would leave). */
  uint64_t control = atomic_load(&shmstate_doorbell_table(seg)[0].control);
  atomic_store(&shmstate_doorbell_table(seg)[0].control, (control & 0xFFFFFFFCull) + 4);
  shmstate_doorbell_drain(bell);
  CHECK_CODE(shmstate_doorbell_arm(bell, NULL, &err), SHMSTATE_E_CLOSED, &err);
  CHECK(harness_contains(err.message, "lost its entry"));
  shmstate_doorbell_close(bell); /* must not free the new tenant's entry */
  CHECK((atomic_load(&shmstate_doorbell_table(seg)[0].control) & 0xFFFFFFFCull) ==
        (control & 0xFFFFFFFCull) + 4);
  atomic_fetch_sub(&seg->hdr->doorbell_count, 1); /* undo the hand-made free's missing step */
  shmstate_segment_close(seg);
}

/* A delivery turn delivers again while commits land during a delivery, at most
 * SHMSTATE_DOORBELL_DELIVERIES_PER_TURN times, and stops at once when nothing new landed. */
static void a_turn_delivers_again_while_commits_land_bounded(void) {
  shmstate_segment* seg = make("turn");
  if (seg == NULL) return;
  shmstate_error err;
  shmstate_doorbell* bell = open_bell(seg);
  if (bell == NULL) return;
  commit(seg);
  CHECK(readable(shmstate_doorbell_fd(bell), 0));
  shmstate_doorbell_turn_begin(bell);
  int deliveries = 1;
  /* Every "delivery" is followed by a commit, as if one landed while JS ran. */
  for (;;) {
    commit(seg);
    if (!shmstate_doorbell_turn_again(bell)) break;
    deliveries++;
  }
  CHECK(deliveries == SHMSTATE_DOORBELL_DELIVERIES_PER_TURN);
  int rang = -1;
  CHECK_OK(shmstate_doorbell_turn_end(bell, &rang, &err), &err);
  CHECK(rang == 1); /* the last commit came after the mark: the turn's end rings again */
  CHECK(readable(shmstate_doorbell_fd(bell), 0));
  /* A quiet turn: one delivery, nothing new, no ring. */
  shmstate_doorbell_turn_begin(bell);
  CHECK(!shmstate_doorbell_turn_again(bell));
  CHECK_OK(shmstate_doorbell_turn_end(bell, &rang, &err), &err);
  CHECK(rang == 0);
  CHECK(!readable(shmstate_doorbell_fd(bell), 0));
  shmstate_doorbell_close(bell);
  shmstate_segment_close(seg);
}

int main(void) {
  static const test_case cases[] = {
      {"open registers and arms one entry; close frees it", open_registers_and_arms},
      {"commits ring once until the doorbell is re-armed", commits_ring_once_until_rearmed},
      {"arm rings itself for a commit made after the drain",
       arm_rings_itself_for_a_commit_after_the_drain},
      {"a commit from another process rings", a_commit_from_another_process_rings},
      {"no commit is missed by a drain, read, arm loop",
       no_commit_is_missed_by_a_drain_read_arm_loop},
      {"no commit is missed by a mark, read, discard, arm loop",
       no_commit_is_missed_by_a_mark_read_discard_arm_loop},
      {"a ring discarded after the read is caught by arm",
       a_ring_discarded_after_the_read_is_caught_by_arm},
      {"with no subscriber a commit opens no socket", no_subscriber_means_no_socket_and_no_scan},
      {"a writer frees the entry of a subscriber that died",
       a_writer_frees_the_entry_of_a_dead_subscriber},
      {"a full table reclaims dead entries, then refuses with E_LIMIT",
       a_full_table_reclaims_the_dead_then_refuses},
      {"arm reports an entry that was taken away", arm_reports_a_lost_entry},
      {"a delivery turn delivers again while commits land, bounded",
       a_turn_delivers_again_while_commits_land_bounded},
  };
  return harness_run("doorbell", cases, sizeof cases / sizeof cases[0]);
}
