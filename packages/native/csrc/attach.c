/*
 * Who is attached: the ATTACH region (docs/protocol.md "The attach table"). An attached
 * process owns one entry and holds an open-file-description write lock (F_OFD_SETLK) on the
 * segment file's byte at the entry's own offset. The kernel releases that lock when the
 * description closes: on detach, on close, when the process exits or is killed. So a used
 * entry whose byte nobody locks belongs to a process that is gone, whatever its pid says (a
 * pid is reused, and means nothing across PID namespaces: it is kept for display only).
 *
 * Entry life: FREE --lock the byte, write the fields, CAS FREE(g) -> USED(g+1)--> USED
 * --detach: CAS USED(g+1) -> FREE(g+1), then drop the lock--> FREE. A used entry whose byte
 * is unlocked is dead; a claimer that gets its byte lock first CASes it back to FREE (a
 * reclaim), then claims it like a free one. The lock is taken before the entry becomes USED
 * and dropped only after it is FREE again, so "USED and unlocked" never describes a live
 * process; and whoever holds the byte is the only one who may claim the entry.
 *
 * Self-cleaning (SHMSTATE_FLAG_SELF_CLEANING): the store is removed once nobody is attached.
 * The segment file's byte 0 (inside the header, never an entry's byte) is the lifecycle
 * lock: a cleaner holds it exclusively (F_WRLCK) from its look at the table to its
 * shm_unlink; an attacher of a self-cleaning store holds it shared (F_RDLCK) from its check
 * that the name still names its segment to its claim. So a claim is either seen by the
 * cleaner's look (the store stays) or made after the unlink, when the attacher's check
 * fails and attach returns E_NOENT: nobody ends up attached, unknowingly, to a removed store.
 * A detacher frees its entry and drops its byte before it cleans, so of two detaching at
 * once the later cleaner sees both entries free: they cannot both skip the unlink. A store
 * nobody ever attached (every generation 0: its creator has not attached yet) is never
 * removed. What remains: the name is checked, then unlinked, under the lifecycle lock, but
 * an unlink and re-create of the name by a third process (Store.unlink then create) between
 * the two would have the cleaner remove the new store; that needs an explicit unlink racing
 * a cleaner within microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define ATTACH_STATE_MASK 3ull
#define ATTACH_GEN_STEP 4ull
/* Reads of one entry while it keeps changing under the lister, before it reports the last. */
#define LIST_TRIES 4

static unsigned attach_state(uint64_t control) { return (unsigned)(control & ATTACH_STATE_MASK); }

/* The byte entry `index`'s holder locks: the entry's first byte in the segment file. */
static off_t lock_offset(const shmstate_segment* seg, unsigned index) {
  return (off_t)(seg->attach_offset + (uint64_t)index * SHMSTATE_ATTACH_ENTRY_SIZE);
}

/* One byte lock request of `type` on entry `index`: F_OFD_* locks need l_pid 0. */
static struct flock byte_lock(const shmstate_segment* seg, unsigned index, short type) {
  struct flock fl = {0};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = lock_offset(seg, index);
  fl.l_len = 1;
  fl.l_pid = 0;
  return fl;
}

/* 1: we took the byte; 0: someone holds it (a live tenant, or a claimer at work); -errno on
 * another failure. */
static int try_lock(const shmstate_segment* seg, int fd, unsigned index) {
  struct flock fl = byte_lock(seg, index, F_WRLCK);
  while (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EACCES) return 0;
    return -errno;
  }
  return 1;
}

static void unlock(const shmstate_segment* seg, int fd, unsigned index) {
  struct flock fl = byte_lock(seg, index, F_UNLCK);
  while (fcntl(fd, F_OFD_SETLK, &fl) != 0 && errno == EINTR) {
  }
}

/* The lifecycle lock (byte 0, see the top of the file): `type` F_RDLCK, F_WRLCK or F_UNLCK,
 * waiting for it. 0, or -errno. */
static int lifecycle_lock(int fd, short type) {
  struct flock fl = {0};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 1;
  while (fcntl(fd, F_OFD_SETLKW, &fl) != 0) {
    if (errno != EINTR) return -errno;
  }
  return 0;
}

static int self_cleaning(const shmstate_segment* seg) {
  uint64_t flags = atomic_load_explicit(&seg->hdr->flags, memory_order_acquire);
  return seg->attach_entries > 0 && (flags & SHMSTATE_FLAG_SELF_CLEANING) != 0;
}

/* 1: some open file description other than `fd`'s holds entry `index`'s byte; 0: nobody
 * does; -errno when the kernel cannot say. */
static int is_locked(const shmstate_segment* seg, int fd, unsigned index) {
  struct flock fl = byte_lock(seg, index, F_WRLCK);
  while (fcntl(fd, F_OFD_GETLK, &fl) != 0) {
    if (errno != EINTR) return -errno;
  }
  return fl.l_type != F_UNLCK;
}

/* Opens the segment's name again and checks that it is still the object this handle
 * mapped: a lock on another file would say nothing about this one. `mode`: O_RDWR to take
 * locks (a write lock needs a descriptor open for writing), O_RDONLY to test them only
 * (F_OFD_GETLK asks nothing of the descriptor's mode, so whoever may read the file may
 * list the table). */
static int reopen(const shmstate_segment* seg, int mode, int* out, shmstate_error* err) {
  *out = -1;
  shmstate_path path;
  shmstate_segment_path(seg->name, path);
  int fd = shm_open(path, mode | O_NOFOLLOW | O_CLOEXEC, 0);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT) {
      return shmstate_fail(err, SHMSTATE_E_NOENT, e,
                           "segment \"%s\" was unlinked since this handle opened it; the attach "
                           "table is reached through its name",
                           seg->name);
    }
    return shmstate_fail_errno(err, e, "cannot open segment \"%s\" for its attach table",
                               seg->name);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return shmstate_fail_errno(err, e, "cannot stat segment \"%s\"", seg->name);
  }
  if ((uint64_t)st.st_dev != seg->shm_dev || (uint64_t)st.st_ino != seg->shm_ino) {
    close(fd);
    return shmstate_fail(err, SHMSTATE_E_NOENT, 0,
                         "segment \"%s\" now names another segment than the one this handle "
                         "opened (unlinked and created again)",
                         seg->name);
  }
  *out = fd;
  return SHMSTATE_OK;
}

static uint64_t new_token(void) {
  uint64_t token = 0;
  if (getrandom(&token, sizeof token, GRND_NONBLOCK) != (ssize_t)sizeof token) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    token = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uint64_t)getpid() << 40;
  }
  return token;
}

typedef struct attach_fields {
  uint64_t token;
  uint64_t start_ns;
  uint32_t pid;
  uint32_t role;
  uint32_t language;
} attach_fields;

/* Claims entry `index` for `f`, or returns 0 (it is taken). `dead_too`: a used entry whose
 * byte we get is reclaimed; otherwise only free entries are tried. -errno when locking
 * itself fails. On success the byte stays locked through `fd` and *control is the word the
 * claim stored. */
static int claim(shmstate_segment* seg, int fd, unsigned index, int dead_too,
                 const attach_fields* f, uint64_t* control) {
  shmstate_attach_entry* entry = &shmstate_attach_table(seg)[index];
  uint64_t seen = atomic_load_explicit(&entry->control, memory_order_acquire);
  if (attach_state(seen) != SHMSTATE_ATTACH_FREE && !dead_too) return 0;
  int locked = try_lock(seg, fd, index);
  if (locked <= 0) return locked;
  /* The byte is ours: no live tenant, and no other claimer, can be on this entry. */
  seen = atomic_load_explicit(&entry->control, memory_order_acquire);
  if (attach_state(seen) != SHMSTATE_ATTACH_FREE) {
    if (!dead_too) {
      unlock(seg, fd, index);
      return 0;
    }
    /* Used (or a state no writer stores) with nobody on its byte: its holder is gone.
     * Freed first, so that a lister never takes the fields written below for the dead
     * tenant's. */
    uint64_t freed = seen & ~ATTACH_STATE_MASK;
    if (!atomic_compare_exchange_strong_explicit(&entry->control, &seen, freed,
                                                 memory_order_acq_rel, memory_order_acquire)) {
      unlock(seg, fd, index); /* only a stray store moves a word whose byte we hold */
      return 0;
    }
    seen = freed;
  }
  /* Release: a lister that reads one of these values (acquire) sees the word moved off the
   * dead tenant's, so its re-check of the word catches the change. The claim's CAS below
   * publishes them to listers that read the new word first. */
  atomic_store_explicit(&entry->token, f->token, memory_order_release);
  atomic_store_explicit(&entry->start_ns, f->start_ns, memory_order_release);
  atomic_store_explicit(&entry->pid, f->pid, memory_order_release);
  atomic_store_explicit(&entry->role, f->role, memory_order_release);
  atomic_store_explicit(&entry->language, f->language, memory_order_release);
  uint64_t claimed = ((seen & ~ATTACH_STATE_MASK) + ATTACH_GEN_STEP) | SHMSTATE_ATTACH_USED;
  if (!atomic_compare_exchange_strong_explicit(&entry->control, &seen, claimed,
                                               memory_order_acq_rel, memory_order_acquire)) {
    unlock(seg, fd, index);
    return 0;
  }
  *control = claimed;
  return 1;
}

static void mark_untracked(shmstate_segment* seg) {
  atomic_fetch_or_explicit(&seg->hdr->flags, SHMSTATE_FLAG_UNTRACKED, memory_order_seq_cst);
  seg->attach_untracked = 1;
}

int shmstate_segment_attach(shmstate_segment* seg, shmstate_role role, shmstate_language language,
                            shmstate_error* err) {
  if (seg == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment is NULL");
  if ((int)role < SHMSTATE_ROLE_WRITER || (int)role > SHMSTATE_ROLE_READER) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "role is %d; it must be 1 (writer), 2 (subscriber) or 3 (reader)",
                         (int)role);
  }
  if ((int)language < SHMSTATE_LANGUAGE_C || (int)language > SHMSTATE_LANGUAGE_OTHER) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "language is %d; it must be 1 (c), 2 (node), 3 (python) or 4 (other)",
                         (int)language);
  }
  if (seg->attach_fd >= 0 || seg->attach_untracked) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "this handle of segment \"%s\" is attached already", seg->name);
  }
  if (seg->read_only) {
    /* Claiming an entry and marking the header both write the segment: a read-only handle
     * is attached untracked in this process only, and no lister sees it. */
    seg->attach_untracked = 1;
    return shmstate_ok(err);
  }
  if (seg->attach_entries == 0) {
    mark_untracked(seg); /* made by a build without the table: nothing to claim */
    return shmstate_ok(err);
  }
  int fd;
  shmstate_error reopened;
  int rc = reopen(seg, O_RDWR, &fd, &reopened);
  if (rc != SHMSTATE_OK) {
    /* No descriptor left for the entry's lock (each attached handle holds one): attached
     * all the same, untracked, as when the table is full. Opening a store never fails for
     * the sake of the table. */
    if (reopened.sys_errno == EMFILE || reopened.sys_errno == ENFILE) {
      mark_untracked(seg);
      return shmstate_ok(err);
    }
    if (err != NULL) *err = reopened;
    return rc;
  }
  int cleaning = self_cleaning(seg);
  if (cleaning) {
    /* Shared lifecycle lock, then the name checked again: a cleaner that unlinked it
     * before we got the lock made the check fail; one that comes later sees our claim. */
    int locked = lifecycle_lock(fd, F_RDLCK);
    int again = -1;
    if (locked == 0) rc = reopen(seg, O_RDONLY, &again, err);
    if (again >= 0) close(again);
    if (locked != 0 || rc != SHMSTATE_OK) {
      close(fd);
      if (locked != 0) {
        return shmstate_fail_errno(err, -locked, "cannot lock the lifecycle of \"%s\"", seg->name);
      }
      return rc;
    }
  }
  attach_fields f = {new_token(), shmstate_realtime_ns(), (uint32_t)getpid(), (uint32_t)role,
                     (uint32_t)language};
  /* Free entries first: a dead entry stays listed (as dead) until the table needs it. */
  for (int dead_too = 0; dead_too <= 1; dead_too++) {
    for (unsigned i = 0; i < seg->attach_entries; i++) {
      uint64_t control = 0;
      int got = claim(seg, fd, i, dead_too, &f, &control);
      if (got < 0) {
        close(fd); /* drops the lifecycle lock too */
        return shmstate_fail_errno(err, -got, "cannot lock entry %u of the attach table of \"%s\"",
                                   i, seg->name);
      }
      if (got == 1) {
        if (cleaning) lifecycle_lock(fd, F_UNLCK);
        seg->attach_fd = fd;
        seg->attach_index = (int)i;
        seg->attach_control = control;
        return shmstate_ok(err);
      }
    }
  }
  /* Every entry belongs to a live process: attached all the same, but not listed. */
  close(fd);
  mark_untracked(seg);
  return shmstate_ok(err);
}

/*
 * Whether entry `index` still lies inside the segment file. Another process of the owner's
 * uid can shrink the file (ftruncate) under a mapping, and a store to a page past the end
 * of a tmpfs file is SIGBUS. The entry was inside when it was claimed; this fstat, made
 * only on the rare paths that write the entry after that (a role change, the detach), keeps
 * a close from crashing the process on such a file. (A shrink between the fstat and the
 * store remains possible; docs/reliability.md, "What a writer can do".)
 */
static int entry_in_file(const shmstate_segment* seg, int index) {
  struct stat st;
  if (fstat(seg->attach_fd, &st) != 0) return 0;
  uint64_t end = seg->attach_offset + (uint64_t)(index + 1) * sizeof(shmstate_attach_entry);
  return st.st_size >= 0 && (uint64_t)st.st_size >= end;
}

int shmstate_segment_set_role(shmstate_segment* seg, shmstate_role role, shmstate_error* err) {
  if (seg == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment is NULL");
  if ((int)role < SHMSTATE_ROLE_WRITER || (int)role > SHMSTATE_ROLE_READER) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "role is %d; it must be 1 (writer), 2 (subscriber) or 3 (reader)",
                         (int)role);
  }
  if (seg->attach_fd < 0 && !seg->attach_untracked) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0,
                         "this handle of segment \"%s\" is not attached", seg->name);
  }
  if (seg->attach_index < 0) return shmstate_ok(err); /* untracked: no entry to change */
  if (!entry_in_file(seg, seg->attach_index)) {
    return shmstate_fail(err, SHMSTATE_E_CORRUPT, 0,
                         "segment \"%s\" shrank under its mapping: its attach entry is past the "
                         "end of the file",
                         seg->name);
  }
  /* In place, not detach and attach again: the entry (its token, start time and index)
   * stays this handle's, and no lister sees the process missing meanwhile. Only the holder
   * of the entry's byte writes its fields, so a plain release store is enough; a lister
   * reads the old role or the new one, both true at some moment. */
  shmstate_attach_entry* entry = &shmstate_attach_table(seg)[seg->attach_index];
  atomic_store_explicit(&entry->role, (uint32_t)role, memory_order_release);
  return shmstate_ok(err);
}

int shmstate_segment_attach_index(const shmstate_segment* seg) {
  return seg != NULL ? seg->attach_index : -1;
}

void shmstate_segment_detach(shmstate_segment* seg) {
  if (seg == NULL) return;
  seg->attach_untracked = 0;
  if (seg->attach_fd < 0) return;
  if (seg->attach_index >= 0 && entry_in_file(seg, seg->attach_index)) {
    shmstate_attach_entry* entry = &shmstate_attach_table(seg)[seg->attach_index];
    /* Free before the lock goes: a used entry with a free byte would read as dead. If the
     * word is not ours any more (a stray store), there is nothing of ours to free. */
    uint64_t expected = seg->attach_control;
    uint64_t freed = expected & ~ATTACH_STATE_MASK;
    atomic_compare_exchange_strong_explicit(&entry->control, &expected, freed, memory_order_acq_rel,
                                            memory_order_relaxed);
  }
  close(seg->attach_fd); /* drops the byte lock with the description */
  seg->attach_fd = -1;
  seg->attach_index = -1;
  seg->attach_control = 0;
  /* After our entry is free and our byte dropped, so that a cleaner detaching at the same
   * time sees us gone. Failures are ignored: the next open or `shmstate doctor` cleans. */
  if (self_cleaning(seg)) shmstate_segment_clean(seg, NULL, NULL);
}

int shmstate_segment_clean(shmstate_segment* seg, int* removed, shmstate_error* err) {
  if (removed != NULL) *removed = 0;
  if (seg == NULL) return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment is NULL");
  if (!self_cleaning(seg) || seg->read_only) return shmstate_ok(err);
  int fd;
  int rc = reopen(seg, O_RDWR, &fd, err);
  if (rc == SHMSTATE_E_NOENT) return shmstate_ok(err); /* removed already */
  if (rc != SHMSTATE_OK) return rc;
  int locked = lifecycle_lock(fd, F_WRLCK);
  if (locked != 0) {
    close(fd);
    return shmstate_fail_errno(err, -locked, "cannot lock the lifecycle of \"%s\"", seg->name);
  }
  /* Under the lifecycle lock no attacher can complete a claim: the table is final. */
  int orphaned =
      (atomic_load_explicit(&seg->hdr->flags, memory_order_acquire) & SHMSTATE_FLAG_UNTRACKED) == 0;
  int ever_attached = 0;
  for (unsigned i = 0; orphaned && i < seg->attach_entries; i++) {
    uint64_t control =
        atomic_load_explicit(&shmstate_attach_table(seg)[i].control, memory_order_acquire);
    if ((control >> 2) != 0) ever_attached = 1;
    if (attach_state(control) == SHMSTATE_ATTACH_FREE) continue;
    int alive = is_locked(seg, fd, i);
    if (alive != 0) orphaned = 0; /* alive, or the kernel cannot say: keep the store */
  }
  if (orphaned && ever_attached) {
    int again = -1;
    if (reopen(seg, O_RDONLY, &again, NULL) == SHMSTATE_OK) { /* still ours under the name */
      close(again);
      shmstate_path path;
      shmstate_segment_path(seg->name, path);
      if (shm_unlink(path) == 0 && removed != NULL) *removed = 1;
    }
  }
  close(fd); /* drops the lifecycle lock */
  return shmstate_ok(err);
}

/* Reads entry `index` into *out; 0 when it is not used. */
static int read_entry(const shmstate_segment* seg, int fd, unsigned index, shmstate_attachment* out,
                      int* sys_err) {
  const shmstate_attach_entry* entry = &shmstate_attach_table(seg)[index];
  for (int attempt = 0;; attempt++) {
    uint64_t before = atomic_load_explicit(&entry->control, memory_order_acquire);
    if (attach_state(before) != SHMSTATE_ATTACH_USED) return 0;
    out->index = index;
    /* Acquire loads: none of them may move after the re-check of the word below (a claimer
     * that changes the fields first stores FREE, then USED with a new generation). */
    out->token = atomic_load_explicit(&entry->token, memory_order_acquire);
    out->start_ns = atomic_load_explicit(&entry->start_ns, memory_order_acquire);
    out->pid = atomic_load_explicit(&entry->pid, memory_order_acquire);
    out->role = atomic_load_explicit(&entry->role, memory_order_acquire);
    out->language = atomic_load_explicit(&entry->language, memory_order_acquire);
    out->generation = before >> 2;
    int locked = is_locked(seg, fd, index);
    if (locked < 0) {
      *sys_err = -locked;
      return -1;
    }
    out->alive = locked;
    out->self = seg->attach_index == (int)index && seg->attach_control == before;
    uint64_t after = atomic_load_explicit(&entry->control, memory_order_acquire);
    if (after == before || attempt + 1 >= LIST_TRIES) return 1;
  }
}

int shmstate_segment_attached(shmstate_segment* seg, shmstate_attachment* out, size_t max,
                              size_t* count, shmstate_error* err) {
  if (seg == NULL || count == NULL || (out == NULL && max > 0)) {
    return shmstate_fail(err, SHMSTATE_E_INVALID, 0, "segment, count or output is NULL");
  }
  *count = 0;
  if (seg->attach_entries == 0) return shmstate_ok(err);
  /* A description of our own: F_OFD_GETLK does not report the asker's own locks, and this
   * handle's own entry must read as alive. Read-only: a lister that may only read the
   * segment (a member of the group of a 0640 store) lists it too. */
  int fd;
  int rc = reopen(seg, O_RDONLY, &fd, err);
  if (rc != SHMSTATE_OK) return rc;
  size_t n = 0;
  for (unsigned i = 0; i < seg->attach_entries; i++) {
    shmstate_attachment one = {0};
    int sys_err = 0;
    int got = read_entry(seg, fd, i, &one, &sys_err);
    if (got < 0) {
      close(fd);
      return shmstate_fail_errno(err, sys_err, "cannot test the lock of entry %u of \"%s\"", i,
                                 seg->name);
    }
    if (got == 0) continue;
    if (n < max) out[n] = one;
    n++;
  }
  close(fd);
  *count = n;
  return shmstate_ok(err);
}
