/*
 * The subscriber's side of the doorbells (see shmstate.h for the calling sequence and
 * doorbell_ring.c for the writer's side). A doorbell is one process's registration on one
 * segment: a non-blocking datagram socket bound under a name made of a random token and
 * the segment (a file in /dev/shm, doorbell_path.c, or an abstract name with the pid), and
 * the header entry that names it (control word, token, and the address word that says
 * which kind).
 *
 * Entry life: FREE --claim (CAS, new generation, our pid)--> DISARMED --token, arm-->
 * ARMED --a writer rings (CAS)--> DISARMED --drain, read, arm--> ARMED ... and back to FREE
 * by close (CAS), by a writer whose byte is refused, or by a registrant reclaiming the
 * entry of a dead process. Every transition is a CAS on the whole control word, whose
 * generation makes a CAS against an older tenant fail.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "doorbell.h"

/* Datagrams read per drain: a foreign sender flooding the socket cannot pin the caller;
 * whatever is left keeps the fd readable for the next turn. */
#define DRAIN_MAX 64
#define BIND_ATTEMPTS 4

struct shmstate_doorbell {
  shmstate_segment* seg;
  int fd;
  uint32_t pid;
  uint64_t token;
  int on_path;                   /* bound to a path socket (else an abstract name) */
  shmstate_doorbell_address own; /* where we listen: our own ring goes there */
  shmstate_doorbell_entry* entry;
  uint64_t identity;     /* our control word without its state bits: generation and pid */
  uint32_t seen_word;    /* the futex word at the last mark or drain (or at open) */
  uint64_t turn_version; /* the version when the current delivery turn last delivered */
  int turn_rounds;       /* deliveries made in the current turn */
};

/* doorbell.h: a pid is reused, and a refused byte may only mean the registrant has claimed
 * the entry but not yet stored its token. */
int shmstate_doorbell_entry_dead(const shmstate_segment* seg, int fd, uint64_t control,
                                 uint64_t address, uint64_t token) {
  uint32_t pid = doorbell_pid(control);
  if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH) return 0;
  shmstate_doorbell_address at;
  shmstate_doorbell_tenant_address(seg, control, address, token, &at);
  return doorbell_unreachable(shmstate_doorbell_send(fd, &at));
}

static void reclaim_dead(shmstate_segment* seg, int fd) {
  shmstate_header* hdr = seg->hdr;
  for (unsigned i = 0; i < SHMSTATE_DOORBELL_ENTRIES; i++) {
    shmstate_doorbell_entry* entry = &shmstate_doorbell_table(seg)[i];
    uint64_t control = atomic_load_explicit(&entry->control, memory_order_seq_cst);
    if (doorbell_state(control) == SHMSTATE_DOORBELL_FREE) continue;
    uint64_t token = atomic_load_explicit(&entry->token, memory_order_relaxed);
    uint64_t address = atomic_load_explicit(&entry->address, memory_order_relaxed);
    if (shmstate_doorbell_entry_dead(seg, fd, control, address, token) &&
        shmstate_doorbell_free(hdr, entry, control, 1)) {
      shmstate_doorbell_forget(seg, control, address, token);
    }
  }
}

/* Claims a free entry for `bell` (CAS FREE -> DISARMED with a new generation and our pid).
 * Returns 1 on success. */
static int claim(shmstate_doorbell* bell) {
  shmstate_header* hdr = bell->seg->hdr;
  for (unsigned i = 0; i < SHMSTATE_DOORBELL_ENTRIES; i++) {
    shmstate_doorbell_entry* entry = &shmstate_doorbell_table(bell->seg)[i];
    uint64_t control = atomic_load_explicit(&entry->control, memory_order_seq_cst);
    if (doorbell_state(control) != SHMSTATE_DOORBELL_FREE) continue;
    uint64_t gen = ((control & DOORBELL_GEN_MASK) + 4) & DOORBELL_GEN_MASK;
    uint64_t claimed = gen | (uint64_t)bell->pid << 32 | SHMSTATE_DOORBELL_DISARMED;
    if (atomic_compare_exchange_strong_explicit(&entry->control, &control, claimed,
                                                memory_order_seq_cst, memory_order_seq_cst)) {
      /* seq_cst, before the arm: pairs with the writer's load of the count after its futex
       * bump (a writer that reads 0 bumped before our re-check of the word). */
      atomic_fetch_add_explicit(&hdr->doorbell_count, 1, memory_order_seq_cst);
      atomic_store_explicit(&entry->rings, 0, memory_order_relaxed);
      /* The tenant before us may have been killed, leaving its socket file: its words are
       * still here (a free keeps them), so remove it if the cleanup rule lets us. */
      shmstate_doorbell_forget(bell->seg, control,
                               atomic_load_explicit(&entry->address, memory_order_relaxed),
                               atomic_load_explicit(&entry->token, memory_order_relaxed));
      bell->entry = entry;
      bell->identity = claimed & ~DOORBELL_STATE_MASK;
      return 1;
    }
  }
  return 0;
}

static int new_socket(shmstate_doorbell* bell, shmstate_error* err) {
  bell->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (bell->fd < 0) {
    return shmstate_fail_errno(err, errno, "cannot create a doorbell socket for segment \"%s\"",
                               bell->seg->name);
  }
  return SHMSTATE_OK;
}

static int new_token(shmstate_doorbell* bell, shmstate_error* err) {
#ifdef SHMSTATE_TEST_HOOKS
  if (bell->seg->test_doorbell_token != 0) {
    bell->token = bell->seg->test_doorbell_token;
    return SHMSTATE_OK;
  }
#endif
  if (getrandom(&bell->token, sizeof bell->token, 0) != (ssize_t)sizeof bell->token) {
    return shmstate_fail_errno(err, errno, "no random token for a doorbell");
  }
  return SHMSTATE_OK;
}

/* A path socket next to the segment, when its writers can ring one. Another token on a
 * taken name (a squatter cannot guess the next one). */
static int bind_path(shmstate_doorbell* bell, shmstate_error* err) {
  int rc = SHMSTATE_E_SYSTEM;
  for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    if ((rc = new_token(bell, err)) != SHMSTATE_OK) return rc;
    rc = shmstate_doorbell_bind_path(bell->seg, bell->fd, bell->token, err);
    if (rc == SHMSTATE_OK) {
      bell->on_path = 1;
      shmstate_doorbell_path_address(bell->seg, bell->token, &bell->own);
      shmstate_doorbell_exit_track(bell->own.sun.sun_path);
      return rc;
    }
    if (err == NULL || err->sys_errno != EADDRINUSE) break;
  }
  return rc;
}

static int bind_abstract(shmstate_doorbell* bell, shmstate_error* err) {
  for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
    int rc = new_token(bell, err);
    if (rc != SHMSTATE_OK) return rc;
    shmstate_doorbell_abstract_address(bell->seg, bell->pid, bell->token, &bell->own);
    if (bind(bell->fd, (const struct sockaddr*)&bell->own.sun, bell->own.len) == 0) {
      return SHMSTATE_OK;
    }
    if (errno != EADDRINUSE) break; /* another token is worth a try only for a clash */
  }
  return shmstate_fail_errno(err, errno, "cannot bind the doorbell socket of segment \"%s\"",
                             bell->seg->name);
}

/* The file goes before the socket closes: nobody else may remove it while it is bound
 * (the cleanup rule), and a writer that finds it gone frees an entry that is no longer
 * ours. */
static void release_socket(shmstate_doorbell* bell) {
  if (bell->on_path) {
    shmstate_doorbell_exit_untrack(bell->own.sun.sun_path);
    unlink(bell->own.sun.sun_path);
  }
  close(bell->fd);
}

/* Path first where the segment has it; an abstract name when the path cannot be had (a
 * read-only or full /dev/shm, names squatted BIND_ATTEMPTS times): the doorbell then
 * works for writers of our network namespace, as before the feature. */
static int bind_socket(shmstate_doorbell* bell, shmstate_error* err) {
  int rc = new_socket(bell, err);
  if (rc != SHMSTATE_OK) return rc;
  /* Relaxed: compat_features is immutable and was validated (checksummed) at open. */
  uint64_t compat = atomic_load_explicit((_Atomic uint64_t*)&bell->seg->hdr->fixed.compat_features,
                                         memory_order_relaxed);
  if (!(compat & SHMSTATE_COMPAT_DOORBELL_PATHS)) return bind_abstract(bell, err);
  shmstate_error path_err = {0};
  if (bind_path(bell, &path_err) == SHMSTATE_OK) return SHMSTATE_OK;
  /* A socket binds once: take a fresh one for the abstract name. */
  close(bell->fd);
  if ((rc = new_socket(bell, err)) != SHMSTATE_OK) return rc;
  return bind_abstract(bell, err);
}

/* Rings our own doorbell, disarming first like a writer would so the one-pending-byte rule
 * holds; if the CAS fails a writer has rung already. */
static void ring_self(shmstate_doorbell* bell) {
  uint64_t expected = bell->identity | SHMSTATE_DOORBELL_ARMED;
  if (atomic_compare_exchange_strong_explicit(&bell->entry->control, &expected,
                                              bell->identity | SHMSTATE_DOORBELL_DISARMED,
                                              memory_order_seq_cst, memory_order_seq_cst)) {
    shmstate_doorbell_send(bell->fd, &bell->own);
  }
}

int shmstate_doorbell_open(shmstate_segment* seg, shmstate_doorbell** out, shmstate_error* err) {
  if (seg == NULL || out == NULL) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment or doorbell output is NULL");
  }
  *out = NULL;
  if (seg->read_only) {
    return shmstate_fail_read_only(seg, "register a doorbell (wait with shmstate_segment_wait)",
                                   err);
  }
  shmstate_doorbell* bell = calloc(1, sizeof *bell);
  if (bell == NULL) return shmstate_fail(err, SHMSTATE_E_NOMEM, ENOMEM, "no memory for a doorbell");
  bell->seg = seg;
  bell->pid = (uint32_t)getpid();
  int rc = bind_socket(bell, err);
  if (rc != SHMSTATE_OK) {
    if (bell->fd >= 0) close(bell->fd);
    free(bell);
    return rc;
  }
  if (!claim(bell)) {
    reclaim_dead(seg, bell->fd);
    if (!claim(bell)) {
      release_socket(bell);
      free(bell);
      return shmstate_fail(err, SHMSTATE_E_LIMIT, 0,
                           "segment \"%s\" has %d doorbell subscribers already, all alive",
                           seg->name, SHMSTATE_DOORBELL_MAX);
    }
  }
  /* Relaxed: published to writers by the arm below (its CAS is a release). */
  atomic_store_explicit(&bell->entry->token, bell->token, memory_order_relaxed);
  atomic_store_explicit(&bell->entry->address,
                        bell->on_path ? doorbell_path_word(bell->identity) : 0,
                        memory_order_relaxed);
  /* The baseline: commits from here on are delivered; earlier ones the caller reads. */
  bell->seen_word = atomic_load_explicit(&seg->hdr->futex_word, memory_order_seq_cst);
  rc = shmstate_doorbell_arm(bell, NULL, err);
  if (rc != SHMSTATE_OK) {
    shmstate_doorbell_close(bell);
    return rc;
  }
  /* Retired before the baseline (its bump is in seen_word, so nobody rings us for it):
   * ring ourselves, so that the first turn ends with E_RETIRED. A retirement after the
   * baseline rings the armed doorbell. */
  if (shmstate_segment_retired(seg)) ring_self(bell);
  *out = bell;
  return shmstate_ok(err);
}

int shmstate_doorbell_fd(const shmstate_doorbell* bell) { return bell->fd; }

void shmstate_doorbell_discard(shmstate_doorbell* bell) {
  /* One system call for up to DRAIN_MAX datagrams (normally there is exactly one); longer
   * foreign datagrams are truncated to their first byte, which is all a ring carries. */
  unsigned char bytes[DRAIN_MAX];
  struct iovec iov[DRAIN_MAX];
  struct mmsghdr msgs[DRAIN_MAX];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < DRAIN_MAX; i++) {
    iov[i].iov_base = &bytes[i];
    iov[i].iov_len = 1;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  while (recvmmsg(bell->fd, msgs, DRAIN_MAX, MSG_DONTWAIT, NULL) < 0 && errno == EINTR) {
  }
}

void shmstate_doorbell_mark(shmstate_doorbell* bell) {
  /* seq_cst: S0 of docs/concurrency.md. A commit whose bump this load misses is caught by
   * the re-check in shmstate_doorbell_arm; one it sees was published before it (the bump
   * follows the version store), so the caller's read that follows sees that version. */
  bell->seen_word = atomic_load_explicit(&bell->seg->hdr->futex_word, memory_order_seq_cst);
}

void shmstate_doorbell_turn_begin(shmstate_doorbell* bell) {
  shmstate_doorbell_mark(bell);
  bell->turn_version = shmstate_segment_version(bell->seg);
  bell->turn_rounds = 1;
}

int shmstate_doorbell_turn_again(shmstate_doorbell* bell) {
  /* Under a stream of commits a newer version is often published while the caller
   * delivers. Delivering it at once costs a version load, where ending the turn costs a
   * send, a wake-up and a receive per delivery (measured in Node: twice the flood delivery
   * rate). Bounded, so a flood still hands the loop back every few deliveries; the caller
   * reads the latest version itself, so an extra delivery finds at most nothing new. */
  uint64_t now = shmstate_segment_version(bell->seg);
  if (now == bell->turn_version || bell->turn_rounds >= SHMSTATE_DOORBELL_DELIVERIES_PER_TURN) {
    return 0;
  }
  bell->turn_version = now;
  bell->turn_rounds++;
  return 1;
}

int shmstate_doorbell_turn_end(shmstate_doorbell* bell, int* rang, shmstate_error* err) {
  shmstate_doorbell_discard(bell);
  int rc = shmstate_doorbell_arm(bell, rang, err);
  if (rc != SHMSTATE_OK) return rc;
  /* After the re-arm and its re-check of the futex word: a retirement rang us, or bumped
   * the word before our re-check (and so set the flag before it), or comes later and rings
   * the armed doorbell (retire.c). A version published after this turn began is delivered
   * first: its commit (and the retirement) bumped the word after the turn's mark, so the
   * re-arm rang us, and the next turn delivers it and ends here. */
  if (shmstate_segment_retired(bell->seg) &&
      shmstate_segment_version(bell->seg) == bell->turn_version) {
    return shmstate_fail_retired(bell->seg, err);
  }
  return SHMSTATE_OK;
}

void shmstate_doorbell_drain(shmstate_doorbell* bell) {
  shmstate_doorbell_discard(bell);
  shmstate_doorbell_mark(bell);
}

int shmstate_doorbell_arm(shmstate_doorbell* bell, int* rang, shmstate_error* err) {
  if (rang != NULL) *rang = 0;
  shmstate_doorbell_entry* entry = bell->entry;
  uint64_t disarmed = bell->identity | SHMSTATE_DOORBELL_DISARMED;
  uint64_t armed = bell->identity | SHMSTATE_DOORBELL_ARMED;
  uint64_t seen = disarmed;
  /* seq_cst: the subscriber's half of the Dekker pairing. Either a writer's exchange comes
   * after this in the total order (it finds ARMED and rings), or it came before, and then
   * so did its futex bump, which the re-check below sees. */
  if (!atomic_compare_exchange_strong_explicit(&entry->control, &seen, armed, memory_order_seq_cst,
                                               memory_order_seq_cst) &&
      seen != armed) {
    return shmstate_fail(err, SHMSTATE_E_CLOSED, 0,
                         "the doorbell of segment \"%s\" lost its entry (a writer found its "
                         "socket unreachable: another network namespace?)",
                         bell->seg->name);
  }
  uint32_t word = atomic_load_explicit(&bell->seg->hdr->futex_word, memory_order_seq_cst);
  if (word == bell->seen_word) return shmstate_ok(err);
  /* A commit slipped in between the mark (or drain) and the arm. The caller's poll sees
   * the byte on its next turn: a flood of commits cannot keep the caller in a loop. */
  ring_self(bell);
  if (rang != NULL) *rang = 1;
  return shmstate_ok(err);
}

void shmstate_doorbell_close(shmstate_doorbell* bell) {
  if (bell == NULL) return;
  shmstate_header* hdr = bell->seg->hdr;
  /* Unregister before closing the socket: a writer that finds the name unbound frees the
   * entry, and the entry must not be ours then (a freed entry may be someone else's). */
  uint64_t control = atomic_load_explicit(&bell->entry->control, memory_order_seq_cst);
  while ((control & ~DOORBELL_STATE_MASK) == bell->identity &&
         !shmstate_doorbell_free(hdr, bell->entry, control, 0)) {
    control = atomic_load_explicit(&bell->entry->control, memory_order_seq_cst);
  }
  release_socket(bell);
  free(bell);
}
