/*
 * What `shmstate doctor` and `info` look at beyond the statistics: the doorbell table's
 * used and dead entries (and each one's kind and rings), and the writer lock's state, read without
 * taking or repairing anything (a look must not change what it looks at; the next writer recovers a
 * lock whose owner died, as it always does).
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "doorbell.h"
#include "internal.h"

/* The kernel's robust-futex bit (linux/futex.h FUTEX_OWNER_DIED): set in the lock word
 * when its owner died holding it. glibc's robust mutex keeps that word in its first int
 * (__data.__lock), the owner's thread id in its low bits (FUTEX_TID_MASK). */
#define OWNER_DIED 0x40000000u
#define TID_MASK 0x3fffffffu

static void lock_state(const shmstate_segment* seg, shmstate_health* out) {
  /* Relaxed: one look at a word other processes change; nothing is ordered after it. */
  const _Atomic uint32_t* word = (const _Atomic uint32_t*)(const void*)&seg->hdr->writer_lock;
  uint32_t value = atomic_load_explicit(word, memory_order_relaxed);
  out->lock_owner_tid = value & TID_MASK;
  if (value & OWNER_DIED) {
    out->lock_state = SHMSTATE_LOCK_OWNER_DIED;
  } else {
    out->lock_state = out->lock_owner_tid != 0 ? SHMSTATE_LOCK_HELD : SHMSTATE_LOCK_FREE;
  }
}

int shmstate_segment_health(shmstate_segment* seg, shmstate_health* out, shmstate_error* err) {
  if (seg == NULL || out == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment or health output is NULL");
  }
  *out = (shmstate_health){0};
  lock_state(seg, out);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return shmstate_fail_errno(err, errno, "cannot open a socket to test doorbells");
  for (unsigned i = 0; i < SHMSTATE_DOORBELL_ENTRIES; i++) {
    const shmstate_doorbell_entry* entry = &shmstate_doorbell_table(seg)[i];
    uint64_t control = atomic_load_explicit(&entry->control, memory_order_acquire);
    if (doorbell_state(control) == SHMSTATE_DOORBELL_FREE) continue;
    out->doorbells_used++;
    uint64_t token = atomic_load_explicit(&entry->token, memory_order_relaxed);
    uint64_t address = atomic_load_explicit(&entry->address, memory_order_relaxed);
    if (shmstate_doorbell_entry_dead(seg, fd, control, address, token)) out->doorbells_dead++;
  }
  close(fd);
  return shmstate_ok(err);
}

int shmstate_segment_doorbells(shmstate_segment* seg, shmstate_doorbell_info* out, size_t max,
                               size_t* count, shmstate_error* err) {
  if (seg == NULL || count == NULL || (out == NULL && max > 0)) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment, entries or count is NULL");
  }
  *count = 0;
  for (unsigned i = 0; i < SHMSTATE_DOORBELL_ENTRIES && *count < max; i++) {
    const shmstate_doorbell_entry* entry = &shmstate_doorbell_table(seg)[i];
    /* Acquire: pairs with the claim's and arm's CAS, so the words below are the tenant's
     * (a look: a tenant changing meanwhile shows a mix, never anything unsafe). */
    uint64_t control = atomic_load_explicit(&entry->control, memory_order_acquire);
    if (doorbell_state(control) == SHMSTATE_DOORBELL_FREE) continue;
    uint64_t address = atomic_load_explicit(&entry->address, memory_order_relaxed);
    out[*count] = (shmstate_doorbell_info){
        .index = i,
        .state = doorbell_state(control),
        .pid = doorbell_pid(control),
        .path = (uint32_t)doorbell_listens_on_path(control, address),
        .rings = atomic_load_explicit(&entry->rings, memory_order_relaxed),
    };
    (*count)++;
  }
  return shmstate_ok(err);
}
