/*
 * The writer's side of the doorbells: after a commit has published and bumped the futex
 * word (writer lock held), send one byte to every armed entry, disarming it in the same
 * atomic step, so a subscriber has at most one byte pending per delivery however many
 * commits land before it runs. A socket that refuses the byte (ECONNREFUSED: nothing is
 * bound to the name any more; ENOENT: the path socket's file is gone) belonged to a
 * subscriber that died or closed without unregistering, so the entry is freed. docs/concurrency.md
 * "Doorbells" gives the ordering argument; docs/protocol.md the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "doorbell.h"

void shmstate_doorbell_abstract_address(const shmstate_segment* seg, uint32_t pid, uint64_t token,
                                        shmstate_doorbell_address* out) {
  memset(&out->sun, 0, sizeof out->sun);
  out->sun.sun_family = AF_UNIX;
  uint32_t tag = shmstate_crc32c(seg->name, strlen(seg->name));
  /* sun_path[0] stays NUL: the abstract namespace, nothing on any filesystem to clean up. */
  int n = snprintf(out->sun.sun_path + 1, sizeof out->sun.sun_path - 1, "shmstate.%08x.%u.%016llx",
                   (unsigned)tag, (unsigned)pid, (unsigned long long)token);
  out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

void shmstate_doorbell_tenant_address(const shmstate_segment* seg, uint64_t control,
                                      uint64_t address, uint64_t token,
                                      shmstate_doorbell_address* out) {
  if (doorbell_listens_on_path(control, address)) {
    shmstate_doorbell_path_address(seg, token, out);
  } else {
    shmstate_doorbell_abstract_address(seg, doorbell_pid(control), token, out);
  }
}

int shmstate_doorbell_send(int fd, const shmstate_doorbell_address* to) {
  const char byte = 0;
  ssize_t r =
      sendto(fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr*)&to->sun, to->len);
  return r == 1 ? 0 : errno;
}

int shmstate_doorbell_free(shmstate_header* hdr, shmstate_doorbell_entry* entry, uint64_t control,
                           int reclaimed) {
  /* The generation in `control` makes this fail if the entry was freed and claimed again
   * since `control` was read: only the tenant we judged is ever removed. */
  if (!atomic_compare_exchange_strong_explicit(&entry->control, &control,
                                               doorbell_free_word(control), memory_order_seq_cst,
                                               memory_order_seq_cst)) {
    return 0;
  }
  atomic_fetch_sub_explicit(&hdr->doorbell_count, 1, memory_order_seq_cst);
  if (reclaimed) atomic_fetch_add_explicit(&hdr->doorbell_reclaims, 1, memory_order_relaxed);
  return 1;
}

/* The unbound socket the writer sends from, created on the first commit that finds a
 * registered doorbell and kept until the segment closes (lock held: one user at a time). */
static int ring_socket(shmstate_segment* seg) {
  if (seg->ring_fd < 0) seg->ring_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  return seg->ring_fd;
}

void shmstate_doorbell_ring_all(shmstate_segment* seg) {
  /* seq_cst, after the seq_cst futex bump: pairs with a registrant's increment of the count
   * before it arms and re-checks the word. Zero means nobody to ring and no scan at all. */
  if (atomic_load_explicit(&seg->hdr->doorbell_count, memory_order_seq_cst) == 0) return;
  int fd = ring_socket(seg);
  /* Without a socket (out of descriptors) nobody can be rung; subscribers catch up on the
   * next commit that can. The futex waiters were woken regardless. */
  if (fd < 0) return;
  shmstate_doorbell_ring_all_from(seg, fd);
}

void shmstate_doorbell_ring_all_from(shmstate_segment* seg, int fd) {
  shmstate_header* hdr = seg->hdr;
  /* seq_cst: as in shmstate_doorbell_ring_all. */
  if (atomic_load_explicit(&hdr->doorbell_count, memory_order_seq_cst) == 0) return;
  for (unsigned i = 0; i < SHMSTATE_DOORBELL_ENTRIES; i++) {
    shmstate_doorbell_entry* entry = &shmstate_doorbell_table(seg)[i];
    /* seq_cst load and exchange: the writer's half of the Dekker pairing with the
     * subscriber's arm (seq_cst) followed by its re-check of the futex word. */
    uint64_t control = atomic_load_explicit(&entry->control, memory_order_seq_cst);
    if (doorbell_state(control) != SHMSTATE_DOORBELL_ARMED) continue;
    uint64_t disarmed = doorbell_with_state(control, SHMSTATE_DOORBELL_DISARMED);
    if (!atomic_compare_exchange_strong_explicit(&entry->control, &control, disarmed,
                                                 memory_order_seq_cst, memory_order_seq_cst)) {
      continue; /* the subscriber disarmed or unregistered meanwhile: nothing to ring */
    }
    /* Relaxed: the token and address were stored before the subscriber's arm, which our
     * exchange read (seq_cst includes acquire). */
    uint64_t token = atomic_load_explicit(&entry->token, memory_order_relaxed);
    uint64_t address = atomic_load_explicit(&entry->address, memory_order_relaxed);
    shmstate_doorbell_address to;
    shmstate_doorbell_tenant_address(seg, control, address, token, &to);
    int e = shmstate_doorbell_send(fd, &to);
    if (e == 0) {
      atomic_fetch_add_explicit(&entry->rings, 1, memory_order_relaxed);
    } else if (doorbell_unreachable(e)) {
      /* Nothing is bound to the name (the subscriber's socket is closed, which the kernel
       * does when it dies) or its file is gone. Free the entry (only if it is still the
       * tenant we disarmed), then remove a dead path socket we may remove: a killed
       * subscriber leaves its file behind. */
      if (shmstate_doorbell_free(hdr, entry, disarmed, 1)) {
        shmstate_doorbell_forget(seg, control, address, token);
      }
    } else if (e != EAGAIN) {
      /* Not delivered for another reason (ENOBUFS, a security policy): arm it again so the
       * next commit retries, rather than leave a subscriber that will never be rung.
       * EAGAIN needs nothing: a full queue means the socket is readable already. */
      atomic_compare_exchange_strong_explicit(&entry->control, &disarmed, control,
                                              memory_order_seq_cst, memory_order_seq_cst);
    }
  }
}
