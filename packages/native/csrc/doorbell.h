/*
 * What the doorbell's two halves share: the packing of an entry's control word, the
 * socket address a (pid, token) pair names, and the "is this subscriber dead" test.
 * doorbell.c is the subscriber side (open, drain, arm, close), doorbell_ring.c the writer
 * side (ring every armed entry after a commit).
 */
#ifndef SHMSTATE_DOORBELL_H
#define SHMSTATE_DOORBELL_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "internal.h"

_Static_assert(SHMSTATE_DOORBELL_MAX == SHMSTATE_DOORBELL_ENTRIES,
               "the public limit is the table size");

#define DOORBELL_STATE_MASK 3ull
#define DOORBELL_GEN_MASK 0xFFFFFFFCull /* bits 2..31 */

static inline unsigned doorbell_state(uint64_t control) {
  return (unsigned)(control & DOORBELL_STATE_MASK);
}
static inline uint32_t doorbell_pid(uint64_t control) { return (uint32_t)(control >> 32); }
static inline uint64_t doorbell_with_state(uint64_t control, unsigned state) {
  return (control & ~DOORBELL_STATE_MASK) | state;
}
/* The free word an entry returns to: its generation kept, no pid. */
static inline uint64_t doorbell_free_word(uint64_t control) { return control & DOORBELL_GEN_MASK; }

/* An abstract-namespace address: sun_path[0] is NUL, then
 * "shmstate.<crc32c of the segment name, 8 hex>.<pid>.<token, 16 hex>" (no terminator). */
typedef struct shmstate_doorbell_address {
  struct sockaddr_un sun;
  socklen_t len;
} shmstate_doorbell_address;

void shmstate_doorbell_address_of(const shmstate_segment* seg, uint32_t pid, uint64_t token,
                                  shmstate_doorbell_address* out);

/* Sends one byte to the entry's socket from `fd` without blocking or raising SIGPIPE.
 * Returns 0 or the errno of the failure. */
int shmstate_doorbell_send(const shmstate_segment* seg, int fd, uint32_t pid, uint64_t token);

/* The entry of a process that is gone: its pid no longer exists AND its socket (tried from
 * `fd`, an unbound datagram socket) refuses a byte. Neither alone is enough: a pid is
 * reused, and a refused byte may only mean the registrant has not stored its token yet. */
int shmstate_doorbell_entry_dead(const shmstate_segment* seg, int fd, uint64_t control,
                                 uint64_t token);

/* Frees entry `entry` if its control word is still `control` (not newer), keeping the
 * count and, when `reclaimed`, the reclaim statistic. Returns 1 if this call freed it. */
int shmstate_doorbell_free(shmstate_header* hdr, shmstate_doorbell_entry* entry, uint64_t control,
                           int reclaimed);

#endif /* SHMSTATE_DOORBELL_H */
