/*
 * The writer lock: a robust, process-shared pthread mutex in the header. A writer that
 * dies holding it hands the next writer EOWNERDEAD, never a deadlock; a writer that is
 * merely slow or stopped makes others time out with E_TIMEOUT. The lock is never taken
 * from its owner on PID evidence: a PID can be reused, and a stopped writer may resume.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "internal.h"

int shmstate_writer_lock_init(shmstate_header* hdr, shmstate_error* err) {
  pthread_mutexattr_t attr;
  int rc = pthread_mutexattr_init(&attr);
  if (rc != 0) return shmstate_fail_errno(err, rc, "cannot initialise the writer lock");
  if ((rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED)) != 0 ||
      (rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST)) != 0 ||
      (rc = pthread_mutex_init(&hdr->writer_lock.mutex, &attr)) != 0) {
    pthread_mutexattr_destroy(&attr);
    return shmstate_fail_errno(err, rc, "cannot initialise the writer lock");
  }
  pthread_mutexattr_destroy(&attr);
  return SHMSTATE_OK;
}

/* Lock held: makes current_slot name the slot that holds the published version, if one
 * does and the named one does not (on a ring segment: a checkpoint whose writer died
 * between its slot and its index, which this completes). */
static void repair_slot_index(shmstate_segment* seg) {
  shmstate_header* hdr = seg->hdr;
  /* Relaxed loads: we hold the lock, and the dead holder's stores are ordered before our
   * acquisition of it. */
  uint64_t version = atomic_load_explicit(&hdr->version, memory_order_relaxed);
  uint32_t current = atomic_load_explicit(&hdr->current_slot, memory_order_relaxed);
  if (current <= 1 && atomic_load_explicit(&shmstate_slot(seg, current)->version,
                                           memory_order_relaxed) == version) {
    return;
  }
  for (unsigned i = 0; i < 2; i++) {
    shmstate_slot_header* slot = shmstate_slot(seg, i);
    uint64_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
    if ((seq & 1) == 0 && atomic_load_explicit(&slot->version, memory_order_relaxed) == version) {
      /* Release, as in publish(): readers that see this index see the version before it. */
      atomic_store_explicit(&hdr->current_slot, i, memory_order_release);
      return;
    }
  }
  /* Neither slot holds the published version. With a ring that is the rule (the checkpoint
   * is below the version and the ring carries it there); without, it is corruption that
   * readers report, and the next commit writes a fresh state and publishes it. */
}

/* A dead writer held the lock. It only ever wrote the slot that is not current (and the
 * ring entry after the published version), so the published state is whole. It may have
 * died between publishing the version and the slot index: make the index name the
 * version's slot again, or the next commit would write over the published state. It may
 * have published a patch without counting its bytes: the ring recounts them. It may also
 * have skipped the notification after a publish, so bump, wake and ring as if it had. Its
 * half-written records (odd seq) are repaired by their next write; what it wrote whole but
 * did not publish is forgotten by the next commit (shmstate_record_forget). */
static void recover(shmstate_segment* seg) {
  shmstate_header* hdr = seg->hdr;
  atomic_fetch_add_explicit(&hdr->stat_lock_recoveries, 1, memory_order_relaxed);
  repair_slot_index(seg);
  shmstate_ring_recover(seg);
  shmstate_futex_notify(seg);
  shmstate_doorbell_ring_all(seg);
}

int shmstate_writer_lock(shmstate_segment* seg, shmstate_error* err) {
  /* Every write to the segment (commits, patch plans, recovery) starts here: a read-only
   * mapping would fault on the mutex itself. */
  if (seg->read_only) return shmstate_fail_read_only(seg, "take the writer lock to write", err);
  pthread_mutex_t* mutex = &seg->hdr->writer_lock.mutex;
  uint32_t timeout_ms = atomic_load_explicit(&seg->lock_timeout_ms, memory_order_relaxed);
  /* pthread_mutex_timedlock takes a CLOCK_REALTIME deadline. */
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000L;
  }
  int rc = pthread_mutex_timedlock(mutex, &deadline);
  switch (rc) {
    case 0:
      return SHMSTATE_OK;
    case EOWNERDEAD:
      if (pthread_mutex_consistent(mutex) != 0) {
        pthread_mutex_unlock(mutex);
        return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                             "writer lock of segment \"%s\" could not be made consistent",
                             seg->name);
      }
      recover(seg);
      return SHMSTATE_OK;
    case ETIMEDOUT:
      return shmstate_fail(err, SHMSTATE_E_TIMEOUT, ETIMEDOUT,
                           "writer lock of segment \"%s\" not acquired within %u ms: another "
                           "writer holds it (stalled or stopped)",
                           seg->name, timeout_ms);
    case ENOTRECOVERABLE:
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, rc,
                           "writer lock of segment \"%s\" is not recoverable", seg->name);
    case EINVAL:
      return shmstate_fail(err, SHMSTATE_E_CORRUPT, rc,
                           "writer lock of segment \"%s\" is not a valid mutex", seg->name);
    case EDEADLK:
      return shmstate_fail(err, SHMSTATE_E_INVALID, rc,
                           "this thread already holds the writer lock of segment \"%s\"",
                           seg->name);
    default:
      return shmstate_fail_errno(err, rc, "cannot take the writer lock of segment \"%s\"",
                                 seg->name);
  }
}

void shmstate_writer_unlock(shmstate_segment* seg) {
  pthread_mutex_unlock(&seg->hdr->writer_lock.mutex);
}
