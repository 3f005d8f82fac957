/*
 * What the doorbell's halves share: the packing of an entry's control and address words,
 * the socket address a tenant listens on, and the "is this subscriber dead" test.
 * doorbell.c is the subscriber side (open, drain, arm, close), doorbell_ring.c the writer
 * side (ring every armed entry after a commit), doorbell_path.c the path sockets in
 * /dev/shm (naming, binding, the cleanup rule, the sweep `shmstate doctor` runs).
 */
#ifndef SHMSTATE_DOORBELL_H
#define SHMSTATE_DOORBELL_H

#include <errno.h>
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

/* Where a tenant listens. Abstract (the entry's `address` word does not name a path):
 * sun_path[0] is NUL, then "shmstate.<crc32c of the segment name, 8 hex>.<pid>.<token, 16
 * hex>" (no terminator). Path: "/dev/shm/shmstate-bell.<store id, 16 hex>.<token, 16 hex>"
 * (doorbell_path.c), NUL-terminated. */
typedef struct shmstate_doorbell_address {
  struct sockaddr_un sun;
  socklen_t len;
} shmstate_doorbell_address;

#define DOORBELL_ADDRESS_PATH 1ull

/* The `address` word a path tenant with this control word stores (layout.h). */
static inline uint64_t doorbell_path_word(uint64_t control) {
  return (control & ~DOORBELL_STATE_MASK) | DOORBELL_ADDRESS_PATH;
}
/* Whether `address` says the tenant of `control` listens on a path socket. For a free
 * entry (pid 0) it asks about the tenant that left it: same generation, some pid. */
static inline int doorbell_listens_on_path(uint64_t control, uint64_t address) {
  if (doorbell_pid(control) == 0) {
    return (address & DOORBELL_ADDRESS_PATH) && doorbell_pid(address) != 0 &&
           (address & DOORBELL_GEN_MASK) == (control & DOORBELL_GEN_MASK);
  }
  return address == doorbell_path_word(control);
}

void shmstate_doorbell_abstract_address(const shmstate_segment* seg, uint32_t pid, uint64_t token,
                                        shmstate_doorbell_address* out);
void shmstate_doorbell_path_address(const shmstate_segment* seg, uint64_t token,
                                    shmstate_doorbell_address* out);
/* The address of the tenant an entry's words describe. */
void shmstate_doorbell_tenant_address(const shmstate_segment* seg, uint64_t control,
                                      uint64_t address, uint64_t token,
                                      shmstate_doorbell_address* out);

/* Sends one byte to `to` from `fd` without blocking or raising SIGPIPE. Returns 0 or the
 * errno of the failure. */
int shmstate_doorbell_send(int fd, const shmstate_doorbell_address* to);

/* Whether a send's errno says nobody listens there any more: ECONNREFUSED (a socket file or
 * abstract name with nothing bound) or ENOENT (a path socket whose file is gone). */
static inline int doorbell_unreachable(int e) { return e == ECONNREFUSED || e == ENOENT; }

/* The entry of a process that is gone: its pid no longer exists AND its socket (tried from
 * `fd`, an unbound datagram socket) refuses a byte. Neither alone is enough: a pid is
 * reused, and a refused byte may only mean the registrant has not stored its token yet. */
int shmstate_doorbell_entry_dead(const shmstate_segment* seg, int fd, uint64_t control,
                                 uint64_t address, uint64_t token);

/* ---- doorbell_path.c ---- */

/* Lists a bound path socket of this process for removal at exit() (doorbell_exit.c), and
 * takes it off the list before it is removed or closed normally. */
void shmstate_doorbell_exit_track(const char* path);
void shmstate_doorbell_exit_untrack(const char* path);

/* Binds `fd` to the path socket of `token` on `seg` and gives the file the segment's
 * group and permission bits (doorbell_path.c). E_PERM naming the owner when the path is
 * taken by another file (squatted: nothing there is changed); E_LIMIT and the like from
 * bind otherwise. */
int shmstate_doorbell_bind_path(const shmstate_segment* seg, int fd, uint64_t token,
                                shmstate_error* err);

/* Removes the path socket at `at` if it is dead (a byte is refused), a socket, and owned by
 * this process's effective uid: the rule every cleaner follows. Returns 1 if removed. */
int shmstate_doorbell_path_remove_dead(const shmstate_doorbell_address* at);

/* After an entry was freed: removes its tenant's path socket by the rule above. */
void shmstate_doorbell_forget(const shmstate_segment* seg, uint64_t control, uint64_t address,
                              uint64_t token);

/* Frees entry `entry` if its control word is still `control` (not newer), keeping the
 * count and, when `reclaimed`, the reclaim statistic. Returns 1 if this call freed it. */
int shmstate_doorbell_free(shmstate_header* hdr, shmstate_doorbell_entry* entry, uint64_t control,
                           int reclaimed);

#endif /* SHMSTATE_DOORBELL_H */
