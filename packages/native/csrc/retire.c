/*
 * Retirement: a store whose name was unlinked ends every wait on it, so that nobody keeps
 * following a file that nobody can open any more (docs/protocol.md, "Retirement").
 *
 * The flags word's bit SHMSTATE_FLAG_RETIRED is the one mark. shmstate_segment_unlink sets
 * it before it removes the name; a handle that finds its name removed or replaced behind
 * its back (a file deleted by hand from /dev/shm) sets it at its next commit, wake-up or
 * read of a new version. Setting it:
 *   1. fetch_or the flag (seq_cst),
 *   2. bump the futex word (seq_cst) and FUTEX_WAKE every waiter,
 *   3. ring every armed doorbell.
 * A waiter loads the futex word, checks the flag, registers and re-checks the word before
 * it sleeps (futex.c): either its flag load comes after step 1 in the seq_cst order (it
 * sees the flag), or its word load came before step 2's bump (the re-check or FUTEX_WAIT
 * sees another word, and the wake-up loops it back to the flag). A doorbell subscriber
 * checks the flag at the end of every delivery turn, after its re-arm: a ring it missed
 * because it was disarmed is caught by the re-arm's re-check of the word (step 2 came
 * before step 3). Writers check the flag under the writer lock, which the unlink holds
 * while it sets the flag: a commit is either wholly before the retirement (and delivered)
 * or refused with E_RETIRED.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* How long an unlink waits for the writer lock before it retires the store without it: a
 * commit holds the lock for microseconds (a large state, milliseconds); a stalled writer
 * would hold it for ever. */
#define RETIRE_LOCK_TIMEOUT_MS 100u

int shmstate_segment_retired(const shmstate_segment* seg) {
  /* Acquire: pairs with the seq_cst fetch_or in mark_retired (whoever saw the flag also
   * sees the versions published before it). */
  return (atomic_load_explicit(&seg->hdr->flags, memory_order_acquire) & SHMSTATE_FLAG_RETIRED) !=
         0;
}

int shmstate_segment_mark_retired(shmstate_segment* seg) {
  uint64_t before =
      atomic_fetch_or_explicit(&seg->hdr->flags, SHMSTATE_FLAG_RETIRED, memory_order_seq_cst);
  if ((before & SHMSTATE_FLAG_RETIRED) != 0) return 0; /* whoever set it woke everyone */
  /* Bump and wake whether or not the waiter count says someone waits: cheap, once. */
  shmstate_segment_wake(seg);
  /* A socket of our own: this may run on a reader's thread, while the handle's ring_fd
   * belongs to whoever holds the writer lock. */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    shmstate_doorbell_ring_all_from(seg, fd);
    close(fd);
  }
  return 1;
}

/* 1 when the handle's name still names the file it mapped, 0 when it does not (removed,
 * or removed and created again), -1 when the system cannot say (kept as "still ours"). */
static int name_still_ours(const shmstate_segment* seg) {
  struct stat st;
  if (seg->attach_fd >= 0) {
    /* The attach descriptor is the mapped file itself: a link count of 0 means its name is
     * gone, whatever the name names now. One fstat, no path lookup. */
    if (fstat(seg->attach_fd, &st) != 0) return -1;
    return st.st_nlink > 0;
  }
  shmstate_path path;
  shmstate_segment_path(seg->name, path);
  int fd = shm_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  int rc = fstat(fd, &st);
  close(fd);
  if (rc != 0) return -1;
  return (uint64_t)st.st_dev == seg->shm_dev && (uint64_t)st.st_ino == seg->shm_ino;
}

void shmstate_segment_remove_if_ours(const shmstate_segment* seg) {
  if (name_still_ours(seg) != 1) return;
  shmstate_path path;
  shmstate_segment_path(seg->name, path);
  shm_unlink(path);
}

/* CLOCK_MONOTONIC_COARSE in ns: a vDSO read of the last tick, no system call. */
static uint64_t coarse_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Checks the name when this handle's last check is at least `spacing_ns` old (0: now).
 * Relaxed: the time only spaces the checks out, two threads that both check do no harm. */
static int check(shmstate_segment* seg, uint64_t spacing_ns, shmstate_error* err) {
  if (!shmstate_segment_retired(seg)) {
    uint64_t now = coarse_ns();
    uint64_t last = atomic_load_explicit(&seg->name_checked_ns, memory_order_relaxed);
    if (spacing_ns == 0 || last == 0 || now - last >= spacing_ns) {
      atomic_store_explicit(&seg->name_checked_ns, now, memory_order_relaxed);
      if (name_still_ours(seg) == 0) {
        /* A read-only handle cannot write the flag: it learns it for itself only. */
        if (shmstate_segment_read_only(seg)) return shmstate_fail_retired(seg, err);
        shmstate_segment_mark_retired(seg);
      }
    }
  }
  if (shmstate_segment_retired(seg)) return shmstate_fail_retired(seg, err);
  return shmstate_ok(err);
}

int shmstate_segment_check(shmstate_segment* seg, shmstate_error* err) {
  if (seg == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment is NULL");
  return check(seg, 0, err);
}

int shmstate_segment_check_soon(shmstate_segment* seg, shmstate_error* err) {
  return check(seg, SHMSTATE_NAME_CHECK_NS, err);
}

int shmstate_segment_check_idle(shmstate_segment* seg, shmstate_error* err) {
  return check(seg, SHMSTATE_IDLE_NAME_CHECK_NS, err);
}

int shmstate_fail_retired(const shmstate_segment* seg, shmstate_error* err) {
  return shmstate_fail(err, SHMSTATE_E_RETIRED, 0,
                       "segment \"%s\" was retired: its name was unlinked (or the file removed), "
                       "and may name a new store; open the name again to follow it",
                       seg->name);
}

/* Whether this process may retire the store: its owner (or root), who can also remove the
 * name. Another user who can write a shared store cannot remove its name (the sticky
 * /dev/shm), and must not leave it retired under it. */
static int may_retire(const char* name) {
  shmstate_path path;
  shmstate_segment_path(name, path);
  int fd = shm_open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct stat st;
  int ok = fstat(fd, &st) == 0 && (st.st_uid == geteuid() || geteuid() == 0);
  close(fd);
  return ok;
}

int shmstate_segment_unlink(const char* name, shmstate_error* err) {
  int rc = shmstate_name_check(name, err);
  if (rc != SHMSTATE_OK) return rc;
  shmstate_path path;
  shmstate_segment_path(name, path);
  shmstate_segment* seg = NULL;
  int retired_here = 0;
  /* A store we can map is retired first. One we cannot (another user's, damaged, of
   * another layout) is only unlinked: nobody we could wake follows it through this build. */
  if (may_retire(name) && shmstate_segment_map(name, NULL, 1, &seg, NULL) == SHMSTATE_OK &&
      shmstate_segment_read_only(seg)) {
    shmstate_segment_close(seg); /* mapped read-only: this process cannot write the flag */
    seg = NULL;
  }
  if (seg != NULL) {
    /* Under the writer lock, so that no commit straddles the flag. A lock that cannot be
     * had within RETIRE_LOCK_TIMEOUT_MS (a stalled writer, or a huge commit) does not keep
     * the name from going, nor the caller waiting the full lock timeout. */
    shmstate_segment_set_lock_timeout(seg, RETIRE_LOCK_TIMEOUT_MS);
    int locked = shmstate_writer_lock(seg, NULL) == SHMSTATE_OK;
    retired_here = shmstate_segment_mark_retired(seg);
    if (locked) shmstate_writer_unlock(seg);
    /* Remove the name only if it still names what we retired: a store made under the name
     * since is not ours to remove. Gone already after we retired it (a follower's re-open
     * removes a retired store it finds, and may have created the next one): done. */
    int ours = name_still_ours(seg);
    shmstate_segment_close(seg);
    if (ours == 0) {
      if (retired_here) return shmstate_ok(err);
      return shmstate_fail(err, SHMSTATE_E_NOENT, 0,
                           "segment \"%s\" was removed by another process meanwhile", name);
    }
  }
  if (shm_unlink(path) != 0) {
    int e = errno;
    /* Retired by us and removed meanwhile (a self-cleaning store's last detacher): gone,
     * as asked. */
    if (e == ENOENT && retired_here) return shmstate_ok(err);
    if (e == ENOENT) return shmstate_fail(err, SHMSTATE_E_NOENT, e, "no segment \"%s\"", name);
    return shmstate_fail_errno(err, e, "cannot unlink segment \"%s\"", name);
  }
  return shmstate_ok(err);
}
