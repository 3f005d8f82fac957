/*
 * Notification: a 32-bit futex word in the header, bumped on every publish, and a count
 * of waiters so a commit with nobody waiting makes no system call. Shared futexes only
 * (never the process-private variant): waiters and writers live in different processes and map the
 * word at different addresses.
 *
 * The lost-wake-up argument (a Dekker pairing, all four accesses seq_cst):
 *   writer: version = v+1; fetch_add(futex_word); if (load(waiters) > 0) FUTEX_WAKE
 *   waiter: w = load(futex_word); fetch_add(waiters); if (load(futex_word) == w) FUTEX_WAIT(w)
 * In the single total order of seq_cst operations, either the writer's load of waiters
 * comes after the waiter's increment (the writer sees a waiter and wakes it), or the
 * waiter's increment, and so its re-check of the word, comes after the writer's bump (the
 * waiter sees the new word and does not sleep). A wake that lands between the re-check
 * and the FUTEX_WAIT is not lost either: the kernel compares the word with w atomically
 * and returns EAGAIN.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static long futex_wait(_Atomic uint32_t* word, uint32_t expected, const struct timespec* rel) {
  return syscall(SYS_futex, (uint32_t*)word, FUTEX_WAIT, expected, rel, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t* word) {
  syscall(SYS_futex, (uint32_t*)word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void shmstate_futex_notify(shmstate_segment* seg) {
  shmstate_header* hdr = seg->hdr;
  /* seq_cst bump and load: the writer's half of the Dekker pairing described above. */
  atomic_fetch_add_explicit(&hdr->futex_word, 1, memory_order_seq_cst);
  if (atomic_load_explicit(&hdr->waiters, memory_order_seq_cst) > 0) {
    futex_wake_all(&hdr->futex_word);
  }
}

void shmstate_segment_wake(shmstate_segment* seg) {
  if (seg->read_only) {
    /* No bump through a read-only mapping: a waiter of this handle that missed the bare
     * wake sees its stop flag at the end of its wait slice (SHMSTATE_READ_ONLY_WAIT_SLICE_MS). */
    futex_wake_all(&seg->hdr->futex_word);
    return;
  }
  /* Bump as well as wake: a waiter between its stop-flag check and its FUTEX_WAIT would
   * sleep through a bare FUTEX_WAKE; the changed word makes its FUTEX_WAIT return EAGAIN.
   * The version does not change, so every other waiter goes back to sleep. */
  atomic_fetch_add_explicit(&seg->hdr->futex_word, 1, memory_order_seq_cst);
  futex_wake_all(&seg->hdr->futex_word);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int stop_requested(const volatile int* stop) {
  /* seq_cst: pairs with the stopper's store before its shmstate_segment_wake(). */
  return stop != NULL && __atomic_load_n(stop, __ATOMIC_SEQ_CST) != 0;
}

int shmstate_segment_wait(shmstate_segment* seg, uint64_t seen_version, int64_t timeout_ns,
                          const volatile int* stop, uint64_t* out_version, shmstate_error* err) {
  shmstate_header* hdr = seg->hdr;
  int64_t deadline = timeout_ns >= 0 ? now_ns() + timeout_ns : 0;
  /* A FUTEX_WAIT of a read-write handle returned with no new version: check the name. */
  int woke = 0;
  /* A slice of a read-only handle ended with no new version (it ends every
   * SHMSTATE_READ_ONLY_WAIT_SLICE_MS whatever happens): check the name, but at most once
   * per SHMSTATE_IDLE_NAME_CHECK_NS, so that a removal is found within about 100 ms. */
  int sliced = 0;
  for (;;) {
    uint32_t w = atomic_load_explicit(&hdr->futex_word, memory_order_seq_cst);
    /* Acquire: pairs with the writer's release store of the version (the caller reads the
     * new state next). */
    uint64_t version = atomic_load_explicit(&hdr->version, memory_order_acquire);
    if (out_version != NULL) *out_version = version;
    if (version != seen_version) return shmstate_ok(err);
    /* After the word load (seq_cst): a retirement whose bump this load missed is seen by the
     * re-check before FUTEX_WAIT; one whose bump it saw set the flag before (retire.c).
     * After the version check, so that the last versions before it are still delivered.
     * A wake-up with no new version also checks the name (a file removed by hand). */
    if (shmstate_segment_retired(seg) ||
        (woke && shmstate_segment_check(seg, NULL) == SHMSTATE_E_RETIRED) ||
        (sliced && shmstate_segment_check_idle(seg, NULL) == SHMSTATE_E_RETIRED)) {
      return shmstate_fail_retired(seg, err);
    }
    if (stop_requested(stop)) {
      return shmstate_fail(err, SHMSTATE_E_CLOSED, 0, "wait on segment \"%s\" was stopped",
                           seg->name);
    }
    struct timespec rel, *relp = NULL;
    int64_t left = -1; /* no limit */
    if (timeout_ns >= 0) {
      left = deadline - now_ns();
      if (left <= 0) {
        return shmstate_fail(err, SHMSTATE_E_TIMEOUT, 0,
                             "no version after %llu on segment \"%s\" within %lld ns",
                             (unsigned long long)seen_version, seg->name, (long long)timeout_ns);
      }
    }
    if (seg->read_only) {
      /* A read-only handle cannot add itself to the waiter count, so a writer may skip the
       * wake: sleep in slices and let the loop top re-check the version. */
      const int64_t slice = (int64_t)SHMSTATE_READ_ONLY_WAIT_SLICE_MS * 1000000;
      if (left < 0 || left > slice) left = slice;
    }
    if (left >= 0) {
      rel.tv_sec = (time_t)(left / 1000000000);
      rel.tv_nsec = (long)(left % 1000000000);
      relp = &rel;
    }
    if (seg->read_only) {
      long r = futex_wait(&hdr->futex_word, w, relp);
      int e = errno;
      sliced = 1;
      if (r == 0 || e == EAGAIN || e == ETIMEDOUT) continue;
      if (e == EINTR) {
        version = atomic_load_explicit(&hdr->version, memory_order_acquire);
        if (out_version != NULL) *out_version = version;
        if (version != seen_version) return shmstate_ok(err);
        return shmstate_fail(err, SHMSTATE_E_INTERRUPTED, EINTR,
                             "wait on segment \"%s\" was interrupted by a signal", seg->name);
      }
      return shmstate_fail_errno(err, e, "futex wait on segment \"%s\" failed", seg->name);
    }
    /* The waiter's half of the Dekker pairing: register, then re-check word and version. */
    atomic_fetch_add_explicit(&hdr->waiters, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&hdr->futex_word, memory_order_seq_cst) != w ||
        atomic_load_explicit(&hdr->version, memory_order_acquire) != seen_version ||
        stop_requested(stop) || shmstate_segment_retired(seg)) {
      atomic_fetch_sub_explicit(&hdr->waiters, 1, memory_order_seq_cst);
      continue;
    }
    long r = futex_wait(&hdr->futex_word, w, relp);
    int e = errno;
    atomic_fetch_sub_explicit(&hdr->waiters, 1, memory_order_seq_cst);
    woke = 1;
    if (r == 0 || e == EAGAIN || e == ETIMEDOUT) continue; /* the loop top decides */
    if (e == EINTR) {
      /* A change that raced the signal still counts as a change. */
      version = atomic_load_explicit(&hdr->version, memory_order_acquire);
      if (out_version != NULL) *out_version = version;
      if (version != seen_version) return shmstate_ok(err);
      return shmstate_fail(err, SHMSTATE_E_INTERRUPTED, EINTR,
                           "wait on segment \"%s\" was interrupted by a signal", seg->name);
    }
    return shmstate_fail_errno(err, e, "futex wait on segment \"%s\" failed", seg->name);
  }
}
